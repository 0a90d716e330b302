"""The SMS that tells a phone-signed-in citizen the final outcome of their report (closed, answered or
not accepted) when no push reached them: looked at once the push had its chance, skipped if one was
delivered, and at most sms_outcome_per_phone_per_day per phone."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.accounts.models import User
from backend.accounts.sms import SmsSender, SmsSendError
from backend.db import utcnow
from backend.i18n import DEFAULT_LOCALE, translate
from backend.notify.models import Notification, PushDelivery, PushSubscription, SmsOutcome
from backend.quotas.service import bucket, record, window_use
from backend.settings import Settings

log = structlog.get_logger(__name__)
BATCH = 50
LEASE_SECONDS = 120
DAY = timedelta(days=1)
# The public message is cut so that the SMS stays within two or three segments (70 Chinese characters each).
SMS_MESSAGE_CHARS = 100
_SMS = SmsOutcome.__table__


async def send_due(settings: Settings, sessions: async_sessionmaker[AsyncSession], sender: SmsSender) -> int:
    """One round; returns how many messages were sent."""
    async with sessions() as session, session.begin():
        now = utcnow()
        outbound = await _decide(session, settings, await _claim(session, now), now)
    sent: list[uuid.UUID] = []
    for notification_id, phone, text in outbound:
        try:
            await sender.send(phone, text)
        except SmsSendError:
            log.warning("sms_outcome_failed", notification_id=str(notification_id))
            continue
        sent.append(notification_id)
    async with sessions() as session, session.begin():
        now = utcnow()
        if sent:
            await session.execute(
                update(_SMS)
                .where(_SMS.c.notification_id.in_(sent))
                .values(state="sent", settled_at=now, lease_until=None)
            )
        # One that failed is due again after the wait.
        failed = [n for n, _, _ in outbound if n not in set(sent)]
        if failed:
            await session.execute(
                update(_SMS)
                .where(_SMS.c.notification_id.in_(failed))
                .values(due_at=now + timedelta(seconds=settings.sms_outcome_wait_seconds), lease_until=None)
            )
    return len(sent)


async def _claim(session: AsyncSession, now: datetime) -> list[Any]:
    due = (
        select(SmsOutcome.notification_id)
        .where(
            SmsOutcome.state == "pending",
            SmsOutcome.due_at <= now,
            or_(SmsOutcome.lease_until.is_(None), SmsOutcome.lease_until < now),
        )
        .order_by(SmsOutcome.due_at)
        .limit(BATCH)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    lease = now + timedelta(seconds=LEASE_SECONDS, microseconds=random.randrange(1_000_000))
    return list(
        await session.execute(
            update(_SMS)
            .where(_SMS.c.notification_id.in_(due))
            .values(lease_until=lease)
            .returning(_SMS.c.notification_id, _SMS.c.user_id, _SMS.c.created_at)
        )
    )


async def _decide(
    session: AsyncSession, settings: Settings, claimed: list[Any], now: datetime
) -> list[tuple[uuid.UUID, str, str]]:
    """(notification, phone, text) to send now; the rest are skipped or wait for their push."""
    outbound = []
    for notification_id, user_id, created_at in claimed:
        pushes = select(PushDelivery.id).where(PushDelivery.notification_id == notification_id)
        if await session.scalar(select(exists(pushes.where(PushDelivery.delivered_at.is_not(None))))):
            await _settle(session, notification_id, "skipped", "push_delivered", now)
            continue
        still_trying = pushes.where(PushDelivery.failed_at.is_(None), PushDelivery.delivered_at.is_(None))
        waited = (now - created_at).total_seconds()
        if waited < settings.sms_outcome_max_wait_seconds and await session.scalar(
            select(exists(still_trying))
        ):
            await session.execute(
                update(_SMS)
                .where(_SMS.c.notification_id == notification_id)
                .values(due_at=now + timedelta(seconds=settings.sms_outcome_wait_seconds), lease_until=None)
            )
            continue
        phone = await session.scalar(select(User.phone).where(User.id == user_id))
        if phone is None:
            await _settle(session, notification_id, "skipped", "no_phone", now)
            continue
        limit = bucket(settings, "sms_outcome", phone)
        used, _, _ = await window_use(session, limit, now - DAY)
        if used >= settings.sms_outcome_per_phone_per_day:
            await _settle(session, notification_id, "skipped", "rate_limited", now)
            continue
        record(session, limit, now)
        outbound.append((notification_id, phone, await _text(session, notification_id, user_id)))
    return outbound


async def _text(session: AsyncSession, notification_id: uuid.UUID, user_id: uuid.UUID) -> str:
    notification = await session.get_one(Notification, notification_id)
    # The language their browser last asked for, where they had one.
    language = await session.scalar(
        select(PushSubscription.language)
        .where(PushSubscription.user_id == user_id)
        .order_by(PushSubscription.created_at.desc())
        .limit(1)
    )
    params = notification.params
    message = params.get("message") or ""
    if len(message) > SMS_MESSAGE_CHARS:
        message = message[: SMS_MESSAGE_CHARS - 1] + "…"
    key = "sms.outcome." + notification.kind.removeprefix("case.")
    return translate(
        key + ("_message" if message else ""),
        language or DEFAULT_LOCALE,
        tracking_no=params.get("tracking_no") or "",
        message=message,
    )


async def _settle(
    session: AsyncSession, notification_id: uuid.UUID, state: str, reason: str, now: datetime
) -> None:
    await session.execute(
        update(_SMS)
        .where(_SMS.c.notification_id == notification_id)
        .values(state=state, reason=reason, settled_at=now, lease_until=None)
    )
