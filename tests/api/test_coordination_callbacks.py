"""The platform's callbacks into the workflow: signed, kept by event id, applied as the integration
role, and applied in the platform's order even when they arrive out of it."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar
from sqlalchemy import select

from backend.catalog.lookup import CatalogCache
from backend.coordination.callbacks import apply_all_waiting
from backend.coordination.models import CoordinationCallback
from backend.coordination.signing import signature
from backend.models import Case, TimelineEntry
from tests.api.conftest import act, advance, device_headers, staff_headers, submit

SECRET = "platform-secret"
CALLBACKS = "/api/v1/coordination/callbacks"


@pytest.fixture(autouse=True)
def connected(app: Litestar) -> None:
    app.state.settings = msgspec.structs.replace(
        app.state.settings, coordination_url="http://127.0.0.1:9/events", coordination_secret=SECRET
    )


def step(kind: str, case_id: str, minutes: int, **fields: Any) -> dict[str, Any]:
    at = datetime(2026, 11, 26, 8, 0, tzinfo=UTC) + timedelta(minutes=minutes)
    return {
        "type": kind,
        "event_id": str(uuid.uuid4()),
        "case_id": case_id,
        "occurred_at": at.isoformat(),
        **fields,
    }


async def send(
    client: httpx.AsyncClient,
    body: dict[str, Any],
    *,
    secret: str = SECRET,
    skew: int = 0,
    tamper: bool = False,
) -> httpx.Response:
    raw = json.dumps(body).encode()
    timestamp = int(time.time()) + skew
    headers = {
        "Content-Type": "application/json",
        "X-City-Event-Id": body["event_id"],
        "X-City-Timestamp": str(timestamp),
        "X-City-Signature": signature(secret, timestamp, raw),
    }
    return await client.post(CALLBACKS, content=raw + (b" " if tamper else b""), headers=headers)


async def accepted_case(client: httpx.AsyncClient, app: Litestar) -> tuple[dict[str, Any], dict[str, str]]:
    citizen = await device_headers(client)
    case = await submit(client, citizen)
    await act(client, await staff_headers(app, "dispatcher"), case["id"], "accept", 1)
    return case, citizen


async def stored(app: Litestar, case_id: str) -> Case:
    async with app.state.sessionmaker() as session:
        case = await session.get(Case, uuid.UUID(case_id))
        assert case is not None
        return case


async def test_the_platform_takes_a_case_through_its_steps(client: httpx.AsyncClient, app: Litestar) -> None:
    case, citizen = await accepted_case(client, app)
    deadline = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    steps = [
        step("dispatched", case["id"], 0, department_code="SZ-WATER", deadline_at=deadline.isoformat()),
        step("started", case["id"], 1),
        step("handled", case["id"], 2, feedback="已更换井盖并加固。"),
        step("closed", case["id"], 3),
    ]
    statuses = []
    for body in steps:
        answer = await send(client, body)
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "applied"
        statuses.append(answer.json()["case_status"])
    assert statuses == ["dispatched", "in_progress", "handled", "closed"]
    after = await stored(app, case["id"])
    assert after.department_code == "SZ-WATER" and after.deadline_at == deadline
    async with app.state.sessionmaker() as session:
        roles = list(
            await session.scalars(
                select(TimelineEntry.actor_role)
                .where(TimelineEntry.case_id == after.id)
                .order_by(TimelineEntry.occurred_at)
            )
        )
    assert roles[-4:] == ["integration"] * 4
    mine = (await client.get(f"/api/v1/requests/{case['id']}", headers=citizen)).json()
    assert "已更换井盖并加固。" in [e["public_message"] for e in mine["timeline"]]


async def test_the_same_callback_again_changes_nothing(client: httpx.AsyncClient, app: Litestar) -> None:
    case, _ = await accepted_case(client, app)
    body = step("dispatched", case["id"], 0, department_code="SZ-MUNI")
    assert (await send(client, body)).json()["status"] == "applied"
    version = (await stored(app, case["id"])).version
    again = await send(client, body)
    assert again.status_code == 200 and again.json() == {"status": "duplicate", "case_status": "dispatched"}
    assert (await stored(app, case["id"])).version == version


@pytest.mark.parametrize(
    "how",
    [{"tamper": True}, {"secret": "not-the-secret"}, {"skew": -301}, {"skew": 301}],
    ids=["tampered body", "wrong secret", "too old", "from the future"],
)
async def test_a_bad_signature_is_refused_and_nothing_stored(
    client: httpx.AsyncClient, app: Litestar, how: dict[str, Any]
) -> None:
    case, _ = await accepted_case(client, app)
    refused = await send(client, step("dispatched", case["id"], 0, department_code="SZ-MUNI"), **how)
    assert refused.status_code == 401 and refused.json()["code"] == "bad_signature"
    unsigned = await client.post(CALLBACKS, json=step("started", case["id"], 1))
    assert unsigned.status_code == 401
    async with app.state.sessionmaker() as session:
        assert list(await session.scalars(select(CoordinationCallback))) == []
    assert (await stored(app, case["id"])).status == "accepted"


async def test_callbacks_out_of_order_end_in_the_right_state(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    case, _ = await accepted_case(client, app)
    dispatched = step("dispatched", case["id"], 0, department_code="SZ-MUNI")
    started = step("started", case["id"], 1)
    handled = step("handled", case["id"], 2, feedback="已处理")
    assert (await send(client, handled)).json() == {"status": "waiting", "case_status": "accepted"}
    assert (await send(client, started)).json()["status"] == "waiting"
    async with app.state.sessionmaker() as session:
        waiting = list(await session.scalars(select(CoordinationCallback.waiting_for)))
    assert waiting == ["invalid_transition", "invalid_transition"]
    admin = await staff_headers(app, "admin")
    shown = (await client.get("/api/v1/admin/outbox/callbacks", headers=admin)).json()["items"]
    assert [(c["type"], c["waiting_for"]) for c in shown] == [
        ("handled", "invalid_transition"),
        ("started", "invalid_transition"),
    ]
    # The step they follow arrives: it applies, and so do the two that waited for it, in their order.
    answer = await send(client, dispatched)
    assert answer.json() == {"status": "applied", "case_status": "handled"}
    async with app.state.sessionmaker() as session:
        rows = list(
            await session.scalars(select(CoordinationCallback).order_by(CoordinationCallback.applied_at))
        )
    assert [r.callback_type for r in rows] == ["dispatched", "started", "handled"]
    assert all(r.applied_at is not None and r.waiting_for is None for r in rows)
    assert (await client.get("/api/v1/admin/outbox/callbacks", headers=admin)).json()["items"] == []


async def test_a_callback_waiting_for_a_step_taken_on_the_desk_is_applied_by_the_worker(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    case, _ = await accepted_case(client, app)
    assert (await send(client, step("started", case["id"], 1))).json()["status"] == "waiting"
    # The dispatcher dispatches on the desk (the platform is told), not the platform itself.
    desk = await staff_headers(app, "dispatcher")
    await advance(client, desk, case["id"], [("dispatch", {"department_code": "SZ-MUNI"})])
    catalogs = CatalogCache(60)
    assert (await stored(app, case["id"])).status == "dispatched"
    assert await apply_all_waiting(app.state.sessionmaker, app.state.settings, catalogs) == 1
    assert (await stored(app, case["id"])).status == "in_progress"
    async with app.state.sessionmaker() as session:
        row = await session.scalar(select(CoordinationCallback))
    assert row is not None and row.applied_at is not None and row.waiting_for is None
    assert await apply_all_waiting(app.state.sessionmaker, app.state.settings, catalogs) == 0


async def test_a_callback_for_an_unknown_case_is_not_found(client: httpx.AsyncClient) -> None:
    answer = await send(client, step("started", str(uuid.uuid4()), 0))
    assert answer.status_code == 404
