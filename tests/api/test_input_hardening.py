"""Bad input from anyone, signed in or not, gets a 4xx problem with a code, never a 500, and nothing
stored is touched: broken JSON, control characters, blank-looking text, lax types, big bodies,
impossible coordinates, bodies that never arrive."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import uuid
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar
from PIL import Image
from sqlalchemy import func, select, text

from backend.cases.models import Case
from tests.api.conftest import INSIDE, act, request_body, staff_headers, submit, upload_photo

REQUESTS = "/api/v1/requests"


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code and body["status"] == status
    return body


async def count_cases(app: Litestar) -> int:
    async with app.state.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(Case)) or 0


async def post_raw(
    client: httpx.AsyncClient, path: str, body: bytes, headers: dict[str, str]
) -> httpx.Response:
    return await client.post(path, content=body, headers={"Content-Type": "application/json", **headers})


async def test_broken_json_is_a_400(client: httpx.AsyncClient, device: dict[str, str], app: Litestar) -> None:
    valid = msgspec.json.encode(request_body())
    bad_utf8 = valid.replace("井盖".encode(), b"\xff\xfe\xfd")
    problem(await post_raw(client, REQUESTS, bad_utf8, device), 400, "invalid_json")
    # An unknown field's value is skipped, not read into a type: nesting alone has to be caught.
    deep = b'{"username":"a","password":"b","x":' + b"[" * 1000 + b"]" * 1000 + b"}"
    problem(await post_raw(client, "/api/v1/auth/login", deep, {}), 400, "invalid_json")
    typed = b'{"client_id":' + b"[" * 1000 + b"]" * 1000 + b"}"
    problem(await post_raw(client, REQUESTS, typed, device), 422, "validation_error")
    problem(await post_raw(client, "/api/v1/auth/login", b'{"username": "a', {}), 400, "invalid_json")
    assert await count_cases(app) == 0


async def test_nul_and_control_characters_are_refused_everywhere(
    client: httpx.AsyncClient, app: Litestar, device: dict[str, str]
) -> None:
    """On PostgreSQL a NUL in any text parameter used to end in a 500 that logged the SQL parameters."""
    staff = await staff_headers(app, "dispatcher", "supervisor", "admin")
    case = await submit(client, device)
    refused = [
        await client.post("/api/v1/auth/login", json={"username": "a\x00b", "password": "x"}),
        await client.post(REQUESTS, json=request_body(description="井盖\x00松动"), headers=device),
        await client.post(REQUESTS, json=request_body(address="路\x07口"), headers=device),
        await act(
            client,
            staff,
            case["id"],
            "reject",
            1,
            public_message="重复\x00",
        ),
        await client.put(
            "/api/v1/admin/departments/D99",
            json={"name_zh": "部门\x00", "name_en": "Dept"},
            headers=staff,
        ),
    ]
    for response, field in zip(
        refused, ("username", "description", "address", "public_message", "name_zh"), strict=True
    ):
        body = problem(response, 422, "control_characters")
        assert [f["name"] for f in body["fields"]] == [field]
    for path in (
        "/api/v1/staff/cases?q=%00",
        "/api/v1/staff/cases?category=C01%00",
        "/api/v1/staff/cases/counts?grid=%1b",
        "/api/v1/requests/nearby?lat=30.27&lng=120.15&category_code=C%0001",
        "/%00",
        "/reports/%00/x",
    ):
        problem(await client.get(path, headers=staff), 400, "control_characters")
    detail = (await client.get(f"/api/v1/staff/cases/{case['id']}", headers=staff)).json()
    assert detail["summary"]["status"] == "submitted", "a refused action changed the case"


async def test_database_errors_reach_the_log_without_their_values(
    app: Litestar,
    client: httpx.AsyncClient,
    device: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A failing statement logs what failed, not the values it carried (PostgreSQL's DETAIL repeats
    the whole row)."""
    secret = f"秘密-{uuid.uuid4().hex}"

    async def failing(session: Any, *_: Any) -> str:
        await session.execute(
            text(
                "INSERT INTO users (id, kind, roles, display_name, is_active)"
                " VALUES (NULL, 'x', '[]', :n, true)"
            ),
            {"n": secret},
        )
        return "unreachable"

    monkeypatch.setattr("backend.cases.intake.store", failing)
    with caplog.at_level(logging.INFO):
        response = await client.post(REQUESTS, json=request_body(), headers=device)
    problem(response, 500, "internal_error")
    assert "database_error" in caplog.text, "the failure was not logged at all"
    assert secret not in caplog.text
    assert secret not in response.text


async def test_path_segments_too_long_for_a_file_name(client: httpx.AsyncClient) -> None:
    problem(await client.get("/" + "a" * 300), 404, "not_found")
    problem(await client.get("/assets/" + "b" * 256 + ".js"), 404, "not_found")


async def test_text_that_looks_empty_is_not_text(
    client: httpx.AsyncClient, app: Litestar, device: dict[str, str]
) -> None:
    for blank in ("   ", "\u200b\u200b", " \u3000\u200d\ufeff ", "\u2066\u2069", "\u3164"):
        body = problem(
            await client.post(REQUESTS, json=request_body(description=blank), headers=device),
            422,
            "blank_text",
        )
        assert [f["name"] for f in body["fields"]] == ["description"]
    staff = await staff_headers(app, "dispatcher")
    case = await submit(client, device)
    problem(await act(client, staff, case["id"], "reject", 1, public_message=" \u200b "), 422, "blank_text")
    assert await count_cases(app) == 1


async def test_bidi_controls_are_removed_before_storing(
    client: httpx.AsyncClient, app: Litestar, device: dict[str, str]
) -> None:
    case = await submit(
        client, device, description="付款\u202e到账号 123\u202c 的单位", address="\u2067示范路\u2069 8 号"
    )
    assert case["description"] == "付款到账号 123 的单位"
    async with app.state.sessionmaker() as session:
        stored = (await session.execute(select(Case.description, Case.address))).one()
    assert stored == ("付款到账号 123 的单位", "示范路 8 号")


async def test_a_reused_client_id_with_another_body_is_a_conflict(
    client: httpx.AsyncClient, app: Litestar, device: dict[str, str]
) -> None:
    body = request_body()
    first = await client.post(REQUESTS, json=body, headers=device)
    assert first.status_code == 201
    same = await client.post(REQUESTS, json=body, headers=device)
    assert same.status_code == 200 and same.json()["id"] == first.json()["id"]
    other = {**body, "description": "完全不同的一件事"}
    problem(await client.post(REQUESTS, json=other, headers=device), 422, "idempotency_key_conflict")
    assert await count_cases(app) == 1


async def test_types_are_strict_at_the_edge(
    client: httpx.AsyncClient, app: Litestar, device: dict[str, str]
) -> None:
    staff = await staff_headers(app, "dispatcher")
    case = await submit(client, device)
    lax = await act(client, staff, case["id"], "accept", "1")  # type: ignore[arg-type]
    assert [f["name"] for f in problem(lax, 422, "validation_error")["fields"]] == ["expected_version"]
    as_text = await client.post(
        REQUESTS,
        content=msgspec.json.encode(request_body()),
        headers={**device, "Content-Type": "text/plain"},
    )
    problem(as_text, 415, "json_required")
    nil = await client.post(REQUESTS, json=request_body(client_id=str(uuid.UUID(int=0))), headers=device)
    problem(nil, 422, "validation_error")
    score = await client.post(f"{REQUESTS}/{case['id']}/rating", json={"score": "5"}, headers=device)
    problem(score, 422, "validation_error")
    assert await count_cases(app) == 1


async def test_json_routes_take_small_bodies_and_uploads_large_ones(
    client: httpx.AsyncClient, device: dict[str, str], app: Litestar
) -> None:
    limit = app.state.settings.max_json_bytes
    huge = request_body(description="长" * 100, address="路")
    huge["padding"] = "x" * (limit + 10)
    body = problem(await client.post(REQUESTS, json=huge, headers=device), 413, "payload_too_large")
    assert "64 KB" in body["detail"]
    assert await count_cases(app) == 0
    # A photo far bigger than the JSON limit still goes through.
    buffer = io.BytesIO()
    Image.frombytes("RGB", (400, 400), os.urandom(400 * 400 * 3)).save(buffer, "JPEG", quality=95)
    assert len(buffer.getvalue()) > 2 * limit
    upload = await upload_photo(client, device, buffer.getvalue())
    assert upload.status_code == 201, upload.text


@pytest.mark.parametrize(
    "query",
    [
        "lat=91&lng=120",
        "lat=-90.5&lng=120",
        "lat=nan&lng=120.15",
        "lat=30.27&lng=inf",
        "lat=30.27&lng=-inf",
        "lat=1e308&lng=1e308&crs=gcj02",
        "lat=30.27&lng=181&crs=gcj02",
    ],
)
async def test_nearby_checks_its_coordinates(client: httpx.AsyncClient, query: str) -> None:
    problem(await client.get(f"{REQUESTS}/nearby?{query}"), 422, "validation_error")


async def test_nearby_still_answers_good_coordinates(
    client: httpx.AsyncClient, device: dict[str, str]
) -> None:
    await submit(client, device)
    found = await client.get(
        f"{REQUESTS}/nearby?lat={INSIDE['lat']}&lng={INSIDE['lng']}&crs=gcj02&radius_m=2000"
    )
    assert found.status_code == 200 and len(found.json()["items"]) == 1


async def test_a_body_that_never_arrives_gets_408(app: Litestar) -> None:
    app.state.settings = msgspec.structs.replace(app.state.settings, body_timeout_seconds=0.2)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/auth/login",
        "raw_path": b"/api/v1/auth/login",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", b"40"),
            (b"host", b"city.test"),
        ],
        "client": ("203.0.113.9", 5000),
        "server": ("city.test", 80),
        "state": {},
    }
    await asyncio.wait_for(app(scope, receive, send), 5)
    assert sent[0]["status"] == 408
    assert msgspec.json.decode(sent[1]["body"])["code"] == "request_timeout"
