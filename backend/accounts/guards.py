"""Reading the bearer token of a request, and role checks."""

from __future__ import annotations

from typing import Any

from litestar import Request

from backend.accounts.tokens import InvalidToken, Principal, read
from backend.errors import ApiError
from backend.settings import Settings

# Triage and the staff API: who may see reporters' contacts and move cases along.
STAFF_ROLES = ("dispatcher", "supervisor")


def bearer_principal(request: Request[Any, Any, Any], settings: Settings) -> Principal | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "invalid_token", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    try:
        return read(token.strip(), settings.secret_key)
    except InvalidToken:
        raise ApiError(
            401, "invalid_token", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
        ) from None


def require_principal(principal: Principal | None) -> Principal:
    if principal is None:
        raise ApiError(401, "unauthorized", headers={"WWW-Authenticate": "Bearer"})
    return principal


def require_role(principal: Principal, *roles: str) -> None:
    if not principal.has_any(*roles):
        raise ApiError(403, "forbidden")
