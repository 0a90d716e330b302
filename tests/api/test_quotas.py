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

from backend.accounts.models import AuthSession
from backend.coordination.models import OutboxEvent
from backend.db import utcnow
from backend.notify.models import LiveEvent
from backend.quotas.models import QuotaHit
from backend.quotas.service import LONGEST_WINDOW
from backend.uploads.models import Photo
from backend.uploads.service import original_key, public_key, remove_orphans
from backend.uploads.storage import ObjectNotFound
from backend.worker import maintain
from tests.api.conftest import act, device_headers, staff_headers, submit, upload_photo


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
    # Another address is another count.
    transport = httpx.ASGITransport(app=app, client=("198.51.100.4", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://city.test") as elsewhere:
        assert (await upload_photo(elsewhere, await device_headers(elsewhere))).status_code == 201


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
    cutoff = utcnow() - timedelta(hours=hours)
    counts = await asyncio.gather(
        *(remove_orphans(app.state.sessionmaker(), app.state.store, cutoff) for _ in range(2))
    )
    assert sorted(counts) == [0, 1]
    assert await remove_orphans(app.state.sessionmaker(), app.state.store, cutoff) == 0

    async with app.state.sessionmaker() as session:
        left = {str(i) for i in await session.scalars(select(Photo.id))}
    assert left == {fresh, used}
    assert not await stored(app, orphan)
    with pytest.raises(ObjectNotFound):
        await app.state.store.get(public_key(uuid.UUID(orphan), "thumb"))
    assert await stored(app, fresh) and await stored(app, used)
    # The attached one still shows.
    assert (await client.get(f"/api/v1/photos/{used}/thumb.jpg")).status_code == 200


async def test_maintenance_prunes_only_what_has_expired(client: httpx.AsyncClient, app: Litestar) -> None:
    old, live = await device_headers(client), await device_headers(client)
    case = await submit(client, live)
    staff = await staff_headers(app, "dispatcher")
    settings = app.state.settings
    now = utcnow()
    async with app.state.sessionmaker() as session, session.begin():
        sessions = list(await session.scalars(select(AuthSession).order_by(AuthSession.created_at)))
        sessions[0].expires_at = now - timedelta(minutes=1)
        session.add_all(
            [
                QuotaHit(bucket="stale", created_at=now - LONGEST_WINDOW - timedelta(minutes=1)),
                QuotaHit(bucket="recent", created_at=now - timedelta(minutes=1)),
            ]
        )
        for event in await session.scalars(select(LiveEvent)):
            event.occurred_at = now - timedelta(days=settings.live_events_kept_days, minutes=1)
        # The submit event: delivered long ago. The stale undelivered one must stay, whatever its age.
        for event in await session.scalars(select(OutboxEvent)):
            event.delivered_at = now - timedelta(days=settings.outbox_delivered_kept_days, minutes=1)
        session.add(
            OutboxEvent(
                event_type="case.accepted",
                case_id=uuid.UUID(case["id"]),
                payload={},
                occurred_at=now - timedelta(days=400),
                next_attempt_at=now,
            )
        )
    await act(client, staff, case["id"], "accept", 1)

    await maintain(app.state.settings, app.state.sessionmaker, app.state.store)

    async with app.state.sessionmaker() as session:
        left_sessions = list(await session.scalars(select(AuthSession.id)))
        buckets = set(await session.scalars(select(QuotaHit.bucket)))
        events = list(await session.scalars(select(LiveEvent.event_type)))
        outbox = list(await session.scalars(select(OutboxEvent.delivered_at.is_(None))))
    assert outbox == [True, True], "the delivered submit event went, the two undelivered stayed"
    assert sessions[0].id not in left_sessions and len(left_sessions) == len(sessions) - 1
    assert "stale" not in buckets and "recent" in buckets
    assert events == ["case.accepted"]
    assert (await client.get("/api/v1/requests", headers=live)).status_code == 200
    assert (await client.get("/api/v1/requests", headers=old)).status_code == 401
