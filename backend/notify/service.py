"""The inbox, push subscriptions and notification preferences: what the routes call."""

from __future__ import annotations

import uuid
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import delete, func, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.guards import require_role
from backend.accounts.tokens import Principal
from backend.cases import cursors
from backend.catalog.lookup import CatalogSnapshot
from backend.db import utcnow
from backend.errors import ApiError
from backend.notify.addresses import check_endpoint
from backend.notify.models import (
    Notification,
    NotificationPreference,
    NotifyEvent,
    PushDelivery,
    PushSubscription,
    SmsOutcome,
)
from backend.notify.schemas import (
    MarkReadIn,
    NotificationOut,
    NotificationPage,
    PreferencesIn,
    PreferencesOut,
    PushSubscriptionIn,
    PushSubscriptionOut,
)
from backend.notify.texts import render
from backend.notify.vapid import b64url_decode
from backend.settings import Settings

ORDER = "inbox"
# Browsers a person may have subscribed at once; a new one beyond them replaces the oldest.
MAX_SUBSCRIPTIONS = 10
TRIAGE = ("dispatcher", "supervisor")


async def subscribe(
    session: AsyncSession, settings: Settings, principal: Principal, body: PushSubscriptionIn
) -> tuple[PushSubscriptionOut, bool]:
    """Store the browser's subscription for the caller; the same endpoint again (a new key, a new
    language) replaces what the caller had stored for it. True if new."""
    origin = await check_endpoint(body.endpoint, settings.push_allow_private)
    _check_keys(body.keys.p256dh, body.keys.auth)
    values = {
        "user_id": principal.user_id,
        "origin": origin,
        "p256dh": body.keys.p256dh,
        "auth": body.keys.auth,
        "language": body.language,
    }
    stored = select(PushSubscription).where(
        PushSubscription.endpoint == body.endpoint, PushSubscription.user_id == principal.user_id
    )
    async with session.begin():
        row = await session.scalar(stored.with_for_update())
        created = row is None
        if row is None:
            try:
                async with session.begin_nested():
                    row = PushSubscription(
                        id=uuid.uuid4(), endpoint=body.endpoint, created_at=utcnow(), **values
                    )
                    session.add(row)
            except IntegrityError:
                # The same browser's other request stored it a moment ago: this one updates it.
                row = await session.scalar(stored.with_for_update())
                created = False
        assert row is not None
        for name, value in values.items():
            setattr(row, name, value)
        await session.flush()
        kept = (
            select(PushSubscription.id)
            .where(PushSubscription.user_id == principal.user_id)
            .order_by(PushSubscription.created_at.desc(), PushSubscription.id)
            .limit(MAX_SUBSCRIPTIONS)
        )
        await session.execute(
            delete(PushSubscription).where(
                PushSubscription.user_id == principal.user_id, PushSubscription.id.not_in(kept)
            )
        )
    return PushSubscriptionOut(id=row.id, endpoint=row.endpoint), created


def _check_keys(p256dh: str, auth: str) -> None:
    """A browser's keys (RFC 8291): a point on P-256, and a 16-byte secret; 422 otherwise, so that a
    subscription the worker could never encrypt for is not stored."""
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(p256dh))
        secret = b64url_decode(auth)
    except ValueError:
        raise ApiError(422, "push_keys_invalid") from None
    if len(secret) != 16:
        raise ApiError(422, "push_keys_invalid")


async def unsubscribe(session: AsyncSession, principal: Principal, endpoint: str) -> None:
    """Only the caller's own; an endpoint not stored (gone already) is no error."""
    async with session.begin():
        row = await session.scalar(
            select(PushSubscription).where(
                PushSubscription.endpoint == endpoint, PushSubscription.user_id == principal.user_id
            )
        )
        if row is not None:
            await session.delete(row)


async def inbox(
    session: AsyncSession, principal: Principal, cursor: str | None, limit: int, locale: str
) -> NotificationPage:
    query = (
        select(Notification)
        .where(Notification.user_id == principal.user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit + 1)
    )
    if cursor:
        at, last_id = cursors.decode(cursor, ORDER)
        query = query.where(tuple_(Notification.created_at, Notification.id) < tuple_(at, last_id))
    rows = list(await session.scalars(query))
    page = rows[:limit]
    next_cursor = cursors.encode(ORDER, page[-1].created_at, page[-1].id) if len(rows) > limit else None
    return NotificationPage(
        items=[_out(row, locale) for row in page],
        next_cursor=next_cursor,
        unread=await unread(session, principal),
    )


def _out(row: Notification, locale: str) -> NotificationOut:
    text = render(row.kind, row.audience, row.params, row.case_id, row.task_id, locale)
    return NotificationOut(
        id=row.id,
        kind=row.kind,
        title=text.title,
        body=text.body,
        url=text.url,
        case_id=row.case_id,
        task_id=row.task_id,
        created_at=row.created_at,
        read_at=row.read_at,
    )


async def unread(session: AsyncSession, principal: Principal) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == principal.user_id, Notification.read_at.is_(None))
    )
    return count or 0


async def mark_read(session: AsyncSession, principal: Principal, body: MarkReadIn) -> int:
    """Returns the unread count after; ids that are not the caller's are passed over."""
    async with session.begin():
        mine = (Notification.user_id == principal.user_id) & Notification.read_at.is_(None)
        if not body.all:
            mine = mine & Notification.id.in_(body.ids)
        await session.execute(update(Notification).where(mine).values(read_at=utcnow()))
        return await unread(session, principal)


async def preferences(session: AsyncSession, principal: Principal) -> PreferencesOut:
    require_role(principal, *TRIAGE)
    row = await session.get(NotificationPreference, principal.user_id)
    return (
        PreferencesOut(new_cases=row.new_cases, grid_codes=row.grid_codes)
        if row
        else PreferencesOut(False, [])
    )


async def set_preferences(
    session: AsyncSession, catalog: CatalogSnapshot, principal: Principal, body: PreferencesIn
) -> PreferencesOut:
    require_role(principal, *TRIAGE)
    grids = catalog.known_grids(body.grid_codes)
    async with session.begin():
        row = await session.get(NotificationPreference, principal.user_id, with_for_update=True)
        if row is None:
            row = NotificationPreference(user_id=principal.user_id)
            session.add(row)
        row.new_cases = body.new_cases
        row.grid_codes = grids
        row.updated_at = utcnow()
    return PreferencesOut(new_cases=body.new_cases, grid_codes=grids)


async def prune_notifications(
    session: AsyncSession, messages_before: datetime, settled_before: datetime
) -> None:
    """Old inbox messages (with what was owed for them), and the settled ledgers of push and fan-out."""
    await session.execute(
        delete(PushDelivery).where(
            PushDelivery.created_at < settled_before,
            or_(PushDelivery.delivered_at.is_not(None), PushDelivery.failed_at.is_not(None)),
        )
    )
    await session.execute(delete(NotifyEvent).where(NotifyEvent.fanned_out_at < settled_before))
    old = select(Notification.id).where(Notification.created_at < messages_before)
    await session.execute(delete(PushDelivery).where(PushDelivery.notification_id.in_(old)))
    await session.execute(delete(SmsOutcome).where(SmsOutcome.notification_id.in_(old)))
    await session.execute(delete(Notification).where(Notification.created_at < messages_before))
