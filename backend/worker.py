"""The worker: delivering the outbox to the command-coordination platform (when one is configured),
applying the platform's callbacks that waited for a step taken on the desk, telling people (inbox,
Web Push, SMS for the outcome, overdue tasks), and maintenance jobs: removing orphan photos and
pruning ledgers that only matter for a while.

Every job is safe to run in several workers at once (each deletes only rows that still qualify,
in its own transaction), so the city may run `python -m backend worker` on as many machines as it
likes; the embedded default runs the same loop inside the API process (CITY_WORKER=inline).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.accounts.service import prune_sessions
from backend.accounts.sms import SmsSender, make_sms_sender
from backend.catalog.lookup import CatalogCache
from backend.coordination.callbacks import apply_all_waiting
from backend.coordination.delivery import deliver_forever, prune_delivered
from backend.db import utcnow
from backend.field.tasks import announce_overdue
from backend.notify.fanout import fan_out_pending
from backend.notify.feed import prune_live_events
from backend.notify.sending import push_forever
from backend.notify.service import prune_notifications
from backend.notify.sms_outcome import send_due
from backend.quotas.service import prune as prune_quota_hits
from backend.settings import Settings
from backend.uploads.service import remove_orphans
from backend.uploads.storage import ObjectStore

log = structlog.get_logger(__name__)


async def maintain(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], store: ObjectStore
) -> None:
    """One round of every job."""
    now = utcnow()
    async with sessions() as session:
        await remove_orphans(session, store, now - timedelta(hours=settings.orphan_photo_hours))
    async with sessions() as session, session.begin():
        await prune_quota_hits(session, now)
        await prune_sessions(session, now)
        await prune_live_events(session, now - timedelta(days=settings.live_events_kept_days))
        await prune_delivered(session, now - timedelta(days=settings.outbox_delivered_kept_days))
        await prune_notifications(
            session,
            now - timedelta(days=settings.notifications_kept_days),
            now - timedelta(days=settings.outbox_delivered_kept_days),
        )


async def run_forever(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], store: ObjectStore
) -> None:
    """Delivery (standalone without a platform: none) beside the maintenance loop."""
    loops = [
        _maintain_forever(settings, sessions, store),
        _notify_forever(settings, sessions),
        push_forever(settings, sessions),
    ]
    if settings.coordination_url:
        loops.append(deliver_forever(settings, sessions))
        loops.append(_apply_waiting_forever(settings, sessions))
    await asyncio.gather(*loops)


async def _maintain_forever(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], store: ObjectStore
) -> None:
    """A failed round is logged and the next one comes as planned."""
    while True:
        try:
            await maintain(settings, sessions, store)
        except Exception:  # a database that is away now may be back for the next round
            log.exception("maintenance_failed")
        await asyncio.sleep(settings.maintenance_interval_seconds)


async def _apply_waiting_forever(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
    """The platform's callbacks that wait for a step the desk may take (see apply_all_waiting)."""
    catalogs = CatalogCache(settings.catalog_ttl_seconds)
    while True:
        try:
            await apply_all_waiting(sessions, settings, catalogs)
        except Exception:  # as for maintenance: the next round comes as planned
            log.exception("waiting_callbacks_failed")
        await asyncio.sleep(settings.coordination_waiting_retry_seconds)


async def _notify_forever(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
    """Overdue tasks announced, notify events fanned out (until none is left), SMS outcomes sent."""
    catalogs = CatalogCache(settings.catalog_ttl_seconds)
    sms = make_sms_sender(settings)
    while True:
        try:
            await notify_round(settings, sessions, catalogs, sms)
        except Exception:  # as for maintenance: the next round comes as planned
            log.exception("notify_round_failed")
        await asyncio.sleep(settings.push_poll_seconds)


async def notify_round(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], catalogs: CatalogCache, sms: SmsSender
) -> None:
    async with sessions() as session, session.begin():
        await announce_overdue(session, utcnow())
    await fan_out_pending(settings, sessions, catalogs)
    await send_due(settings, sessions, sms)
