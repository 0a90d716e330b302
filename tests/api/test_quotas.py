"""Quotas against floods from one phone or one address, and the removal of photos nobody attached."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
import msgspec
import pytest
from litestar import Litestar
from sqlalchemy import func, select

from backend.db import utcnow
from backend.uploads.models import Photo
from backend.uploads.service import original_key, public_key
from backend.uploads.storage import ObjectNotFound
from backend.worker import maintain
from tests.api.conftest import device_headers, submit, upload_photo


def tighten(app: Litestar, **limits: int) -> None:
    app.state.settings = msgspec.structs.replace(app.state.settings, **limits)


async def test_uploads_per_device(client: httpx.AsyncClient, app: Litestar) -> None:
    tighten(app, uploads_per_device_per_minute=3)
    device = await device_headers(client)
    for _ in range(3):
        assert (await upload_photo(client, device)).status_code == 201
    refused = await upload_photo(client, device)
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    # A retry of a stored photo is not a new upload and still answers.
    key = {"Idempotency-Key": "again"}
    other = await device_headers(client)
    first = await upload_photo(client, other, **key)
    assert (await upload_photo(client, other, **key)).json()["id"] == first.json()["id"]
    async with app.state.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Photo)) == 4


async def test_uploads_per_address(client: httpx.AsyncClient, app: Litestar) -> None:
    tighten(app, uploads_per_address_per_minute=4)
    for _ in range(4):
        assert (await upload_photo(client, await device_headers(client))).status_code == 201
    refused = await upload_photo(client, await device_headers(client))
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"


async def test_device_tokens_per_address(client: httpx.AsyncClient, app: Litestar) -> None:
    tighten(app, devices_per_address_per_hour=3)
    for _ in range(3):
        assert (await client.post("/api/v1/auth/device")).status_code == 201
    refused = await client.post("/api/v1/auth/device")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 60
    # Another address is another count.
    transport = httpx.ASGITransport(app=app, client=("198.51.100.4", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://city.test") as elsewhere:
        assert (await elsewhere.post("/api/v1/auth/device")).status_code == 201


async def stored(app: Litestar, photo_id: str) -> bool:
    try:
        await app.state.store.get(original_key(uuid.UUID(photo_id)))
    except ObjectNotFound:
        return False
    return True


async def test_orphan_photos_are_removed_with_their_objects(client: httpx.AsyncClient, app: Litestar) -> None:
    device = await device_headers(client)
    orphan = (await upload_photo(client, device)).json()["id"]
    fresh = (await upload_photo(client, device)).json()["id"]
    used = (await upload_photo(client, device)).json()["id"]
    await submit(client, device, photo_ids=[used])
    hours = app.state.settings.orphan_photo_hours
    async with app.state.sessionmaker() as session, session.begin():
        for photo in await session.scalars(
            select(Photo).where(Photo.id.in_([uuid.UUID(orphan), uuid.UUID(used)]))
        ):
            photo.created_at = utcnow() - timedelta(hours=hours, minutes=5)

    # Two workers at once: each orphan is removed once, and neither fails.
    await asyncio.gather(
        *(maintain(app.state.settings, app.state.sessionmaker, app.state.store) for _ in range(2))
    )

    async with app.state.sessionmaker() as session:
        left = {str(i) for i in await session.scalars(select(Photo.id))}
    assert left == {fresh, used}
    assert not await stored(app, orphan)
    with pytest.raises(ObjectNotFound):
        await app.state.store.get(public_key(uuid.UUID(orphan), "thumb"))
    assert await stored(app, fresh) and await stored(app, used)
    # The attached one still shows.
    assert (await client.get(f"/api/v1/photos/{used}/thumb.jpg")).status_code == 200
