"""After-photos a `handled` callback points at: fetched with limits (scheme, size, time) and taken
through our own photo pipeline, so they are stripped and stored like any citizen's photo. All of a
callback's photos are taken or none: one that is not an image refuses the callback and leaves
nothing behind."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import structlog
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from backend.errors import ApiError, FieldError
from backend.settings import Settings
from backend.uploads.models import Photo
from backend.uploads.service import delete_objects, store_photo
from backend.uploads.storage import ObjectStore

log = structlog.get_logger(__name__)
MAX_REDIRECTS = 3


class Unusable(Exception):
    """Why a photo URL gave no usable photo (a stable reason, not the remote's words)."""


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
    timeout = httpx.Timeout(settings.coordination_timeout_seconds)
    async with httpx.AsyncClient(
        timeout=timeout, follow_redirects=True, max_redirects=MAX_REDIRECTS
    ) as client:
        for index, url in enumerate(urls):
            try:
                data = await _fetch(client, url, settings.max_upload_bytes)
                photo = await store_photo(session, store, settings, slots, owner_id, data)
            except (Unusable, ApiError) as refused:
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


async def _fetch(client: httpx.AsyncClient, url: str, limit: int) -> bytes:
    if not url.startswith(("https://", "http://")):
        raise Unusable("scheme_not_allowed")
    try:
        async with client.stream("GET", url) as answer:
            if not answer.is_success:
                raise Unusable(f"http_{answer.status_code}")
            if int(answer.headers.get("content-length") or 0) > limit:
                raise Unusable("too_large")
            chunks: list[bytes] = []
            size = 0
            async for chunk in answer.aiter_bytes():
                size += len(chunk)
                if size > limit:  # a length that lied, or none given
                    raise Unusable("too_large")
                chunks.append(chunk)
    except httpx.HTTPError as failed:
        raise Unusable(f"unreachable: {type(failed).__name__}") from None
    return b"".join(chunks)


async def discard(session: AsyncSession, store: ObjectStore, photo_ids: list[uuid.UUID]) -> None:
    """Photos taken for a callback that will not use them (refused, or a duplicate)."""
    if not photo_ids:
        return
    async with session.begin():
        await session.execute(delete(Photo).where(Photo.id.in_(photo_ids), Photo.case_id.is_(None)))
    await asyncio.gather(*(delete_objects(store, photo_id) for photo_id in photo_ids))
