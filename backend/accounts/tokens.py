"""Signed bearer tokens (JWT, HS256) and the principal they carry."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import jwt
import msgspec

from backend.db import utcnow

ALGORITHM = "HS256"


class Principal(msgspec.Struct, frozen=True):
    user_id: uuid.UUID
    kind: str
    roles: tuple[str, ...]

    def has_any(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)


def issue(principal: Principal, secret: str, lifetime: timedelta) -> tuple[str, datetime]:
    now = utcnow()
    expires_at = now + lifetime
    claims = {
        "sub": str(principal.user_id),
        "kind": principal.kind,
        "roles": list(principal.roles),
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM), expires_at


class InvalidToken(Exception):
    pass


def read(token: str, secret: str) -> Principal:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp", "iat"]})
        return Principal(
            user_id=uuid.UUID(claims["sub"]),
            kind=str(claims["kind"]),
            roles=tuple(str(r) for r in claims["roles"]),
        )
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise InvalidToken from exc
