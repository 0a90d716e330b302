"""/api/v1/staff/stream: new cases and transitions as Server-Sent Events, resumable with Last-Event-ID;
/api/v1/push: Web Push keys and subscriptions; /api/v1/notifications: the inbox and its preferences."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Annotated

from litestar import Controller, Response, delete, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import HeaderParameter, JSONBody, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.accounts.guards import STAFF_ROLES, require_role
from backend.accounts.tokens import Principal
from backend.catalog.dependencies import CATALOG_DEPENDENCIES
from backend.catalog.lookup import CatalogSnapshot
from backend.edge.caching import NO_STORE
from backend.edge.compression import SKIP
from backend.errors import ApiError
from backend.notify import service
from backend.notify.feed import FeedHub, FeedReader, last_seq
from backend.notify.schemas import (
    MarkReadIn,
    NotificationPage,
    PreferencesIn,
    PreferencesOut,
    PushSubscriptionIn,
    PushSubscriptionOut,
    UnreadOut,
    VapidKeyOut,
)
from backend.settings import Settings

# A comment line this often keeps proxies from closing an idle stream.
KEEPALIVE_SECONDS = 15.0
RETRY_MS = 3000
MAX_SEQ = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")


@get(
    "/api/v1/staff/stream",
    tags=["staff"],
    summary="Live case events (SSE); resume with Last-Event-ID",
    opt=SKIP,
)
async def staff_stream(
    state: State,
    principal: NamedDependency[Principal],
    settings: NamedDependency[Settings],
    last_event_id: Annotated[
        str | None, HeaderParameter(name="Last-Event-ID", max_length=20, required=False)
    ] = None,
) -> ServerSentEvent:
    require_role(principal, *STAFF_ROLES)
    asked = _seq(last_event_id) if last_event_id else None
    engine: AsyncEngine = state.engine
    newest = await last_seq(engine)
    # An id from the future (another database, a made-up one) restarts from now, not never.
    resume = newest if asked is None else min(asked, newest)
    return ServerSentEvent(
        _events(state.feed, engine, resume, settings.live_poll_seconds),
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _seq(raw: str) -> int:
    """An event id this stream gave out: ASCII digits within the database's 64-bit sequence."""
    if not _DIGITS.fullmatch(raw) or int(raw) > MAX_SEQ:
        raise ApiError(400, "invalid_last_event_id")
    return int(raw)


async def _events(
    hub: FeedHub, engine: AsyncEngine, after: int, poll_seconds: float
) -> AsyncIterator[ServerSentEventMessage]:
    # The stream's position first, so that a client that saw nothing yet can still resume from here.
    yield ServerSentEventMessage(event="ready", id=after, data="{}", retry=RETRY_MS)
    async with hub.open(poll_seconds):
        reader = FeedReader(after)
        while True:
            if reader.after < hub.floor:
                # Further back than the hub remembers (resumed from long ago, or left behind by a
                # burst): the database, until caught up.
                batch = await reader.next_batch(engine)
                if not batch:
                    await asyncio.sleep(poll_seconds)  # held at a gap that may still fill
                    continue
            else:
                batch = await hub.after(reader.after, KEEPALIVE_SECONDS)
                if not batch:
                    yield ServerSentEventMessage(comment="keep-alive")
                    continue
                reader.after = batch[-1].seq
            for event in batch:
                yield ServerSentEventMessage(event=event.event_type, id=event.seq, data=event.data)


class PushController(Controller):
    path = "/api/v1/push"
    tags = ["notifications"]
    cache_control = NO_STORE

    @get("/vapid-public-key", summary="The key a browser subscribes with (applicationServerKey)")
    async def vapid_public_key(self, settings: NamedDependency[Settings]) -> VapidKeyOut:
        return VapidKeyOut(public_key=settings.vapid_public_key)

    @post(
        "/subscriptions",
        status_code=201,
        summary="Subscribe this browser for the caller (several per person); the same endpoint again: 200",
        responses={200: ResponseSpec(PushSubscriptionOut, description="Already stored; updated")},
    )
    async def subscribe(
        self,
        data: JSONBody[PushSubscriptionIn],
        principal: NamedDependency[Principal],
        settings: NamedDependency[Settings],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[PushSubscriptionOut]:
        stored, created = await service.subscribe(db_session, settings, principal, data)
        return Response(stored, status_code=201 if created else 200)

    @delete("/subscriptions", summary="Unsubscribe this browser (its endpoint)")
    async def unsubscribe(
        self,
        endpoint: Annotated[str, QueryParameter(min_length=10, max_length=2048)],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
    ) -> None:
        await service.unsubscribe(db_session, principal, endpoint)


class NotificationController(Controller):
    path = "/api/v1/notifications"
    tags = ["notifications"]
    cache_control = NO_STORE
    dependencies = CATALOG_DEPENDENCIES

    @get("/", summary="My inbox, newest first (keyset pages), with the unread count")
    async def inbox(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        locale: NamedDependency[str],
        cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> NotificationPage:
        return await service.inbox(db_session, principal, cursor, limit, locale)

    @post("/read", status_code=200, summary="Mark messages read, by id or all; answers the unread count")
    async def mark_read(
        self,
        data: JSONBody[MarkReadIn],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
    ) -> UnreadOut:
        return UnreadOut(unread=await service.mark_read(db_session, principal, data))

    @get("/preferences", summary="What a dispatcher hears beyond their own work (new cases, by grid)")
    async def preferences(
        self, principal: NamedDependency[Principal], db_session: NamedDependency[AsyncSession]
    ) -> PreferencesOut:
        return await service.preferences(db_session, principal)

    @put("/preferences", summary="Opt in or out of new cases, in some grids or all")
    async def set_preferences(
        self,
        data: JSONBody[PreferencesIn],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        catalog: NamedDependency[CatalogSnapshot],
    ) -> PreferencesOut:
        return await service.set_preferences(db_session, catalog, principal, data)
