"""After-photos a `handled` callback points at: fetched with limits (scheme, size, time) and taken
through our own photo pipeline, so they are stripped and stored like any citizen's photo. All of a
callback's photos are taken or none: one that is not an image refuses the callback and leaves
nothing behind."""

from __future__ import annotations

import asyncio
import uuid

import structlog
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from backend.errors import ApiError, FieldError
from backend.settings import Settings
from backend.uploads import remote
from backend.uploads.models import Photo
from backend.uploads.service import delete_objects, store_photo
from backend.uploads.storage import ObjectStore

log = structlog.get_logger(__name__)


async def take(
    session: AsyncSession,
    store: ObjectStore,
    settings: Settings,
    slots: asyncio.Semaphore,
    owner_id: uuid.UUID,
    urls: list[str],
) -> list[uuid.UUID]:
    """The photos, stored unattached and owned by the platform, in the callback's order."""
    taken: list[uuid.UUID] = []
    # The platform is the city's own, often on its private network: its addresses are not refused.
    async with remote.client(settings.coordination_timeout_seconds, allow_private=True) as http:
        for index, url in enumerate(urls):
            try:
                data = await remote.fetch(http, url, settings.max_upload_bytes, allow_private=True)
                photo = await store_photo(session, store, settings, slots, owner_id, data)
            except (remote.Unusable, ApiError) as refused:
                reason = refused.code if isinstance(refused, ApiError) else str(refused)
                log.warning("callback_photo_refused", index=index, reason=reason)
                await discard(session, store, taken)
                raise ApiError(
                    422,
                    "callback_photo_rejected",
                    index=index + 1,
                    fields=[FieldError(name=f"photo_urls[{index}]", reason=reason)],
                ) from None
            taken.append(photo.id)
    return taken


async def discard(session: AsyncSession, store: ObjectStore, photo_ids: list[uuid.UUID]) -> None:
    """Photos taken for a callback that will not use them (refused, or a duplicate)."""
    if not photo_ids:
        return
    async with session.begin():
        await session.execute(delete(Photo).where(Photo.id.in_(photo_ids), Photo.case_id.is_(None)))
    await asyncio.gather(*(delete_objects(store, photo_id) for photo_id in photo_ids))
