"""Litestar dependencies shared by every part: settings, the session, the caller, the locale."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.guards import require_principal
from backend.accounts.tokens import Principal
from backend.i18n import negotiate
from backend.settings import Settings
from backend.uploads.storage import ObjectStore


def provide_settings(state: State) -> Settings:
    return state.settings


async def provide_db_session(state: State) -> AsyncIterator[AsyncSession]:
    async with state.sessionmaker() as session:
        yield session


def provide_store(state: State) -> ObjectStore:
    return state.store


def provide_optional_principal(request: Request[Any, Any, Any]) -> Principal | None:
    """The caller that the authentication middleware checked, if the request named one."""
    return request.scope.get("user")


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    return require_principal(request.scope.get("user"))


def provide_locale(request: Request[Any, Any, Any]) -> str:
    return negotiate(request.headers.get("accept-language"))


def client_address(request: Request[Any, Any, Any], settings: Settings) -> str:
    """The caller's address; X-Forwarded-For is believed only from a configured proxy."""
    peer = request.client.host if request.client else "unknown"
    if peer not in settings.proxies:
        return peer
    for hop in reversed(request.headers.get("x-forwarded-for", "").split(",")):
        hop = hop.strip()
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            continue
        if hop not in settings.proxies:
            return hop
    return peer


DEPENDENCIES = {
    "settings": Provide(provide_settings, sync_to_thread=False),
    "db_session": Provide(provide_db_session),
    "store": Provide(provide_store, sync_to_thread=False),
    "principal": Provide(provide_principal, sync_to_thread=False),
    "optional_principal": Provide(provide_optional_principal, sync_to_thread=False),
    "locale": Provide(provide_locale, sync_to_thread=False),
}
