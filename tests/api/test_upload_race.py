"""Two uploads racing with one Idempotency-Key: both pass the first lookup before either inserts, so
the loser meets the unique constraint and must fall back to the winner's photo (or refuse a key reused
for other bytes), deleting the copies it had already stored."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import select

from backend.models import Photo
from backend.settings import Settings
from backend.uploads import service as uploads
from backend.uploads.service import original_key, public_key
from tests.api.conftest import device_headers, jpeg_bytes, upload_photo

KEY = "race-key-1"


@pytest.fixture
def racing_lookup(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The first lookup of each of two requests answers "not there yet" only once both have asked:
    neither can insert before the other has passed its check. Later lookups (the loser's fallback)
    are the real one. Returns a log of the calls."""
    real = uploads._by_key
    arrived = asyncio.Event()
    calls: list[str] = []

    async def lookup(session, owner_id, key):  # type: ignore[no-untyped-def]
        calls.append(key)
        if len(calls) > 2:
            return await real(session, owner_id, key)
        if len(calls) == 2:
            arrived.set()
        await asyncio.wait_for(arrived.wait(), timeout=10)
        return None

    monkeypatch.setattr(uploads, "_by_key", lookup)
    return calls


def stored_files(settings: Settings) -> set[str]:
    root: Path = settings.objects_dir
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def copies_of(photo_id: str) -> set[str]:
    pid = uuid.UUID(photo_id)
    return {original_key(pid), public_key(pid, "display"), public_key(pid, "thumb")}


async def photos_with_key(app: Litestar, key: str) -> list[Photo]:
    async with app.state.sessionmaker() as session:
        return list(await session.scalars(select(Photo).where(Photo.idempotency_key == key)))


async def test_same_key_same_bytes_racing_make_one_photo(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, racing_lookup: list[str]
) -> None:
    device = await device_headers(client)
    data = jpeg_bytes(color="teal")

    first, second = await asyncio.gather(
        upload_photo(client, device, data, **{"Idempotency-Key": KEY}),
        upload_photo(client, device, data, **{"Idempotency-Key": KEY}),
    )

    assert len(racing_lookup) == 3, "the loser's fallback lookup did not run: the race was not forced"
    assert sorted([first.status_code, second.status_code]) == [200, 201], (first.text, second.text)
    assert first.json()["id"] == second.json()["id"]
    rows = await photos_with_key(app, KEY)
    assert [str(row.id) for row in rows] == [first.json()["id"]]
    assert stored_files(settings) == copies_of(first.json()["id"]), "the loser's copies were left behind"
    # The winner's copies are whole and served.
    assert (await client.get(first.json()["thumb_url"])).status_code == 200


async def test_same_key_other_bytes_racing_is_a_conflict(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, racing_lookup: list[str]
) -> None:
    device = await device_headers(client)

    first, second = await asyncio.gather(
        upload_photo(client, device, jpeg_bytes(color="red"), **{"Idempotency-Key": KEY}),
        upload_photo(client, device, jpeg_bytes(color="blue"), **{"Idempotency-Key": KEY}),
    )

    assert len(racing_lookup) == 3, "the loser's fallback lookup did not run: the race was not forced"
    answers = sorted([first, second], key=lambda r: r.status_code)
    assert [r.status_code for r in answers] == [201, 422], (first.text, second.text)
    assert answers[1].json()["code"] == "idempotency_key_conflict"
    rows = await photos_with_key(app, KEY)
    assert [str(row.id) for row in rows] == [answers[0].json()["id"]]
    assert stored_files(settings) == copies_of(answers[0].json()["id"]), "the loser's copies were left behind"
