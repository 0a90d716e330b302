"""GET /healthz for load balancers and the city's IT, and the landing page."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import structlog
from litestar import Request, Response, get
from litestar.datastructures import State
from sqlalchemy import text

from backend.coordination.service import oldest_owed
from backend.db import utcnow

log = structlog.get_logger(__name__)

CHECK_TIMEOUT_S = 5.0


class Health(msgspec.Struct, frozen=True):
    status: str
    database: str
    storage: str
    # Seconds since the oldest event still owed to the coordination platform happened (null when
    # none is, or when no platform is configured): a delivery that has stalled shows here.
    outbox_oldest_owed_s: float | None = None


async def _database_ok(state: State) -> bool:
    async with state.sessionmaker() as session:
        await session.execute(text("SELECT 1"))
    return True


async def _owed_for(state: State) -> float | None:
    if not state.settings.coordination_url:
        return None
    async with state.sessionmaker() as session:
        oldest = await oldest_owed(session)
    return round((utcnow() - oldest).total_seconds(), 1) if oldest else None


async def _storage_ok(state: State) -> bool:
    await state.store.check()
    return True


async def _probe(name: str, check: Any) -> str:
    try:
        await asyncio.wait_for(check, CHECK_TIMEOUT_S)
    except Exception as exc:  # any failure means "not ok"; the kind is logged, never secrets
        log.warning("health_check_failed", part=name, error=type(exc).__name__)
        return "error"
    return "ok"


@get("/healthz", summary="Liveness and readiness: database and object storage", tags=["ops"])
async def health(request: Request[Any, Any, Any]) -> Response[Health]:
    state = request.app.state
    database, storage = await asyncio.gather(
        _probe("database", _database_ok(state)), _probe("storage", _storage_ok(state))
    )
    ok = database == "ok" and storage == "ok"
    owed = await _owed_for(state) if database == "ok" else None
    return Response(
        Health(status="ok" if ok else "error", database=database, storage=storage, outbox_oldest_owed_s=owed),
        status_code=200 if ok else 503,
        headers={"Cache-Control": "no-store"},
    )
