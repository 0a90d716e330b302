"""`/` serves the built PWA with the right caching, client routes fall back to index.html, and
GET /api/v1/config tells the PWA its map tiles and service area."""

from __future__ import annotations

import gzip
from pathlib import Path

import brotli
import httpx
import msgspec
import pytest
from litestar import Litestar

from backend.app import close_resources, create_app, open_resources
from backend.settings import Settings


@pytest.fixture
async def built_client(settings: Settings, tmp_path: Path) -> httpx.AsyncClient:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>shell</title>")
    (dist / "assets" / "index-abc123.js").write_text("console.log('app')")
    # What the build writes beside each asset (pwa/scripts/precompress.mjs).
    (dist / "assets" / "index-abc123.js.br").write_bytes(brotli.compress(b"console.log('app')"))
    (dist / "assets" / "index-abc123.js.gz").write_bytes(gzip.compress(b"console.log('app')"))
    (dist / "sw.js").write_text("self.addEventListener('fetch', () => {})")
    (dist / "manifest.webmanifest").write_text('{"name": "城市服务"}')
    app: Litestar = create_app(msgspec.structs.replace(settings, pwa_dir=dist))
    await open_resources(app)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://city.test"
    ) as client:
        yield client
    await close_resources(app)


async def test_assets_are_immutable_and_the_shell_is_revalidated(built_client: httpx.AsyncClient) -> None:
    asset = await built_client.get("/assets/index-abc123.js")
    assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
    for path in ("/", "/sw.js", "/manifest.webmanifest"):
        response = await built_client.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-cache", path
    assert (await built_client.get("/sw.js")).headers["content-type"] == "text/javascript; charset=utf-8"


async def test_precompressed_copies_go_to_clients_that_take_them(built_client: httpx.AsyncClient) -> None:
    path = "/assets/index-abc123.js"
    raw = await built_client.get(path, headers={"Accept-Encoding": "identity"})
    assert raw.content == b"console.log('app')" and "content-encoding" not in raw.headers
    assert raw.headers["vary"] == "Accept-Encoding"
    for accept, coding in (("gzip, deflate, br", "br"), ("gzip", "gzip"), ("br;q=0, gzip", "gzip")):
        answer = await built_client.get(path, headers={"Accept-Encoding": accept})
        assert answer.headers["content-encoding"] == coding, accept
        assert answer.headers["vary"] == "Accept-Encoding"
        assert answer.headers["content-type"].startswith("text/javascript")
        # httpx decodes the coding it was sent, so the text is the file whatever came over the wire.
        assert answer.text == "console.log('app')"
    # The app's files are compressed once, at build, never again on the way out.
    shell = await built_client.get("/", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in shell.headers


async def test_the_shell_is_not_a_download(built_client: httpx.AsyncClient) -> None:
    for path in ("/", "/requests/1", "/sw.js", "/assets/index-abc123.js"):
        assert "content-disposition" not in (await built_client.get(path)).headers, path


async def test_client_routes_fall_back_to_the_shell(built_client: httpx.AsyncClient) -> None:
    response = await built_client.get("/requests/123")
    assert response.status_code == 200 and "<title>shell</title>" in response.text
    assert response.headers["cache-control"] == "no-cache"


async def test_api_and_files_outside_the_app_are_not_the_shell(built_client: httpx.AsyncClient) -> None:
    unknown_api = await built_client.get("/api/v1/nothing-here")
    assert unknown_api.status_code == 404 and unknown_api.json()["code"] == "not_found"
    escape = await built_client.get("/..%2F..%2Fpyproject.toml")
    assert "[project]" not in escape.text


async def test_robots_txt_is_for_robots_not_the_shell(built_client: httpx.AsyncClient) -> None:
    answer = await built_client.get("/robots.txt")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    assert "<title>" not in answer.text
    rules = set(answer.text.splitlines())
    assert {"User-agent: *", "Disallow: /api/", "Disallow: /staff"} <= rules


async def test_without_a_build_the_landing_page_links_the_docs(settings: Settings, tmp_path: Path) -> None:
    app: Litestar = create_app(msgspec.structs.replace(settings, pwa_dir=tmp_path / "not-built"))
    await open_resources(app)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://city.test"
        ) as client:
            response = await client.get("/reports/anything")
    finally:
        await close_resources(app)
    assert response.status_code == 200 and "/schema" in response.text


async def test_config_gives_tiles_and_service_area(client: httpx.AsyncClient) -> None:
    config = (await client.get("/api/v1/config")).json()
    assert "{z}" in config["map"]["tile_url"] and config["map"]["attribution"]
    (south, west), (north, east) = config["service_area"]["bounds"]
    lat, lng = config["service_area"]["center"]
    assert south < lat < north and west < lng < east
    assert south == pytest.approx(30.26332) and east == pytest.approx(120.170702)
