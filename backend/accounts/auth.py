"""Who is calling: the bearer token checked against its session and account at every request.

Done in a middleware, before the handler's dependencies are resolved, with a short session of its
own: one primary-key read per authenticated request buys sign-out, deactivation and role changes
that take effect at once, on every process.
"""

from __future__ import annotations

from typing import Any

from litestar.datastructures import Headers
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy import Select, Uuid, bindparam, select
from sqlalchemy.orm import aliased

from backend import driver
from backend.accounts.models import AuthSession, User
from backend.accounts.tokens import InvalidToken, Principal, TokenClaims, read
from backend.db import utcnow
from backend.errors import ApiError

_INVALID = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
# A device that later verified a phone acts as that citizen from then on.
_Citizen = aliased(User)


def _build_lookup() -> Select[Any]:
    return (
        select(
            AuthSession.revoked_at,
            AuthSession.expires_at,
            User.kind,
            User.roles,
            User.is_active,
            _Citizen.id.label("citizen_id"),
            _Citizen.roles.label("citizen_roles"),
            _Citizen.is_active.label("citizen_active"),
        )
        .join(User, User.id == AuthSession.user_id)
        .outerjoin(_Citizen, _Citizen.id == User.merged_into_id)
        .where(
            AuthSession.id == bindparam("sid", type_=Uuid()),
            AuthSession.user_id == bindparam("uid", type_=Uuid()),
        )
    )


_LOOKUP = _build_lookup()


def invalid_token() -> ApiError:
    return ApiError(401, "invalid_token", headers=_INVALID)


def bearer_claims(headers: Headers, secret: str) -> TokenClaims | None:
    header = headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise invalid_token()
    try:
        return read(token.strip(), secret)
    except InvalidToken:
        raise invalid_token() from None


async def principal_for(state: Any, claims: TokenClaims) -> Principal:
    # In one trip to the database (and to SQLite's thread): it comes before every authenticated request.
    rows = await driver.read_once(state.engine, _LOOKUP, {"sid": claims.session_id, "uid": claims.user_id})
    if not rows:
        raise invalid_token()
    revoked_at, expires_at, kind, roles, is_active, citizen_id, citizen_roles, citizen_active = rows[0]
    if revoked_at is not None or expires_at <= utcnow() or not is_active:
        raise invalid_token()
    if citizen_id is not None:
        if not citizen_active:
            raise invalid_token()
        return Principal(
            user_id=citizen_id, kind="citizen", roles=tuple(citizen_roles), session_id=claims.session_id
        )
    return Principal(user_id=claims.user_id, kind=kind, roles=tuple(roles), session_id=claims.session_id)


def authentication(app: ASGIApp) -> ASGIApp:
    """Puts the checked caller (or None) in scope["user"]; a bad token is refused here with 401."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        state = scope["litestar_app"].state
        claims = bearer_claims(Headers.from_scope(scope), state.settings.secret_key)
        scope["user"] = await principal_for(state, claims) if claims else None
        await app(scope, receive, send)

    return middleware
