"""Delivery health for admins: what the outbox owes, what failed, what was given up; replaying it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.guards import require_role
from backend.accounts.tokens import Principal
from backend.audit import service as audit
from backend.cases import cursors
from backend.coordination.models import CoordinationCallback, OutboxEvent
from backend.coordination.schemas import (
    OutboxCounts,
    OutboxItem,
    OutboxPage,
    WaitingCallback,
    WaitingCallbackList,
)
from backend.db import utcnow
from backend.errors import ApiError
from backend.settings import Settings

OutboxState = Literal["pending", "failed", "dead"]
_OWED = and_(OutboxEvent.delivered_at.is_(None), OutboxEvent.dead_at.is_(None))
STATES: dict[str, ColumnElement[bool]] = {
    # Not tried yet, or tried and failing (retried later), or given up after the last attempt.
    "pending": and_(_OWED, OutboxEvent.attempts == 0),
    "failed": and_(_OWED, OutboxEvent.attempts > 0),
    "dead": OutboxEvent.dead_at.is_not(None),
}


async def oldest_owed(session: AsyncSession) -> datetime | None:
    """When the oldest event still owed to the platform happened (dead letters aside)."""
    return await session.scalar(select(func.min(OutboxEvent.occurred_at)).where(_OWED))


# The order every state's list is read in, oldest first; a cursor continues it.
_ORDER = "outbox"


async def outbox(
    session: AsyncSession, principal: Principal, state: OutboxState, cursor: str | None, limit: int
) -> OutboxPage:
    require_role(principal, "admin")
    counting = select(*(func.count().filter(condition) for condition in STATES.values()))
    listing = select(OutboxEvent).where(STATES[state])
    if cursor:
        at, event_id = cursors.decode(cursor, _ORDER)
        listing = listing.where(
            or_(
                OutboxEvent.occurred_at > at,
                and_(OutboxEvent.occurred_at == at, OutboxEvent.event_id > event_id),
            )
        )
    listing = listing.order_by(OutboxEvent.occurred_at, OutboxEvent.event_id).limit(limit + 1)
    async with session.begin():
        pending, failed, dead = (await session.execute(counting)).one()
        oldest = await oldest_owed(session)
        rows = list(await session.scalars(listing))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = cursors.encode(_ORDER, rows[-1].occurred_at, rows[-1].event_id)
    return OutboxPage(
        counts=OutboxCounts(pending=pending, failed=failed, dead=dead),
        oldest_owed_at=oldest,
        next_cursor=next_cursor,
        items=[
            OutboxItem(
                event_id=str(row.event_id),
                event_type=row.event_type,
                case_id=str(row.case_id) if row.case_id else None,
                tracking_no=row.payload.get("case", {}).get("tracking_no"),
                occurred_at=row.occurred_at,
                attempts=row.attempts,
                next_attempt_at=row.next_attempt_at,
                last_error=row.last_error,
                dead_at=row.dead_at,
            )
            for row in rows
        ],
    )


async def waiting_callbacks(session: AsyncSession, principal: Principal, limit: int) -> WaitingCallbackList:
    """The platform's callbacks not applied yet, oldest first: what the platform said that the case
    has not caught up with (or that the workflow refused)."""
    require_role(principal, "admin")
    query = (
        select(CoordinationCallback)
        .where(CoordinationCallback.applied_at.is_(None))
        .order_by(CoordinationCallback.received_at)
        .limit(limit)
    )
    async with session.begin():
        rows = list(await session.scalars(query))
    return WaitingCallbackList(
        items=[
            WaitingCallback(
                event_id=str(row.event_id),
                type=row.callback_type,
                case_id=str(row.case_id),
                occurred_at=row.occurred_at,
                received_at=row.received_at,
                waiting_for=row.waiting_for,
            )
            for row in rows
        ]
    )


async def replay(
    session: AsyncSession,
    settings: Settings,
    actor_id: uuid.UUID | None,
    address: str,
    event_ids: list[uuid.UUID] | None,
) -> int:
    """Make undelivered events due now with a fresh count of attempts (the given ones, or every dead
    letter when none is given); delivered ones are the platform's already. Audited."""
    now = utcnow()
    which = OutboxEvent.event_id.in_(event_ids) if event_ids is not None else STATES["dead"]
    result = await session.execute(
        update(OutboxEvent)
        .where(which, OutboxEvent.delivered_at.is_(None))
        .values(dead_at=None, attempts=0, next_attempt_at=now, lease_until=None)
    )
    replayed = result.rowcount or 0
    audit.record(
        session,
        settings,
        actor_id,
        "outbox.replayed",
        address,
        subject=",".join(str(i) for i in event_ids) if event_ids else "dead",
        details={"replayed": replayed},
    )
    return replayed


async def replay_one(
    session: AsyncSession, settings: Settings, principal: Principal, event_id: uuid.UUID, address: str
) -> None:
    require_role(principal, "admin")
    async with session.begin():
        row = await session.get(OutboxEvent, event_id, with_for_update=True)
        if row is None:
            raise ApiError(404, "not_found")
        if row.delivered_at is not None:
            raise ApiError(409, "already_delivered")
        await replay(session, settings, principal.user_id, address, [event_id])
