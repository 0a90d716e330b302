"""Delivering the outbox to the command-coordination platform: a real HTTP receiver on loopback that
can refuse, fail or be down; the worker's round (claim, send signed, settle) against it."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar
from sqlalchemy import select, update

from backend.coordination.delivery import HttpTransport, claim, deliver_due, deliver_forever
from backend.coordination.models import OutboxEvent
from backend.coordination.signing import verify
from backend.db import utcnow
from backend.settings import Settings
from tests.api.conftest import act, device_headers, staff_headers, submit, upload_photo

SECRET = "test-coordination-secret"


class Receiver:
    """The platform's side: records every POST; `refuse(tracking_no)` makes it answer 500 for a case."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.refused: set[str] = set()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                envelope = json.loads(body)
                with receiver.lock:
                    refused = envelope["case"]["tracking_no"] in receiver.refused
                    if not refused:
                        receiver.received.append({"body": body, "headers": dict(self.headers), **envelope})
                self.send_response(500 if refused else 204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def types_of(self, tracking_no: str) -> list[str]:
        return [e["event_type"] for e in self.received if e["case"]["tracking_no"] == tracking_no]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.server.shutdown()
    running.server.server_close()


def platform(app: Litestar, url: str, **overrides: Any) -> Settings:
    return msgspec.structs.replace(
        app.state.settings, coordination_url=url, coordination_secret=SECRET, **overrides
    )


async def drain(settings: Settings, app: Litestar) -> None:
    """Rounds until nothing is due (a case's next event is due once its previous one is delivered)."""
    async with httpx.AsyncClient() as client:
        while await deliver_due(settings, app.state.sessionmaker, HttpTransport(settings, client)):
            pass


async def due_now(app: Litestar) -> None:
    """Skip the backoff: what was scheduled for later is due now."""
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(update(OutboxEvent).values(next_attempt_at=utcnow()))


async def outbox(app: Litestar) -> list[OutboxEvent]:
    async with app.state.sessionmaker() as session:
        return list(await session.scalars(select(OutboxEvent).order_by(OutboxEvent.occurred_at)))


async def test_events_reach_the_platform_signed_in_order_without_the_reporters_phone(
    client: httpx.AsyncClient, app: Litestar, receiver: Receiver
) -> None:
    citizen = await device_headers(client)
    photo = (await upload_photo(client, citizen)).json()["id"]
    case = await submit(client, citizen, contact_phone="13912345678", photo_ids=[photo])
    await act(client, await staff_headers(app, "dispatcher"), case["id"], "accept", 1, internal_note="属实")
    settings = platform(app, receiver.url)

    await drain(settings, app)

    assert receiver.types_of(case["tracking_no"]) == ["case.submitted", "case.accepted"]
    first = receiver.received[0]
    headers = {k.lower(): v for k, v in first["headers"].items()}
    assert headers["x-city-event-id"] == first["event_id"]
    verify(SECRET, headers["x-city-timestamp"], headers["x-city-signature"], first["body"], now=time.time())
    assert b"13912345678" not in first["body"]
    sent = first["case"]
    assert sent["category"]["gb_code"] == "0101" and sent["category"]["name_zh"] == "上水井盖"
    assert sent["photo_urls"] == [f"{settings.base_url}/api/v1/photos/{photo}/display.jpg"]
    assert sent["location"]["crs"] == "wgs84" and first["schema_version"] == 1
    assert (
        receiver.received[1]["internal_note"] == "属实"
        and receiver.received[1]["case"]["status"] == "accepted"
    )
    rows = await outbox(app)
    assert all(r.delivered_at is not None and r.attempts == 1 and r.lease_until is None for r in rows)


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/events"


async def test_the_platform_down_then_up_gets_every_event_once(
    client: httpx.AsyncClient, app: Litestar, receiver: Receiver
) -> None:
    citizen = await device_headers(client)
    cases = [await submit(client, citizen) for _ in range(3)]

    down = platform(app, _closed_port())
    async with httpx.AsyncClient() as http:
        assert await deliver_due(down, app.state.sessionmaker, HttpTransport(down, http)) == 3
    rows = await outbox(app)
    assert all(r.delivered_at is None and r.attempts == 1 and r.lease_until is None for r in rows)
    assert all(r.last_error and "Connect" in r.last_error for r in rows)
    assert all(r.next_attempt_at > utcnow() for r in rows), "retried later, not at once"

    await due_now(app)
    await drain(platform(app, receiver.url), app)
    assert sorted(e["case"]["tracking_no"] for e in receiver.received) == sorted(
        c["tracking_no"] for c in cases
    )
    assert all(r.delivered_at is not None and r.attempts == 2 for r in await outbox(app))


async def test_a_case_stuck_behind_a_failing_event_holds_no_other_case_back(
    client: httpx.AsyncClient, app: Litestar, receiver: Receiver
) -> None:
    citizen = await device_headers(client)
    desk = await staff_headers(app, "dispatcher")
    stuck, moving = await submit(client, citizen), await submit(client, citizen)
    for case in (stuck, moving):
        await act(client, desk, case["id"], "accept", 1)
    receiver.refused.add(stuck["tracking_no"])
    settings = platform(app, receiver.url)

    await drain(settings, app)
    assert receiver.types_of(moving["tracking_no"]) == ["case.submitted", "case.accepted"]
    assert receiver.types_of(stuck["tracking_no"]) == []
    # Its accepted event was never sent ahead of the submitted one that failed.
    waiting = [r for r in await outbox(app) if r.case_id == uuid.UUID(stuck["id"])]
    assert [(r.event_type, r.attempts) for r in waiting] == [("case.submitted", 1), ("case.accepted", 0)]

    receiver.refused.clear()
    await due_now(app)
    await drain(settings, app)
    assert receiver.types_of(stuck["tracking_no"]) == ["case.submitted", "case.accepted"]


async def test_the_last_failed_attempt_is_dead_lettered(
    client: httpx.AsyncClient, app: Litestar, receiver: Receiver
) -> None:
    case = await submit(client, await device_headers(client))
    await act(client, await staff_headers(app, "dispatcher"), case["id"], "accept", 1)
    receiver.refused.add(case["tracking_no"])
    settings = platform(app, receiver.url, outbox_max_attempts=2)
    for _ in range(2):
        await drain(settings, app)
        await due_now(app)
    submitted, accepted = await outbox(app)
    assert submitted.dead_at is not None and submitted.attempts == 2 and submitted.last_error == "HTTP 500"
    # Given up on, it no longer holds the case's later events: they are tried in their turn.
    assert accepted.attempts == 1 and accepted.dead_at is None


async def test_a_claim_whose_worker_died_is_taken_again_once_its_lease_lapses(
    client: httpx.AsyncClient, app: Litestar, receiver: Receiver
) -> None:
    await submit(client, await device_headers(client))
    settings = platform(app, receiver.url)
    async with app.state.sessionmaker() as session, session.begin():
        # ... and the worker is killed right after its claim
        assert len((await claim(session, settings, utcnow())).events) == 1
    await drain(settings, app)
    assert receiver.received == [], "leased to a worker that may still be sending it"
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(update(OutboxEvent).values(lease_until=utcnow() - timedelta(seconds=1)))
    await drain(settings, app)
    assert len(receiver.received) == 1


async def test_two_workers_share_the_work_without_sending_an_event_twice(
    client: httpx.AsyncClient, app: Litestar, receiver: Receiver
) -> None:
    if app.state.settings.resolved_database_url.startswith("sqlite"):
        pytest.skip("SQLite runs one worker: FOR UPDATE SKIP LOCKED is PostgreSQL's")
    citizen = await device_headers(client)
    desk = await staff_headers(app, "dispatcher")
    cases = [await submit(client, citizen) for _ in range(30)]
    for case in cases:
        await act(client, desk, case["id"], "accept", 1)
    settings = platform(app, receiver.url, outbox_batch_size=7, outbox_poll_seconds=0.02)
    # The workers' own loops: each claims its next batch while the last one is still being sent.
    workers = [asyncio.create_task(deliver_forever(settings, app.state.sessionmaker)) for _ in range(2)]
    try:
        async with asyncio.timeout(30):
            while len(receiver.received) < 60:
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # an event sent twice would have arrived by now
    finally:
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    ids = [e["event_id"] for e in receiver.received]
    assert len(ids) == 60 and len(set(ids)) == 60
    for case in cases:
        assert receiver.types_of(case["tracking_no"]) == ["case.submitted", "case.accepted"]


async def test_the_envelope_schema_is_published(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/api/v1/coordination/schema")).json()
    envelope = schema["$defs"]["Envelope"]
    assert {"event_id", "event_type", "occurred_at", "case"} <= set(envelope["required"])
    fields = {name for shape in schema["$defs"].values() for name in shape.get("properties", {})}
    assert not fields & {"contact_phone", "phone", "reporter_id", "reporter"}


async def test_admins_see_delivery_health_and_replay_dead_letters(
    client: httpx.AsyncClient, app: Litestar, receiver: Receiver
) -> None:
    admin = await staff_headers(app, "admin")
    case = await submit(client, await device_headers(client))
    other = await submit(client, await device_headers(client))
    receiver.refused.add(case["tracking_no"])
    settings = platform(app, receiver.url, outbox_max_attempts=1)
    await drain(settings, app)

    page = (await client.get("/api/v1/admin/outbox", params={"state": "dead"}, headers=admin)).json()
    assert page["counts"] == {"pending": 0, "failed": 0, "dead": 1}
    assert [(i["tracking_no"], i["last_error"]) for i in page["items"]] == [(case["tracking_no"], "HTTP 500")]
    dead_id = page["items"][0]["event_id"]
    delivered_id = str(next(r.event_id for r in await outbox(app) if r.delivered_at is not None))
    refused = await client.post(f"/api/v1/admin/outbox/{delivered_id}/replay", headers=admin)
    assert refused.status_code == 409 and refused.json()["code"] == "already_delivered"
    desk = await staff_headers(app, "dispatcher", "supervisor")
    assert (await client.post(f"/api/v1/admin/outbox/{dead_id}/replay", headers=desk)).status_code == 403

    receiver.refused.clear()
    assert (await client.post(f"/api/v1/admin/outbox/{dead_id}/replay", headers=admin)).status_code == 204
    pending = (await client.get("/api/v1/admin/outbox", params={"state": "pending"}, headers=admin)).json()
    assert pending["counts"]["dead"] == 0 and [i["event_id"] for i in pending["items"]] == [dead_id]
    await drain(settings, app)
    assert sorted(receiver.types_of(t) for t in (case["tracking_no"], other["tracking_no"])) == [
        ["case.submitted"],
        ["case.submitted"],
    ]
    assert (await client.get("/api/v1/admin/outbox", headers=admin)).json()["oldest_owed_at"] is None


async def test_an_admin_pages_through_a_long_list_oldest_first(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    admin = await staff_headers(app, "admin")
    citizen = await device_headers(client)
    cases = [await submit(client, citizen) for _ in range(5)]
    # Two events at the same moment: the event id breaks the tie, so neither is skipped or shown twice.
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(update(OutboxEvent).values(occurred_at=utcnow() - timedelta(minutes=1)))
    seen: list[str] = []
    cursor = None
    for _ in range(3):
        params = {"state": "pending", "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/api/v1/admin/outbox", params=params, headers=admin)).json()
        assert page["counts"]["pending"] == 5
        seen += [item["tracking_no"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert cursor is None
    rows = sorted(await outbox(app), key=lambda row: (row.occurred_at, row.event_id))
    assert seen == [row.payload["case"]["tracking_no"] for row in rows]
    assert sorted(seen) == sorted(case["tracking_no"] for case in cases)
    wrong = await client.get("/api/v1/admin/outbox", params={"cursor": "not-a-cursor"}, headers=admin)
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_cursor"


async def test_healthz_tells_how_old_the_oldest_owed_event_is(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    await submit(client, await device_headers(client))
    standalone = (await client.get("/healthz")).json()
    assert standalone["outbox_oldest_owed_s"] is None, "no platform: nothing is owed to anyone"
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(update(OutboxEvent).values(occurred_at=utcnow() - timedelta(minutes=10)))
    app.state.settings = platform(app, _closed_port())
    owed = (await client.get("/healthz")).json()["outbox_oldest_owed_s"]
    assert 600 <= owed < 660
