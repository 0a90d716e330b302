"""Delivering the outbox to the command-coordination platform: at least once, in order per case.

A worker claims due events with a lease (on PostgreSQL with FOR UPDATE SKIP LOCKED, so any number of
workers on any number of machines share the work), sends each one signed, and settles it: delivered,
or retried later with exponential backoff and jitter, or dead-lettered after the last attempt. An
event is claimed only when no earlier event of its case is still owed, so a case's events leave in the
order they were written while a case stuck behind a failing event holds no other case back. A worker
killed at any point loses nothing: its leases lapse and another worker claims those events again; the
platform deduplicates by event id.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx
import msgspec
import nats
import structlog
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy import Row, Select, bindparam, delete, exists, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from backend.catalog.models import Category
from backend.coordination.models import OutboxEvent
from backend.coordination.schemas import (
    Envelope,
    PlatformCase,
    PlatformCategory,
    PlatformLocation,
)
from backend.coordination.signing import signature
from backend.db import utcnow
from backend.retries import backoff_seconds
from backend.settings import Settings
from backend.uploads.models import Photo
from backend.uploads.service import display_url

log = structlog.get_logger(__name__)
ERROR_CHARS = 500


_OUTBOX = OutboxEvent.__table__


def _due(now: datetime, batch: int) -> Select[tuple[uuid.UUID]]:
    earlier = aliased(OutboxEvent)
    still_owed_before = exists().where(
        earlier.case_id == OutboxEvent.case_id,
        earlier.delivered_at.is_(None),
        earlier.dead_at.is_(None),
        tuple_(earlier.occurred_at, earlier.event_id) < tuple_(OutboxEvent.occurred_at, OutboxEvent.event_id),
    )
    return (
        select(OutboxEvent.event_id)
        .where(
            OutboxEvent.delivered_at.is_(None),
            OutboxEvent.dead_at.is_(None),
            OutboxEvent.next_attempt_at <= now,
            or_(OutboxEvent.lease_until.is_(None), OutboxEvent.lease_until < now),
            ~still_owed_before,
        )
        .order_by(OutboxEvent.occurred_at, OutboxEvent.event_id)
        .limit(batch)
    )


@dataclass(frozen=True, slots=True)
class Claimed:
    event_id: uuid.UUID
    attempts: int
    envelope: Envelope


@dataclass(frozen=True, slots=True)
class Batch:
    """One claim's events. Their common lease doubles as the claim's token when they are settled: it
    differs from any other claim's by the microseconds added at random."""

    lease: datetime
    events: list[Claimed]


async def claim(session: AsyncSession, settings: Settings, now: datetime) -> Batch:
    """Due events, leased to the caller until now + the lease time, with their envelopes: one
    statement (UPDATE … WHERE event_id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING …)."""
    due = _due(now, settings.outbox_batch_size)
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    lease = now + timedelta(seconds=settings.outbox_lease_seconds, microseconds=random.randrange(1_000_000))
    rows = (
        await session.execute(
            update(_OUTBOX)
            .where(_OUTBOX.c.event_id.in_(due))
            .values(lease_until=lease)
            .returning(
                _OUTBOX.c.event_id,
                _OUTBOX.c.event_type,
                _OUTBOX.c.occurred_at,
                _OUTBOX.c.attempts,
                _OUTBOX.c.payload,
            )
        )
    ).all()
    envelopes = await _envelopes(session, settings, rows)
    return Batch(lease, [Claimed(row.event_id, row.attempts, envelopes[row.event_id]) for row in rows])


async def _envelopes(
    session: AsyncSession, settings: Settings, rows: Sequence[Row[Any]]
) -> dict[uuid.UUID, Envelope]:
    """The envelope of each event: its case as written at the step, with the category's names and the
    case's photos (one query each for the whole batch)."""
    if not rows:
        return {}
    snapshots = {row.event_id: row.payload["case"] for row in rows}
    codes = {s["category_code"] for s in snapshots.values() if s.get("category_code")}
    categories = (
        {c.code: c for c in await session.scalars(select(Category).where(Category.code.in_(codes)))}
        if codes
        else {}
    )
    case_ids = {uuid.UUID(s["id"]) for s in snapshots.values()}
    photos: dict[str, list[str]] = {}
    for case_id, photo_id in await session.execute(
        select(Photo.case_id, Photo.id).where(Photo.case_id.in_(case_ids)).order_by(Photo.position)
    ):
        photos.setdefault(str(case_id), []).append(settings.base_url + display_url(photo_id))
    return {
        row.event_id: Envelope(
            event_id=row.event_id,
            event_type=row.event_type,
            occurred_at=row.occurred_at,
            case=_platform_case(row.payload["case"], categories, photos),
            action=row.payload.get("action", ""),
            public_message=row.payload.get("public_message"),
            internal_note=row.payload.get("internal_note"),
        )
        for row in rows
    }


def _platform_case(
    snapshot: dict[str, Any], categories: dict[str, Category], photos: dict[str, list[str]]
) -> PlatformCase:
    category = categories.get(snapshot.get("category_code") or "")
    location = snapshot["location"]
    return PlatformCase(
        id=snapshot["id"],
        tracking_no=snapshot["tracking_no"],
        source=snapshot["source"],
        request_type=snapshot["request_type"],
        category=PlatformCategory(
            code=category.code,
            kind=category.kind,
            gb_code=category.gb_code,
            name_zh=category.name_zh,
            name_en=category.name_en,
        )
        if category
        else None,
        grid_code=snapshot["grid_code"],
        location=PlatformLocation(
            lat=location["lat"], lng=location["lng"], accuracy_m=location["accuracy_m"]
        ),
        address=snapshot["address"],
        description=snapshot["description"],
        photo_urls=photos.get(snapshot["id"], []),
        department_code=snapshot["department_code"],
        deadline_at=datetime.fromisoformat(snapshot["deadline_at"]) if snapshot["deadline_at"] else None,
        status=snapshot["status"],
        version=snapshot["version"],
        created_at=datetime.fromisoformat(snapshot["created_at"]),
    )


class Transport(Protocol):
    async def send(self, envelope: Envelope) -> str | None:
        """None when the platform has the event, else what went wrong."""


def _signed(settings: Settings, envelope: Envelope) -> tuple[bytes, dict[str, str]]:
    body = msgspec.json.encode(envelope)
    timestamp = int(time.time())
    return body, {
        "X-City-Event-Id": str(envelope.event_id),
        "X-City-Timestamp": str(timestamp),
        "X-City-Signature": signature(settings.coordination_secret, timestamp, body),
    }


@dataclass(frozen=True, slots=True)
class HttpTransport:
    """POST to CITY_COORDINATION_URL; any 2xx is delivered."""

    settings: Settings
    client: httpx.AsyncClient

    async def send(self, envelope: Envelope) -> str | None:
        body, headers = _signed(self.settings, envelope)
        headers["Content-Type"] = "application/json"
        try:
            answer = await self.client.post(self.settings.coordination_url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
        return None if answer.is_success else f"HTTP {answer.status_code}"


@dataclass(frozen=True, slots=True)
class NatsTransport:
    """Publish to NATS JetStream on subject <prefix>.<event type>, the event id as the message id (the
    stream drops a duplicate within its window); delivered once the stream acknowledged it."""

    settings: Settings
    jetstream: JetStreamContext
    prefix: str

    async def send(self, envelope: Envelope) -> str | None:
        body, headers = _signed(self.settings, envelope)
        headers["Nats-Msg-Id"] = str(envelope.event_id)
        try:
            await self.jetstream.publish(f"{self.prefix}.{envelope.event_type}", body, headers=headers)
        except (NatsError, TimeoutError) as exc:
            return f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
        return None


def nats_target(url: str) -> tuple[str, str]:
    """nats://host:port/subject.prefix -> the server's URL and the subjects' prefix (default city)."""
    server, _, path = url.partition("://")[2].partition("/")
    return f"nats://{server}", path.strip("/") or "city"


async def ensure_stream(jetstream: JetStreamContext, name: str, prefix: str) -> None:
    """The stream that keeps the events, made if the platform has not made it."""
    try:
        await jetstream.stream_info(name)
    except NotFoundError:
        await jetstream.add_stream(name=name, subjects=[f"{prefix}.>"])


def retry_delay(settings: Settings, attempts: int) -> float:
    return backoff_seconds(settings.outbox_retry_base_seconds, settings.outbox_retry_cap_seconds, attempts)


# Settling is conditional on the lease: a claim that lapsed and was taken by another worker is that
# worker's to settle. Failures carry a delay of their own (the jitter), so they go as one statement
# run with a row of parameters each (the ORM's bulk update allows no condition beside the key).
_FAILED = (
    update(_OUTBOX)
    .where(_OUTBOX.c.event_id == bindparam("b_id"), _OUTBOX.c.lease_until == bindparam("b_lease"))
    .values(
        attempts=bindparam("b_attempts"),
        last_error=bindparam("b_error"),
        next_attempt_at=bindparam("b_next_at"),
        dead_at=bindparam("b_dead_at"),
        lease_until=None,
    )
)


async def settle(
    session: AsyncSession,
    settings: Settings,
    batch: Batch,
    outcomes: list[tuple[Claimed, str | None]],
    now: datetime,
) -> None:
    """Record each outcome of the batch's events: delivered, or retried later, or dead-lettered."""
    delivered = [claimed.event_id for claimed, error in outcomes if error is None]
    if delivered:
        await session.execute(
            update(_OUTBOX)
            .where(_OUTBOX.c.event_id.in_(delivered), _OUTBOX.c.lease_until == batch.lease)
            .values(delivered_at=now, attempts=_OUTBOX.c.attempts + 1, lease_until=None, last_error=None)
        )
    failed = []
    for claimed, error in outcomes:
        if error is None:
            continue
        attempts = claimed.attempts + 1
        dead = attempts >= settings.outbox_max_attempts
        failed.append(
            {
                "b_id": claimed.event_id,
                "b_lease": batch.lease,
                "b_attempts": attempts,
                "b_error": error,
                "b_next_at": now + timedelta(seconds=retry_delay(settings, attempts)),
                "b_dead_at": now if dead else None,
            }
        )
        log.warning(
            "outbox_dead" if dead else "outbox_retry",
            event_id=str(claimed.event_id),
            attempts=attempts,
            error=error,
        )
    if failed:
        await session.execute(_FAILED, failed)


async def deliver_due(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], transport: Transport
) -> int:
    """One round: claim a batch, send it (one event per case at most, so in any order), settle it.
    Returns how many events were claimed."""
    async with sessions() as session, session.begin():
        batch = await claim(session, settings, utcnow())
    if batch.events:
        await send_and_settle(settings, sessions, transport, batch)
    return len(batch.events)


async def send_and_settle(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], transport: Transport, batch: Batch
) -> None:
    """Send the batch's events at once (the transport bounds how many are in flight) and settle them.
    Sends still going when the lease is nearly out are given up as failed, to be retried: after the
    lease another worker may claim them, and this one could no longer settle them."""
    sends = [asyncio.create_task(transport.send(claimed.envelope)) for claimed in batch.events]
    margin = min(5.0, settings.outbox_lease_seconds / 4)
    remaining = (batch.lease - utcnow()).total_seconds() - margin
    _, late = await asyncio.wait(sends, timeout=max(remaining, 0.1))
    for task in late:
        task.cancel()
    await asyncio.gather(*late, return_exceptions=True)
    errors = [_outcome(task) for task in sends]
    async with sessions() as session, session.begin():
        await settle(session, settings, batch, list(zip(batch.events, errors, strict=True)), utcnow())


def _outcome(task: asyncio.Task[str | None]) -> str | None:
    if task.cancelled():
        return "not sent within the claim's lease"
    return task.result()


async def prune_delivered(session: AsyncSession, before: datetime) -> int:
    """Delivered events older than `before` (undelivered and dead ones stay until dealt with)."""
    result = await session.execute(
        delete(OutboxEvent).where(OutboxEvent.delivered_at.is_not(None), OutboxEvent.delivered_at < before)
    )
    return result.rowcount or 0


@dataclass(frozen=True, slots=True)
class Bounded:
    """At most CITY_COORDINATION_CONCURRENCY sends in flight: more buys nothing on loopback and costs
    httpx dearly (bench/outbox.py: its pool slows as connections grow), while a distant platform
    still gets enough requests in parallel to hide its latency."""

    inner: Transport
    slots: asyncio.Semaphore

    async def send(self, envelope: Envelope) -> str | None:
        async with self.slots:
            return await self.inner.send(envelope)


@asynccontextmanager
async def open_transport(settings: Settings) -> AsyncIterator[Transport]:
    """HTTP to CITY_COORDINATION_URL, or for a nats:// URL NATS JetStream, bounded in flight."""
    slots = asyncio.Semaphore(settings.coordination_concurrency)
    if settings.coordination_url.startswith("nats://"):
        server, prefix = nats_target(settings.coordination_url)
        # Connecting (at the start too) and reconnecting go on for as long as the server is away.
        connection = await nats.connect(server, max_reconnect_attempts=-1, error_cb=_nats_trouble)
        try:
            jetstream = connection.jetstream(timeout=settings.coordination_timeout_seconds)
            await ensure_stream(jetstream, settings.coordination_stream, prefix)
            yield Bounded(NatsTransport(settings, jetstream, prefix), slots)
        finally:
            await connection.close()
    else:
        limits = httpx.Limits(
            max_connections=settings.coordination_concurrency,
            max_keepalive_connections=settings.coordination_concurrency,
        )
        timeout = httpx.Timeout(settings.coordination_timeout_seconds)
        async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:
            yield Bounded(HttpTransport(settings, client), slots)


async def deliver_forever(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
    async with open_transport(settings) as transport:
        await _rounds(settings, sessions, transport)


async def _nats_trouble(error: Exception) -> None:
    """One line per trouble, not the client's own traceback each time."""
    log.warning("nats_trouble", error=f"{type(error).__name__}: {error}"[:ERROR_CHARS])


# Rounds in flight at once: the next batch is claimed while the last one is sent, so the database's
# time and the network's overlap. Safe for the order of a case's events: an event in flight is still
# owed, so no later event of its case is claimed until it is settled.
ROUNDS_IN_FLIGHT = 2


async def _rounds(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], transport: Transport
) -> None:
    """Claims follow each other while they come back full; an empty one waits a poll."""
    in_flight: set[asyncio.Task[None]] = set()
    try:
        while True:
            try:
                async with sessions() as session, session.begin():
                    batch = await claim(session, settings, utcnow())
            except Exception:  # a database away now may be back for the next round
                log.exception("outbox_claim_failed")
                batch = Batch(utcnow(), [])
            if batch.events:
                task = asyncio.create_task(send_and_settle(settings, sessions, transport, batch))
                task.add_done_callback(_report)
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            if len(in_flight) >= ROUNDS_IN_FLIGHT:
                await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            elif len(batch.events) < settings.outbox_batch_size:
                await asyncio.sleep(settings.outbox_poll_seconds)
    finally:
        for task in in_flight:
            task.cancel()


def _report(task: asyncio.Task[None]) -> None:
    """A round that failed to settle (the database away) leaves its leases to lapse: retried later."""
    if not task.cancelled() and task.exception() is not None:
        log.error("outbox_settle_failed", error=repr(task.exception())[:ERROR_CHARS])
