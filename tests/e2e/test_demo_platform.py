"""The demo as `make run` starts it (`serve --demo-platform`): a case a dispatcher dispatches on the
desk is started and then handled by the stand-in platform, with its after-photo, without anyone
typing anything more. Steps 1 s apart here instead of the demo's 20."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.demo_server import free_port, start_demo_server

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The API's and the stand-in platform's base URLs."""
    platform_port = free_port()
    process, base = start_demo_server(
        REPO / "pwa" / "dist",
        tmp_path_factory.mktemp("demo-platform"),
        ["--demo-platform", str(platform_port), "--demo-platform-delay", "1"],
    )
    yield base, f"http://127.0.0.1:{platform_port}"
    process.terminate()
    process.wait(10)


def test_a_dispatched_case_is_started_and_handled_by_the_stand_in_platform(demo: tuple[str, str]) -> None:
    base, platform = demo
    with httpx.Client(base_url=base, timeout=10) as api:
        token = api.post("/api/v1/auth/login", json={"username": "dispatcher", "password": "dispatcher-demo"})
        api.headers["Authorization"] = f"Bearer {token.json()['token']}"
        queue = api.get("/api/v1/staff/cases", params={"status": "submitted"}).json()["items"]
        case = next(c for c in queue if c["category_code"])
        before = {p["photo"]["id"] for p in api.get(f"/api/v1/staff/cases/{case['id']}").json()["photos"]}
        for action, fields in (("accept", {}), ("dispatch", {"department_code": "SZ-MUNI"})):
            current = api.get(f"/api/v1/staff/cases/{case['id']}").json()["summary"]
            answer = api.post(
                f"/api/v1/staff/cases/{case['id']}/actions",
                json={"action": action, "expected_version": current["version"], **fields},
            )
            assert answer.status_code == 200, answer.text

        handled = wait_for_status(api, case["id"], "handled")
        steps = [(e["action"], e["actor_role"]) for e in handled["timeline"]][-2:]
        assert steps == [("start", "integration"), ("handle", "integration")]
        assert "SZ-MUNI" in handled["timeline"][-1]["public_message"]
        after = [p["photo"] for p in handled["photos"] if p["photo"]["id"] not in before]
        assert len(after) == 1, "the department's after-photo joined the case"
        shown = api.get(after[0]["display_url"])
        assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
        assert b"Exif" not in shown.content[:200], "stripped like any photo"

    told = ["case.accepted", "case.dispatched", "case.started", "case.handled"]
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        received = httpx.get(f"{platform}/received").json()["events"]
        mine = [e["event_type"] for e in received if e["case_id"] == case["id"]]
        if mine[-4:] == told:
            break
        time.sleep(0.3)
    assert mine[-4:] == told, "the platform hears of every step, the desk's and its own, in order"


def wait_for_status(api: httpx.Client, case_id: str, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        case = api.get(f"/api/v1/staff/cases/{case_id}").json()
        if case["summary"]["status"] == status:
            return dict(case)
        time.sleep(0.3)
    raise AssertionError(f"the case did not reach {status}: {case['summary']['status']}")
