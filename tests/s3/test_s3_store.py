"""S3Store through the minio client against a real S3-protocol server (moto's) on loopback."""

from __future__ import annotations

import io
import os
import socket
from collections.abc import Iterator

import httpx
import pytest
from litestar import Litestar
from moto.server import ThreadedMotoServer
from PIL import Image

from backend.app import close_resources, create_app, open_resources
from backend.settings import load_settings
from backend.uploads.storage import ObjectNotFound, S3Store

ACCESS_KEY, SECRET_KEY = "city-test-access", "city-test-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    # Moto signs nothing and stores nothing on disk; credentials only need to look like credentials.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop()


def store(endpoint: str, bucket: str) -> S3Store:
    return S3Store(
        endpoint=endpoint,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        bucket=bucket,
        secure=False,
        region="us-east-1",
    )


async def test_round_trip(s3_endpoint: str) -> None:
    s3 = store(s3_endpoint, "round-trip")
    await s3.ensure_bucket()
    await s3.ensure_bucket()  # idempotent
    await s3.check()
    big = os.urandom(2 * 1024 * 1024)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "teal").save(buffer, "JPEG")
    await s3.put("originals/abc", big, "application/octet-stream")
    await s3.put("public/abc/display.jpg", buffer.getvalue(), "image/jpeg")
    assert await s3.get("originals/abc") == big
    assert await s3.get("public/abc/display.jpg") == buffer.getvalue()
    stat = s3.client.stat_object("round-trip", "public/abc/display.jpg")
    assert stat.content_type == "image/jpeg" and stat.size == len(buffer.getvalue())
    await s3.delete("originals/abc")
    await s3.delete("originals/abc")  # a missing object is not an error
    with pytest.raises(ObjectNotFound):
        await s3.get("originals/abc")
    with pytest.raises(ValueError):
        await s3.put("../escape", b"x", "text/plain")


async def test_missing_bucket_fails_the_check(s3_endpoint: str) -> None:
    with pytest.raises(OSError):
        await store(s3_endpoint, "never-made").check()


async def test_uploads_through_the_api_land_in_s3(s3_endpoint: str, sqlite_url: str, tmp_path) -> None:  # noqa: ANN001
    settings = load_settings(
        {},
        data_dir=tmp_path,
        database_url=sqlite_url,
        secret_key="s3-test-secret-long-enough-for-hs256",
        storage="s3",
        s3_endpoint=s3_endpoint,
        s3_access_key=ACCESS_KEY,
        s3_secret_key=SECRET_KEY,
        s3_bucket="city-api",
        s3_region="us-east-1",
    )
    app: Litestar = create_app(settings)
    await open_resources(app)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://city.test") as client:
            assert (await client.get("/healthz")).json()["storage"] == "ok"
            token = (await client.post("/api/v1/auth/device")).json()["token"]
            buffer = io.BytesIO()
            Image.new("RGB", (900, 600), "navy").save(buffer, "JPEG")
            uploaded = await client.post(
                "/api/v1/uploads",
                files={"file": ("p.jpg", buffer.getvalue(), "image/jpeg")},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert uploaded.status_code == 201, uploaded.text
            photo_id = uploaded.json()["id"]
            keys = {o.object_name for o in app.state.store.client.list_objects("city-api", recursive=True)}
            assert keys == {
                f"originals/{photo_id}",
                f"public/{photo_id}/display.jpg",
                f"public/{photo_id}/thumb.jpg",
            }
            display = await client.get(uploaded.json()["display_url"])
            assert display.status_code == 200 and display.content[:2] == b"\xff\xd8"
    finally:
        await close_resources(app)
