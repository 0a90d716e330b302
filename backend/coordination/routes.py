"""/api/v1/coordination: the exchange's published schema; /api/v1/admin/outbox: delivery health."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.tokens import Principal
from backend.coordination import callbacks, service
from backend.coordination.schemas import CallbackOut, Envelope, OutboxPage, WaitingCallbackList
from backend.deps import client_address
from backend.edge.caching import NO_STORE
from backend.settings import Settings
from backend.uploads.storage import ObjectStore

# Built once: the envelope's shape is fixed for a release.
ENVELOPE_SCHEMA: dict[str, Any] = msgspec.json.schema(Envelope)


class CoordinationController(Controller):
    path = "/api/v1/coordination"
    tags = ["coordination"]

    @get("/schema", summary="JSON Schema of the event envelope the platform receives")
    async def schema(self) -> dict[str, Any]:
        return ENVELOPE_SCHEMA

    @post(
        "/callbacks",
        status_code=200,
        summary="A step the platform reports (signed like our events; the same event id twice is once)",
    )
    async def callback(
        self,
        state: State,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        store: NamedDependency[ObjectStore],
    ) -> CallbackOut:
        # The signature covers the bytes as sent: the body is read raw and decoded once it holds.
        body = await request.body()
        received = callbacks.checked(
            settings, body, request.headers.get("x-city-timestamp"), request.headers.get("x-city-signature")
        )
        catalog = await state.catalog.snapshot(db_session)
        return await callbacks.receive(
            db_session, settings, store, request.app.state.image_slots, catalog, received
        )


class OutboxAdminController(Controller):
    path = "/api/v1/admin/outbox"
    tags = ["admin"]
    cache_control = NO_STORE

    @get("/", summary="Delivery health: counts, the oldest owed event, and the events in one state")
    async def events(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        # `state` is Litestar's own parameter name: the query's is mapped onto another.
        wanted: Annotated[service.OutboxState, QueryParameter(name="state")] = "failed",
        cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> OutboxPage:
        return await service.outbox(db_session, principal, wanted, cursor, limit)

    @get("/callbacks", summary="The platform's callbacks that wait for their case to catch up")
    async def waiting(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> WaitingCallbackList:
        return await service.waiting_callbacks(db_session, principal, limit)

    @post("/{event_id:uuid}/replay", status_code=204, summary="Send an undelivered event again, due now")
    async def replay(
        self,
        request: Request[Any, Any, Any],
        event_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
    ) -> None:
        address = client_address(request, settings)
        await service.replay_one(db_session, settings, principal, event_id, address)
