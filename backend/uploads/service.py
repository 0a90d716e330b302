"""Accepting a photo: decode and strip off the event loop, store three copies, record it once."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

import structlog
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db import utcnow
from backend.errors import ApiError, size_text
from backend.quotas import service as quotas
from backend.settings import Settings
from backend.uploads.models import Photo
from backend.uploads.pipeline import ImageRejected, ProcessedImage, process_image
from backend.uploads.schemas import GpsOut, PhotoOut, UploadOut
from backend.uploads.storage import ObjectStore

log = structlog.get_logger(__name__)

_STATUS_BY_REJECTION = {"unsupported_media_type": 415, "image_unreadable": 422, "image_too_large": 422}


@dataclass(frozen=True, slots=True)
class Upload:
    photo: Photo
    created: bool


def display_url(photo_id: uuid.UUID) -> str:
    return f"/api/v1/photos/{photo_id}/display.jpg"


def thumb_url(photo_id: uuid.UUID) -> str:
    return f"/api/v1/photos/{photo_id}/thumb.jpg"


def public_key(photo_id: uuid.UUID, rendition: str) -> str:
    """Stripped renditions live under public/; originals never do."""
    return f"public/{photo_id}/{rendition}.jpg"


def original_key(photo_id: uuid.UUID) -> str:
    return f"originals/{photo_id}"


async def accept_upload(
    session: AsyncSession,
    store: ObjectStore,
    settings: Settings,
    slots: asyncio.Semaphore,
    owner_id: uuid.UUID,
    address: str,
    data: bytes,
    idempotency_key: str | None,
) -> Upload:
    if len(data) > settings.max_upload_bytes:
        raise ApiError(413, "payload_too_large", limit=size_text(settings.max_upload_bytes))
    digest = hashlib.sha256(data).hexdigest()
    if idempotency_key:
        existing = await _by_key(session, owner_id, idempotency_key)
        if existing is not None:
            return _replay(existing, digest)
    await _count_upload(session, settings, owner_id, address)
    try:
        photo = await store_photo(session, store, settings, slots, owner_id, data, idempotency_key)
    except IntegrityError:
        # A concurrent retry with the same Idempotency-Key won; keep its photo (ours is gone).
        existing = await _by_key(session, owner_id, idempotency_key) if idempotency_key else None
        if existing is None:
            raise
        return _replay(existing, digest)
    return Upload(photo, created=True)


async def store_photo(
    session: AsyncSession,
    store: ObjectStore,
    settings: Settings,
    slots: asyncio.Semaphore,
    owner_id: uuid.UUID,
    data: bytes,
    idempotency_key: str | None = None,
) -> Photo:
    """Decode and strip the photo, store its three copies and record it, not yet on any case. A photo
    that is not one is refused (415/422) before anything is stored."""
    # The semaphore bounds how many full-size images are in memory at once.
    async with slots:
        try:
            image = await asyncio.to_thread(
                process_image, data, max_pixels=settings.max_image_pixels, tz=settings.tz
            )
        except ImageRejected as rejected:
            raise ApiError(
                _STATUS_BY_REJECTION[rejected.code],
                rejected.code,
                max_megapixels=settings.max_image_pixels // 1_000_000,
            ) from None
    photo = _photo_row(owner_id, idempotency_key, data, hashlib.sha256(data).hexdigest(), image)
    await _store_copies(store, photo, data, image)
    try:
        async with session.begin():
            session.add(photo)
    except IntegrityError:
        await delete_objects(store, photo.id)
        raise
    log.info("photo_stored", photo_id=str(photo.id), format=image.format, bytes=len(data))
    return photo


async def _count_upload(session: AsyncSession, settings: Settings, owner_id: uuid.UUID, address: str) -> None:
    """Per device and per address: a retry of a stored photo (above) is not counted."""
    now = utcnow()
    minute = timedelta(minutes=1)
    async with session.begin():
        await quotas.take(
            session,
            quotas.bucket(settings, "upload-device", str(owner_id)),
            settings.uploads_per_device_per_minute,
            minute,
            now,
        )
        await quotas.take(
            session,
            quotas.bucket(settings, "upload-address", address),
            settings.uploads_per_address_per_minute,
            minute,
            now,
        )


def _replay(existing: Photo, digest: str) -> Upload:
    if existing.sha256 != digest:
        raise ApiError(422, "idempotency_key_conflict")
    return Upload(existing, created=False)


async def _by_key(session: AsyncSession, owner_id: uuid.UUID, key: str) -> Photo | None:
    async with session.begin():
        return await session.scalar(
            select(Photo).where(Photo.owner_id == owner_id, Photo.idempotency_key == key)
        )


def _photo_row(
    owner_id: uuid.UUID, key: str | None, data: bytes, digest: str, image: ProcessedImage
) -> Photo:
    return Photo(
        id=uuid.uuid4(),
        owner_id=owner_id,
        idempotency_key=key,
        format=image.format,
        mime_type=image.mime_type,
        byte_size=len(data),
        sha256=digest,
        phash=image.phash,
        width=image.width,
        height=image.height,
        display_width=image.display.width,
        display_height=image.display.height,
        thumb_width=image.thumb.width,
        thumb_height=image.thumb.height,
        taken_at=image.taken_at,
        gps_lat=image.gps[0] if image.gps else None,
        gps_lng=image.gps[1] if image.gps else None,
    )


async def _store_copies(store: ObjectStore, photo: Photo, original: bytes, image: ProcessedImage) -> None:
    try:
        await asyncio.gather(
            store.put(original_key(photo.id), original, image.mime_type),
            store.put(public_key(photo.id, "display"), image.display.data, "image/jpeg"),
            store.put(public_key(photo.id, "thumb"), image.thumb.data, "image/jpeg"),
        )
    except Exception as exc:
        log.error("photo_store_failed", photo_id=str(photo.id), error=type(exc).__name__)
        await delete_objects(store, photo.id)
        raise ApiError(503, "service_unavailable") from exc


async def delete_objects(store: ObjectStore, photo_id: uuid.UUID) -> None:
    keys = (original_key(photo_id), public_key(photo_id, "display"), public_key(photo_id, "thumb"))
    await asyncio.gather(*(store.delete(key) for key in keys), return_exceptions=True)


async def remove_orphans(
    session: AsyncSession, store: ObjectStore, older_than: datetime, batch: int = 500
) -> int:
    """Photos uploaded but never attached to a case, and their objects. Safe with several workers:
    a row is deleted only while still unattached, and each deleted row is reported to one of them."""
    async with session.begin():
        candidates = list(
            await session.scalars(
                select(Photo.id)
                .where(Photo.case_id.is_(None), Photo.created_at < older_than)
                .order_by(Photo.created_at)
                .limit(batch)
            )
        )
        if not candidates:
            return 0
        removed = list(
            await session.scalars(
                delete(Photo).where(Photo.id.in_(candidates), Photo.case_id.is_(None)).returning(Photo.id)
            )
        )
    # After the commit: a crash here leaves objects without a row (space), never a row without objects.
    for photo_id in removed:
        await delete_objects(store, photo_id)
    log.info("orphan_photos_removed", count=len(removed))
    return len(removed)


def photo_gps(photo: Photo) -> GpsOut | None:
    """Where the original's EXIF says it was taken: for its uploader and for staff only."""
    if photo.gps_lat is None or photo.gps_lng is None:
        return None
    return GpsOut(lat=photo.gps_lat, lng=photo.gps_lng)


def upload_out(photo: Photo) -> UploadOut:
    return UploadOut(
        id=str(photo.id),
        width=photo.width,
        height=photo.height,
        thumb_url=thumb_url(photo.id),
        display_url=display_url(photo.id),
        taken_at=photo.taken_at,
        gps=photo_gps(photo),
    )


def photo_out(photo: Photo) -> PhotoOut:
    return PhotoOut(
        id=str(photo.id),
        width=photo.width,
        height=photo.height,
        thumb_url=thumb_url(photo.id),
        display_url=display_url(photo.id),
    )


async def unclaimable(session: AsyncSession, owner_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> NoReturn:
    """Why photos could not all be claimed: the first that is not the owner's (422 photo_not_found)
    or is attached already (409 photo_in_use)."""
    rows = await session.execute(
        select(Photo.id, Photo.case_id).where(Photo.id.in_(ids), Photo.owner_id == owner_id)
    )
    attached = {photo_id: case_id is not None for photo_id, case_id in rows}
    for photo_id in ids:
        if photo_id not in attached:
            raise ApiError(422, "photo_not_found", id=str(photo_id))
        if attached[photo_id]:
            raise ApiError(409, "photo_in_use", id=str(photo_id))
    raise ApiError(409, "photo_in_use", id=str(ids[0]))


async def photos_of(session: AsyncSession, case_id: uuid.UUID) -> list[Photo]:
    return list(await session.scalars(select(Photo).where(Photo.case_id == case_id).order_by(Photo.position)))


async def claim_photos(
    session: AsyncSession,
    owner_id: uuid.UUID,
    case_id: uuid.UUID,
    ids: list[uuid.UUID],
    first_position: int = 0,
) -> None:
    """Attach the owner's own, still unattached photos to a case, in the order given; or none of them,
    saying why (unclaimable). Locked first, so two requests racing for one photo cannot both win."""
    if not ids:
        return
    claimable = await session.scalar(
        select(func.count()).select_from(
            select(Photo.id)
            .where(Photo.id.in_(ids), Photo.owner_id == owner_id, Photo.case_id.is_(None))
            .with_for_update()
            .subquery()
        )
    )
    if claimable != len(ids):
        await unclaimable(session, owner_id, ids)
    for position, photo_id in enumerate(ids, start=first_position):
        await session.execute(
            update(Photo)
            .where(Photo.id == photo_id)
            .values(case_id=case_id, position=position)
            .execution_options(synchronize_session=False)
        )
