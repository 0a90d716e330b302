"""Role checks on the caller that backend.accounts.auth has already checked."""

from __future__ import annotations

from backend.accounts.tokens import Principal
from backend.errors import ApiError

# Triage and the staff API: who may see reporters' contacts and move cases along.
STAFF_ROLES = ("dispatcher", "supervisor")


def require_principal(principal: Principal | None) -> Principal:
    if principal is None:
        raise ApiError(401, "unauthorized", headers={"WWW-Authenticate": "Bearer"})
    return principal


def require_role(principal: Principal, *roles: str) -> None:
    if not principal.has_any(*roles):
        raise ApiError(403, "forbidden")
