"""A `handled` callback's after-photos: fetched from the platform's URLs with limits, stripped by our
pipeline and kept as the case's own; one that is not a photo refuses the callback and leaves nothing."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import msgspec
import pytest
from litestar import Litestar
from PIL import Image
from sqlalchemy import func, select

from backend.coordination.models import CoordinationCallback
from backend.models import Case
from backend.uploads.models import Photo
from tests.api.test_coordination_callbacks import SECRET, accepted_case, send, step
from tests.api.test_uploads import jpeg_with_gps
from tests.file_server import serving

LIMIT = 1024 * 1024


@pytest.fixture(scope="module")
def photo_server() -> Iterator[str]:
    """The platform's photo store: a GPS-tagged JPEG, a text file, a file over our limit, a 404."""
    files = {
        "/after.jpg": jpeg_with_gps(),
        "/notes.txt": "这不是照片".encode(),
        "/huge.jpg": b"\xff\xd8\xff" + b"\0" * (LIMIT + 1),
    }
    with serving(files) as url:
        yield url


@pytest.fixture(autouse=True)
def connected(app: Litestar) -> None:
    app.state.settings = msgspec.structs.replace(
        app.state.settings,
        coordination_url="http://127.0.0.1:9/events",
        coordination_secret=SECRET,
        max_upload_mb=LIMIT // (1024 * 1024),
    )


async def in_progress(client: httpx.AsyncClient, app: Litestar) -> str:
    case, _ = await accepted_case(client, app)
    for body in (
        step("dispatched", case["id"], 0, department_code="SZ-MUNI"),
        step("started", case["id"], 1),
    ):
        assert (await send(client, body)).json()["status"] == "applied"
    return str(case["id"])


def stored_files(app: Litestar) -> set[Path]:
    return {p for p in Path(app.state.settings.objects_dir).rglob("*") if p.is_file()}


async def photos_of(app: Litestar) -> list[Photo]:
    async with app.state.sessionmaker() as session:
        return list(await session.scalars(select(Photo).order_by(Photo.created_at)))


async def test_handled_photos_are_fetched_stripped_and_kept_as_after_photos(
    client: httpx.AsyncClient, app: Litestar, photo_server: str
) -> None:
    case_id = await in_progress(client, app)
    body = step("handled", case_id, 2, feedback="已更换井盖。", photo_urls=[f"{photo_server}/after.jpg"])
    answer = await send(client, body)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"status": "applied", "case_status": "handled"}

    [photo] = [p for p in await photos_of(app) if p.case_id == uuid.UUID(case_id)]
    assert (photo.width, photo.height) == (900, 1200), "the orientation was read, as for any upload"
    display = await app.state.store.get(f"public/{photo.id}/display.jpg")
    with Image.open(io.BytesIO(display)) as shown:
        assert not shown.getexif(), "no EXIF (so no GPS) is left on the copy anyone may see"
    shown_to_citizen = await client.get(f"/api/v1/photos/{photo.id}/display.jpg")
    assert shown_to_citizen.status_code == 200 and shown_to_citizen.content == display


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/notes.txt", "unsupported_media_type"),
        ("/huge.jpg", "too_large"),
        ("/gone.jpg", "http_404"),
    ],
)
async def test_a_photo_that_cannot_be_used_refuses_the_callback_and_leaves_nothing(
    client: httpx.AsyncClient, app: Litestar, photo_server: str, path: str, reason: str
) -> None:
    case_id = await in_progress(client, app)
    before = await photos_of(app), stored_files(app)
    version = await _version(app, case_id)
    urls = [f"{photo_server}/after.jpg", f"{photo_server}{path}"]
    body = step("handled", case_id, 2, feedback="已处理。", photo_urls=urls)

    refused = await send(client, body)
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["code"] == "callback_photo_rejected"
    assert problem["fields"] == [{"name": "photo_urls[1]", "reason": reason}]
    assert "第 2 张" in problem["detail"]
    assert (await photos_of(app), stored_files(app)) == before, "the good first photo went too"
    assert await _version(app, case_id) == version
    async with app.state.sessionmaker() as session:
        assert (
            await session.scalar(
                select(func.count())
                .select_from(CoordinationCallback)
                .where(CoordinationCallback.event_id == uuid.UUID(body["event_id"]))
            )
            == 0
        )

    body["photo_urls"] = urls[:1]
    mended = await send(client, body)
    assert mended.json() == {"status": "applied", "case_status": "handled"}, "the same event id, mended"


async def test_a_repeated_handled_callback_keeps_one_set_of_photos(
    client: httpx.AsyncClient, app: Litestar, photo_server: str
) -> None:
    case_id = await in_progress(client, app)
    body = step("handled", case_id, 2, feedback="已处理。", photo_urls=[f"{photo_server}/after.jpg"])
    assert (await send(client, body)).json()["status"] == "applied"
    files = stored_files(app)
    assert (await send(client, body)).json()["status"] == "duplicate"
    assert len([p for p in await photos_of(app) if p.case_id == uuid.UUID(case_id)]) == 1
    assert stored_files(app) == files


async def _version(app: Litestar, case_id: str) -> int:
    async with app.state.sessionmaker() as session:
        case = await session.get(Case, uuid.UUID(case_id))
        assert case is not None
        return case.version
