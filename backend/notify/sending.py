"""The worker's push loop: claim owed deliveries, send each (many at once, a few per push service),
settle each as it ends. A push service that answers slowly holds only its own deliveries: while it
has its share in flight, the claim passes over its deliveries and takes everyone else's.

Claims lease rows (FOR UPDATE SKIP LOCKED on PostgreSQL) and settling is conditional on the lease,
so several workers may run this at once and a worker that died gives its claim back when it lapses.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import msgspec
import structlog
from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.db import utcnow
from backend.notify.addresses import PublicResolver
from backend.notify.models import Notification, PushDelivery, PushSubscription
from backend.notify.push import Message, Outcome, PushSender, Verdict
from backend.notify.texts import render
from backend.retries import backoff_seconds
from backend.settings import Settings

log = structlog.get_logger(__name__)
_DELIVERY = PushDelivery.__table__


@dataclass(frozen=True, slots=True)
class Due:
    id: uuid.UUID
    subscription_id: uuid.UUID
    origin: str
    attempts: int
    message: Message


def lease_seconds(settings: Settings) -> float:
    """Long enough for a claim's worth of sends to one service, a few at a time, each up to the timeout."""
    waves = settings.push_concurrency / settings.push_per_service + 1
    return settings.push_timeout_seconds * waves + 5


async def claim(
    session: AsyncSession, settings: Settings, now: datetime, limit: int, busy: list[str]
) -> tuple[datetime, list[Due]]:
    """Up to `limit` due deliveries, none to a push service in `busy`; leased until the returned time
    (its random microseconds tell this claim from any other when settling)."""
    due = (
        select(PushDelivery.id)
        .join(PushSubscription, PushSubscription.id == PushDelivery.subscription_id)
        .where(
            PushDelivery.delivered_at.is_(None),
            PushDelivery.failed_at.is_(None),
            PushDelivery.next_attempt_at <= now,
            or_(PushDelivery.lease_until.is_(None), PushDelivery.lease_until < now),
        )
        .order_by(PushDelivery.next_attempt_at)
        .limit(limit)
    )
    if busy:
        due = due.where(PushSubscription.origin.not_in(busy))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(of=PushDelivery, skip_locked=True)
    lease = now + timedelta(seconds=lease_seconds(settings), microseconds=random.randrange(1_000_000))
    ids = list(
        await session.scalars(
            update(_DELIVERY)
            .where(_DELIVERY.c.id.in_(due))
            .values(lease_until=lease, attempts=_DELIVERY.c.attempts + 1)
            .returning(_DELIVERY.c.id)
        )
    )
    if not ids:
        return lease, []
    rows = await session.execute(
        select(
            PushDelivery.id,
            PushDelivery.attempts,
            PushDelivery.ttl_seconds,
            PushDelivery.urgency,
            PushSubscription.id.label("subscription_id"),
            PushSubscription.endpoint,
            PushSubscription.origin,
            PushSubscription.p256dh,
            PushSubscription.auth,
            PushSubscription.language,
            Notification.id.label("notification_id"),
            Notification.kind,
            Notification.audience,
            Notification.params,
            Notification.case_id,
            Notification.task_id,
        )
        .join(PushSubscription, PushSubscription.id == PushDelivery.subscription_id)
        .join(Notification, Notification.id == PushDelivery.notification_id)
        .where(PushDelivery.id.in_(ids))
    )
    return lease, [_due(row) for row in rows]


def _due(row: Any) -> Due:
    text = render(row.kind, row.audience, row.params, row.case_id, row.task_id, row.language)
    # What the service worker shows and opens; nothing personal (no name, phone, address or description).
    payload = {
        "id": str(row.notification_id),
        "kind": row.kind,
        "title": text.title,
        "body": text.body,
        "url": text.url,
        "tag": text.tag,
        "case_id": str(row.case_id) if row.case_id else None,
        "task_id": str(row.task_id) if row.task_id else None,
    }
    return Due(
        id=row.id,
        subscription_id=row.subscription_id,
        origin=row.origin,
        attempts=row.attempts,
        message=Message(
            endpoint=row.endpoint,
            p256dh=row.p256dh,
            auth=row.auth,
            payload=msgspec.json.encode(payload),
            ttl=row.ttl_seconds,
            urgency=row.urgency,
            tag=text.tag,
        ),
    )


_RETRY = (
    update(_DELIVERY)
    .where(_DELIVERY.c.id == bindparam("b_id"), _DELIVERY.c.lease_until == bindparam("b_lease"))
    .values(
        next_attempt_at=bindparam("b_next_at"),
        failed_at=bindparam("b_failed_at"),
        last_status=bindparam("b_status"),
        lease_until=None,
    )
)


async def settle(
    session: AsyncSession,
    settings: Settings,
    lease: datetime,
    results: list[tuple[Due, Outcome]],
    now: datetime,
) -> None:
    """Delivered, gone (the subscription is removed with what it was owed), retried later or given up."""
    delivered = [due for due, outcome in results if outcome.verdict is Verdict.DELIVERED]
    if delivered:
        await session.execute(
            update(_DELIVERY)
            .where(_DELIVERY.c.id.in_([d.id for d in delivered]), _DELIVERY.c.lease_until == lease)
            .values(delivered_at=now, lease_until=None)
        )
        await session.execute(
            update(PushSubscription)
            .where(PushSubscription.id.in_({d.subscription_id for d in delivered}))
            .values(last_success_at=now)
        )
    gone = {due.message.endpoint for due, outcome in results if outcome.verdict is Verdict.GONE}
    if gone:
        # Every person's subscription of that browser: the endpoint is dead for all of them.
        ids = select(PushSubscription.id).where(PushSubscription.endpoint.in_(gone))
        await session.execute(delete(PushDelivery).where(PushDelivery.subscription_id.in_(ids)))
        await session.execute(delete(PushSubscription).where(PushSubscription.endpoint.in_(gone)))
        log.info("push_subscriptions_gone", count=len(gone))
    later = [
        _later(settings, due, outcome, lease, now) for due, outcome in results if outcome.verdict in _AGAIN
    ]
    if later:
        await session.execute(_RETRY, later)


_AGAIN = (Verdict.RETRY, Verdict.FAILED)


def _later(settings: Settings, due: Due, outcome: Outcome, lease: datetime, now: datetime) -> dict[str, Any]:
    final = outcome.verdict is Verdict.FAILED or due.attempts >= settings.push_max_attempts
    delay = backoff_seconds(settings.push_retry_base_seconds, settings.push_retry_cap_seconds, due.attempts)
    if outcome.retry_after is not None:
        delay = max(delay, outcome.retry_after)
    if final:
        log.warning("push_given_up", delivery_id=str(due.id), status=outcome.status, attempts=due.attempts)
    return {
        "b_id": due.id,
        "b_lease": lease,
        "b_next_at": now + timedelta(seconds=delay),
        "b_failed_at": now if final else None,
        "b_status": outcome.status,
    }


class PushLoop:
    """Sends continuously. A round settles the sends that ended and claims as many more, in one
    transaction, once half the slots are free (or nothing is in flight, or a send ended a poll ago).
    Each send reports its own end (a done callback), so a wake costs the same with 1 or 128 in flight."""

    def __init__(
        self, settings: Settings, sessions: async_sessionmaker[AsyncSession], sender: PushSender
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.sender = sender
        self.in_flight: dict[asyncio.Task[Outcome], tuple[datetime, Due]] = {}
        self.per_service: Counter[str] = Counter()
        self.gates: dict[str, asyncio.Semaphore] = {}
        self.ended: list[tuple[datetime, Due, Outcome]] = []
        self.first_ended_at = 0.0
        self.last_claim_at = 0.0
        self.woken = asyncio.Event()

    async def run_once(self) -> int:
        """Wait (at most a poll's time) until it is time for a round, then run it. Returns how many
        deliveries were claimed."""
        if not self._due():
            self.woken.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.woken.wait(), self.settings.push_poll_seconds)
            if self.in_flight and not self._due():
                return 0
        return await self._round(self.settings.push_concurrency - len(self.in_flight))

    def _due(self) -> bool:
        """Nothing in flight; or sends ended and half the slots are free, or one ended a poll ago; or
        slots are free and the last claim was a poll ago (new work may have come)."""
        if not self.in_flight:
            return True
        poll, now = self.settings.push_poll_seconds, self._clock()
        if self.ended and (
            len(self.in_flight) <= self.settings.push_concurrency // 2 or now - self.first_ended_at >= poll
        ):
            return True
        return len(self.in_flight) < self.settings.push_concurrency and now - self.last_claim_at >= poll

    def _clock(self) -> float:
        return asyncio.get_running_loop().time()

    def _ended(self, task: asyncio.Task[Outcome]) -> None:
        lease, due = self.in_flight.pop(task)
        self.per_service[due.origin] -= 1
        if task.cancelled():
            return
        if not self.ended:
            self.first_ended_at = self._clock()
        failure = task.exception()
        if failure is not None:
            log.error("push_send_crashed", delivery_id=str(due.id), error=type(failure).__name__)
        self.ended.append((lease, due, Outcome(Verdict.RETRY) if failure else task.result()))
        if self._due():
            self.woken.set()

    async def _round(self, free: int) -> int:
        ended, self.ended = self.ended, []
        busy = [origin for origin, n in self.per_service.items() if n >= self.settings.push_per_service]
        try:
            async with self.sessions() as session, session.begin():
                now = utcnow()
                by_lease: dict[datetime, list[tuple[Due, Outcome]]] = {}
                for lease, due, outcome in ended:
                    by_lease.setdefault(lease, []).append((due, outcome))
                for lease, results in by_lease.items():
                    await settle(session, self.settings, lease, results, now)
                lease, claimed = await claim(session, self.settings, now, free, busy)
            self.last_claim_at = self._clock()
        except Exception:
            # Kept for the next round: what was sent is settled once the database is back.
            self.ended = ended + self.ended
            raise
        for due in claimed:
            self.per_service[due.origin] += 1
            task = asyncio.create_task(self._send(due))
            self.in_flight[task] = (lease, due)
            task.add_done_callback(self._ended)
        return len(claimed)

    async def _send(self, due: Due) -> Outcome:
        gate = self.gates.setdefault(due.origin, asyncio.Semaphore(self.settings.push_per_service))
        async with gate:
            return await self.sender.send(due.message)


def connector(settings: Settings) -> aiohttp.TCPConnector:
    resolver = None if settings.push_allow_private else PublicResolver()
    return aiohttp.TCPConnector(limit=settings.push_concurrency, resolver=resolver)


async def push_forever(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
    async with aiohttp.ClientSession(connector=connector(settings)) as http:
        loop = PushLoop(settings, sessions, PushSender(settings, http))
        while True:
            try:
                claimed = await loop.run_once()
            except Exception:  # a database that is away now may be back for the next round
                log.exception("push_round_failed")
                claimed = 0
            if not claimed and not loop.in_flight:
                await asyncio.sleep(settings.push_poll_seconds)
