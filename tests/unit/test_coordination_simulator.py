"""The stand-in platform itself: it refuses a bad signature, answers a dispatched case with started and
handled (signed, with a photo it serves), and when told to, sends them twice and in the wrong order."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from backend.coordination.signing import signature, verify
from backend.coordination.simulator import Faults, Simulator

SECRET = "sim-secret"


class OurApi:
    """Where the stand-in's callbacks land: each is kept with whether its signature held."""

    def __init__(self) -> None:
        self.callbacks: list[dict[str, Any]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                verify(
                    SECRET,
                    self.headers["X-City-Timestamp"],
                    self.headers["X-City-Signature"],
                    body,
                    time.time(),
                )
                api.callbacks.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/callbacks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def api() -> Iterator[OurApi]:
    ours = OurApi()
    yield ours
    ours.server.shutdown()


def start(api: OurApi, faults: Faults) -> Simulator:
    return Simulator("127.0.0.1", 0, secret=SECRET, callback_url=api.url, delay=0.2, faults=faults).start()


def post_event(sim: Simulator, event_type: str, secret: str = SECRET) -> httpx.Response:
    body = json.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "event_type": event_type,
            "occurred_at": datetime.now(UTC).isoformat(),
            "case": {"id": str(uuid.uuid4()), "tracking_no": "2026112600042", "department_code": "SZ-MUNI"},
        }
    ).encode()
    stamp = int(time.time())
    headers = {"X-City-Timestamp": str(stamp), "X-City-Signature": signature(secret, stamp, body)}
    return httpx.post(f"{sim.platform.public_url}/events", content=body, headers=headers)


def wait_for(api: OurApi, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while len(api.callbacks) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # anything more would have come by now
    return api.callbacks


def test_a_dispatched_case_is_started_then_handled_with_a_photo(api: OurApi) -> None:
    sim = start(api, Faults())
    try:
        assert post_event(sim, "case.dispatched", secret="wrong").status_code == 401
        assert post_event(sim, "case.accepted").status_code == 200
        assert post_event(sim, "case.dispatched").status_code == 200
        started, handled = wait_for(api, 2)
        assert [started["type"], handled["type"]] == ["started", "handled"]
        assert started["occurred_at"] < handled["occurred_at"]
        assert "SZ-MUNI" in handled["feedback"]
        photo = httpx.get(handled["photo_urls"][0])
        assert photo.headers["content-type"] == "image/jpeg" and photo.content[:2] == b"\xff\xd8"
        received = httpx.get(f"{sim.platform.public_url}/received").json()
        assert [e["event_type"] for e in received["events"]] == ["case.accepted", "case.dispatched"]
        assert received["refused_signatures"] == 1
    finally:
        sim.close()


def test_told_to_it_sends_each_callback_twice_and_handled_first(api: OurApi) -> None:
    sim = start(api, Faults(duplicate=1.0, out_of_order=1.0))
    try:
        post_event(sim, "case.dispatched")
        sent = wait_for(api, 4)
        assert [c["type"] for c in sent] == ["handled", "handled", "started", "started"]
        assert sent[0] == sent[1] and sent[2] == sent[3], "the same event id twice"
        assert sent[2]["occurred_at"] < sent[0]["occurred_at"], (
            "the platform's own order is kept in the times"
        )
    finally:
        sim.close()
