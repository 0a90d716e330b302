"""POST /api/v1/uploads through the real app and store: stripped public copies, private originals."""

from __future__ import annotations

import io
import uuid

import httpx
import pytest
from litestar import Litestar
from PIL import Image
from sqlalchemy import func, select

from backend.models import Photo
from backend.settings import Settings
from backend.uploads.service import original_key
from tests.api.conftest import jpeg_bytes, upload_photo


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (1200, 900), "orange")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to view
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (30.0, 16.0, 26.76), 3: "E", 4: (120.0, 9.0, 18.36)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


async def test_upload_answers_and_stores_three_copies(
    client: httpx.AsyncClient, app: Litestar, device: dict[str, str]
) -> None:
    response = await upload_photo(client, device, jpeg_with_gps())
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["width"], body["height"]) == (900, 1200), "EXIF orientation 6 makes it portrait"
    assert body["gps"]["lat"] == pytest.approx(30.2741, abs=1e-4)
    assert body["gps"]["lng"] == pytest.approx(120.1551, abs=1e-4)

    display = await client.get(body["display_url"])
    thumb = await client.get(body["thumb_url"])
    assert display.status_code == thumb.status_code == 200
    assert display.headers["content-type"] == "image/jpeg"
    assert "immutable" in display.headers["cache-control"]
    for rendition in (display.content, thumb.content):
        image = Image.open(io.BytesIO(rendition))
        assert not image.getexif(), "public copies carry no EXIF"
        assert b"Exif" not in rendition
    assert Image.open(io.BytesIO(thumb.content)).size == (240, 320)

    original = await app.state.store.get(original_key(uuid.UUID(body["id"])))
    assert original == jpeg_with_gps(), "the original is kept as uploaded, privately"
    for guess in (f"/api/v1/photos/{body['id']}/original.jpg", f"/api/v1/photos/{body['id']}/../originals"):
        assert (await client.get(guess)).status_code == 404


async def test_idempotency_key_makes_one_photo(
    client: httpx.AsyncClient, app: Litestar, device: dict[str, str]
) -> None:
    first = await upload_photo(client, device, **{"Idempotency-Key": "k-1"})
    again = await upload_photo(client, device, **{"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    async with app.state.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Photo)) == 1


async def test_idempotency_key_reused_for_other_bytes_is_refused(
    client: httpx.AsyncClient, device: dict[str, str]
) -> None:
    assert (
        await upload_photo(client, device, jpeg_bytes(color="red"), **{"Idempotency-Key": "k-2"})
    ).status_code == 201
    other = await upload_photo(client, device, jpeg_bytes(color="blue"), **{"Idempotency-Key": "k-2"})
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_conflict"


async def test_rejections_carry_their_codes(
    client: httpx.AsyncClient, app: Litestar, device: dict[str, str]
) -> None:
    truncated = jpeg_bytes((800, 600))[:2000]
    cases = [
        (b"just some text, honestly", "notes.jpg", 415, "unsupported_media_type"),
        (truncated, "cut.jpg", 422, "image_unreadable"),
    ]
    for data, name, status, code in cases:
        response = await client.post(
            "/api/v1/uploads", files={"file": (name, data, "image/jpeg")}, headers=device
        )
        assert response.status_code == status, response.text
        assert response.json()["code"] == code
    missing = await client.post(
        "/api/v1/uploads", files={"other": ("a.jpg", jpeg_bytes(), "image/jpeg")}, headers=device
    )
    assert missing.json()["code"] == "file_required"
    async with app.state.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Photo)) == 0


async def test_too_many_bytes_is_413(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, device: dict[str, str]
) -> None:
    blob = b"\xff\xd8" + b"\x00" * (settings.max_upload_bytes + 1)
    response = await client.post(
        "/api/v1/uploads", files={"file": ("big.jpg", blob, "image/jpeg")}, headers=device
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert str(settings.max_upload_mb) in response.json()["detail"]


async def test_upload_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/uploads", files={"file": ("a.jpg", jpeg_bytes(), "image/jpeg")})
    assert response.status_code == 401


async def test_unknown_photo_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/v1/photos/{uuid.uuid4()}/display.jpg")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
