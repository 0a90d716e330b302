"""Signed bearer tokens (JWT, HS256) and the principal a checked token stands for.

A token names its user and its session (`sid`); the roles it carries are a hint for the app's
screens only. What a caller may do comes from the database at each use (backend.accounts.auth).
"""

from __future__ import annotations

import functools
import time
import uuid
from datetime import datetime

import jwt
import msgspec

from backend.db import utcnow

ALGORITHM = "HS256"


class Principal(msgspec.Struct, frozen=True):
    user_id: uuid.UUID
    kind: str
    roles: tuple[str, ...]
    # The session the token belongs to; sign-out revokes it.
    session_id: uuid.UUID | None = None

    def has_any(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)


class TokenClaims(msgspec.Struct, frozen=True):
    user_id: uuid.UUID
    session_id: uuid.UUID


def issue(
    user_id: uuid.UUID, session_id: uuid.UUID, kind: str, roles: list[str], secret: str, expires_at: datetime
) -> str:
    claims = {
        "sub": str(user_id),
        "sid": str(session_id),
        "kind": kind,
        "roles": roles,
        "iat": int(utcnow().timestamp()),
        "exp": int(expires_at.timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


class InvalidToken(Exception):
    pass


def read(token: str, secret: str) -> TokenClaims:
    try:
        claims, expires = _verified(token, secret)
    except (jwt.PyJWTError, KeyError, ValueError, TypeError, AttributeError) as exc:
        raise InvalidToken from exc
    if expires <= time.time():
        raise InvalidToken
    return claims


@functools.lru_cache(maxsize=4096)
def _verified(token: str, secret: str) -> tuple[TokenClaims, int]:
    """Signature and claims checked once per token, expiry at every use (read): a phone sends the
    same token for hours, and checking its signature each time cost more than the route's own work."""
    claims = jwt.decode(
        token,
        secret,
        algorithms=[ALGORITHM],
        options={"require": ["sub", "sid", "exp", "iat"], "verify_exp": False},
    )
    user_id, session_id = uuid.UUID(claims["sub"]), uuid.UUID(claims["sid"])
    return TokenClaims(user_id=user_id, session_id=session_id), int(claims["exp"])
