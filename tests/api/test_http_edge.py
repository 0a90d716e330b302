"""What every answer carries: security headers, HEAD wherever GET answers, compressed JSON."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest
from litestar import Litestar

from tests.api.conftest import device_headers, staff_headers, upload_photo

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
}


@pytest.fixture
async def https_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="https://city.test") as http:
        yield http


def assert_secured(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (response.url, name)
    policy = response.headers["content-security-policy"]
    directives = dict(item.strip().split(" ", 1) for item in policy.split(";"))
    assert directives["script-src"] == "'self'", "no inline or foreign script on the app"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    permissions = response.headers["permissions-policy"]
    assert "camera=(self)" in permissions and "geolocation=(self)" in permissions
    # Inspectors record voice notes in the field app; no other origin may use the microphone.
    assert "microphone=(self)" in permissions and "payment=()" in permissions


async def test_every_answer_carries_the_security_headers(client: httpx.AsyncClient, app: Litestar) -> None:
    device = await device_headers(client)
    answers = [
        await client.get("/"),
        await client.get("/api/v1/categories"),
        await client.get("/api/v1/nothing-here"),
        await client.delete("/api/v1/categories"),
        await client.get("/api/v1/requests", headers={"Authorization": "Bearer forged"}),
        await client.get("/api/v1/requests", headers=device),
        await client.get("/healthz"),
    ]
    assert [a.status_code for a in answers] == [200, 200, 404, 405, 401, 200, 200]
    for answer in answers:
        assert_secured(answer)
        assert "strict-transport-security" not in answer.headers, "HSTS only over HTTPS"
    assert "content-disposition" not in answers[0].headers


async def test_hsts_over_https_and_from_a_trusted_proxy(
    https_client: httpx.AsyncClient, app: Litestar
) -> None:
    answer = await https_client.get("/api/v1/categories")
    assert answer.headers["strict-transport-security"].startswith("max-age=31536000")
    # Behind a proxy the app speaks HTTP; X-Forwarded-Proto counts only from the proxy the city named.
    https_at_proxy = {"X-Forwarded-Proto": "https"}
    for client_address, trusted in (("10.0.0.5", True), ("203.0.113.7", False)):
        app.state.settings = msgspec.structs.replace(app.state.settings, trusted_proxies="10.0.0.5")
        transport = httpx.ASGITransport(app=app, client=(client_address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://city.test") as http:
            forwarded = await http.get("/healthz", headers=https_at_proxy)
        assert ("strict-transport-security" in forwarded.headers) is trusted, client_address


async def test_the_api_docs_page_gets_the_policy_it_needs(client: httpx.AsyncClient) -> None:
    docs = await client.get("/schema")
    assert docs.status_code == 200
    assert "cdn.jsdelivr.net" in docs.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in docs.headers["content-security-policy"]


async def test_head_answers_wherever_get_does(client: httpx.AsyncClient, app: Litestar) -> None:
    device = await device_headers(client)
    photo = (await upload_photo(client, device)).json()
    for path, headers in (
        ("/healthz", {}),
        ("/", {}),
        ("/requests/1", {}),
        ("/api/v1/categories", {}),
        ("/api/v1/config", {}),
        ("/api/v1/requests", device),
        (photo["thumb_url"], {}),
    ):
        get = await client.get(path, headers=headers)
        head = await client.head(path, headers=headers)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b"", path
        assert head.headers["content-type"] == get.headers["content-type"], path
        assert_secured(head)
    assert (await client.head("/api/v1/requests")).status_code == 401


async def test_head_on_the_live_stream_ends(client: httpx.AsyncClient, app: Litestar) -> None:
    staff = await staff_headers(app, "dispatcher")
    head = await asyncio.wait_for(client.head("/api/v1/staff/stream", headers=staff), 5)
    assert head.status_code == 200 and head.headers["content-type"].startswith("text/event-stream")


async def test_json_over_a_kilobyte_is_compressed(client: httpx.AsyncClient, app: Litestar) -> None:
    big = await client.get("/api/v1/categories", headers={"Accept-Encoding": "gzip"})
    assert big.headers["content-encoding"] == "gzip" and "Accept-Encoding" in big.headers["vary"]
    assert int(big.headers["content-length"]) < len(big.content)
    plain = await client.get("/api/v1/categories", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.json() == big.json()
    small = await client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers
    device = await device_headers(client)
    photo = (await upload_photo(client, device)).json()
    jpeg = await client.get(photo["display_url"], headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in jpeg.headers, "JPEGs are not compressed again"
