"""Fan-out: each notify event becomes one inbox message per person who should hear of it, a push
owed to each of their devices, and for a final outcome the SMS that follows if no push reaches them.

Whoever runs it, however often: an event is claimed (FOR UPDATE SKIP LOCKED on PostgreSQL) and marked
done in the transaction that writes its messages, and a message is unique per event and person, so an
event fanned out twice still gives each person one message and one push per device.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.accounts.models import User
from backend.cases.models import Case, CaseFollower
from backend.catalog.lookup import CatalogCache, CatalogSnapshot
from backend.db import utcnow
from backend.i18n import LOCALES, translate
from backend.notify.events import CITIZEN_EVENTS, NEW_CASE, OUTCOMES, ROLL_CALL
from backend.notify.models import (
    Notification,
    NotificationPreference,
    NotifyEvent,
    PushDelivery,
    PushSubscription,
    SmsOutcome,
)
from backend.settings import Settings

CITIZEN_KINDS = ("device", "citizen")
TRIAGE = ("dispatcher", "supervisor")
# Tasks and roll calls need the inspector now; case news may wait for the phone to wake.
URGENT = ("task.assigned", "task.overdue", ROLL_CALL)

_INSERTS = {"postgresql": pg_insert, "sqlite": sqlite_insert}


async def fan_out_pending(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], catalogs: CatalogCache
) -> None:
    """Batch after batch, each in its own transaction, until no event is left."""
    async with sessions() as session:
        catalog = await catalogs.snapshot(session)
    while True:
        async with sessions() as session, session.begin():
            if not await fan_out(session, settings, catalog, utcnow()):
                return


def pending(limit: int) -> Select[tuple[NotifyEvent]]:
    return (
        select(NotifyEvent)
        .where(NotifyEvent.fanned_out_at.is_(None))
        .order_by(NotifyEvent.occurred_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


async def fan_out(session: AsyncSession, settings: Settings, catalog: CatalogSnapshot, now: datetime) -> int:
    """One batch, in the caller's transaction; returns how many events it took."""
    events = list(await session.scalars(pending(settings.push_batch_size)))
    if not events:
        return 0
    rows: list[dict[str, Any]] = []
    for event in events:
        params = _params(event, catalog)
        for user_id, audience in await _recipients(session, event):
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "event_id": event.id,
                    "user_id": user_id,
                    "kind": event.event_type,
                    "audience": audience,
                    "case_id": event.case_id,
                    "task_id": event.subject_id if event.event_type.startswith("task.") else None,
                    "params": params,
                    "created_at": event.occurred_at,
                }
            )
    created = await _insert_new(session, rows)
    await _owe_pushes(session, settings, created, now)
    await _owe_sms(session, settings, created, {e.id: e for e in events}, now)
    await session.execute(
        update(NotifyEvent).where(NotifyEvent.id.in_([e.id for e in events])).values(fanned_out_at=now)
    )
    return len(events)


def _params(event: NotifyEvent, catalog: CatalogSnapshot) -> dict[str, Any]:
    """What the texts need, kept with the message: a category renamed later does not change old news."""
    payload = event.payload
    category = catalog.categories.get(payload.get("category_code") or "")
    if category is not None:
        subject = {"zh-CN": category.name_zh, "en": category.name_en}
    elif payload.get("request_type"):
        subject = {locale: translate(f"request_type.{payload['request_type']}", locale) for locale in LOCALES}
    else:
        subject = {}
    return {
        "tracking_no": payload.get("tracking_no"),
        "subject": subject,
        "message": payload.get("message"),
        "task_kind": payload.get("task_kind"),
    }


async def _recipients(session: AsyncSession, event: NotifyEvent) -> list[tuple[uuid.UUID, str]]:
    payload = event.payload
    if event.event_type in CITIZEN_EVENTS:
        assert event.case_id is not None
        named = payload.get("audience")
        people = (
            [uuid.UUID(u) for u in named] if named else await _reporter_and_followers(session, event.case_id)
        )
        actor = uuid.UUID(payload["actor_id"])
        return [(user_id, "citizen") for user_id in await _citizens(session, people) if user_id != actor]
    if event.event_type == NEW_CASE:
        return [(user_id, "staff") for user_id in await _watching(session, payload.get("grid_code"))]
    return [(uuid.UUID(payload["inspector_id"]), "field")]


async def _reporter_and_followers(session: AsyncSession, case_id: uuid.UUID) -> list[uuid.UUID]:
    reporter = await session.scalar(select(Case.reporter_id).where(Case.id == case_id))
    followers = await session.scalars(select(CaseFollower.user_id).where(CaseFollower.case_id == case_id))
    return [reporter, *followers] if reporter else list(followers)


async def _citizens(session: AsyncSession, people: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    """Citizens among them, each once; a device that signed in with a phone since is that account."""
    rows = await session.execute(
        select(User.id, User.kind, User.merged_into_id).where(User.id.in_(set(people)), User.is_active)
    )
    found: dict[uuid.UUID, None] = {}
    for user_id, kind, merged_into in rows:
        if kind in CITIZEN_KINDS:
            found[merged_into or user_id] = None
    return list(found)


async def _watching(session: AsyncSession, grid_code: str | None) -> list[uuid.UUID]:
    """Triage staff who asked to hear of new cases, in this grid or in all."""
    rows = await session.execute(
        select(NotificationPreference.user_id, NotificationPreference.grid_codes, User.roles)
        .join(User, User.id == NotificationPreference.user_id)
        .where(NotificationPreference.new_cases, User.is_active)
    )
    return [
        user_id
        for user_id, grids, roles in rows
        if any(role in roles for role in TRIAGE) and (not grids or grid_code in grids)
    ]


async def _insert_new(session: AsyncSession, rows: list[dict[str, Any]]) -> list[Any]:
    """Messages not stored before (by another run of the same event): (id, user_id, kind, event_id)."""
    if not rows:
        return []
    insert = _INSERTS[session.get_bind().dialect.name]
    result = await session.execute(
        insert(Notification)
        .on_conflict_do_nothing(index_elements=["event_id", "user_id"])
        .returning(Notification.id, Notification.user_id, Notification.kind, Notification.event_id),
        rows,
    )
    return list(result)


async def _owe_pushes(session: AsyncSession, settings: Settings, created: list[Any], now: datetime) -> None:
    by_user: dict[uuid.UUID, list[Any]] = {}
    for row in created:
        by_user.setdefault(row.user_id, []).append(row)
    if not by_user:
        return
    devices = await session.execute(
        select(PushSubscription.id, PushSubscription.user_id).where(PushSubscription.user_id.in_(by_user))
    )
    deliveries = [
        {
            "id": uuid.uuid4(),
            "notification_id": message.id,
            "subscription_id": subscription_id,
            "urgency": "high" if message.kind in URGENT else "normal",
            "ttl_seconds": _ttl(settings, message.kind),
            "created_at": now,
            "next_attempt_at": now,
            "attempts": 0,
        }
        for subscription_id, user_id in devices
        for message in by_user[user_id]
    ]
    if deliveries:
        await session.execute(PushDelivery.__table__.insert(), deliveries)


def _ttl(settings: Settings, kind: str) -> int:
    if kind == ROLL_CALL:
        return settings.push_ttl_roll_call_seconds
    if kind.startswith("task."):
        return settings.push_ttl_task_seconds
    return settings.push_ttl_case_seconds


async def _owe_sms(
    session: AsyncSession,
    settings: Settings,
    created: list[Any],
    events: dict[uuid.UUID, NotifyEvent],
    now: datetime,
) -> None:
    """An outcome for a phone-signed-in citizen who reported the case (or a duplicate merged into it)."""
    outcomes = [row for row in created if row.kind in OUTCOMES]
    if not outcomes:
        return
    case_ids = {events[row.event_id].case_id for row in outcomes}
    own = await session.execute(select(Case.id, Case.reporter_id).where(Case.id.in_(case_ids)))
    merged = await session.execute(
        select(Case.merged_into_id, Case.reporter_id).where(Case.merged_into_id.in_(case_ids))
    )
    reported = {(case_id, reporter) for case_id, reporter in [*own, *merged]}
    with_phone = set(
        await session.scalars(
            select(User.id).where(
                User.id.in_({row.user_id for row in outcomes}),
                User.kind == "citizen",
                User.phone.is_not(None),
            )
        )
    )
    due = now + timedelta(seconds=settings.sms_outcome_wait_seconds)
    owed = [
        {
            "notification_id": row.id,
            "user_id": row.user_id,
            "state": "pending",
            "created_at": now,
            "due_at": due,
        }
        for row in outcomes
        if row.user_id in with_phone and (events[row.event_id].case_id, row.user_id) in reported
    ]
    if owed:
        await session.execute(SmsOutcome.__table__.insert(), owed)
