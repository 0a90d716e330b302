"""Fixtures for the schema fuzz: one account per kind of caller, the app's own error log, and a health
check once the fuzz is done. The database, the app and the HTTP client come from tests/conftest.py."""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from hypothesis.configuration import set_hypothesis_home_dir
from litestar import Litestar

from tests.api.conftest import INSIDE, device_headers, staff_headers, submit, upload_photo
from tests.api.test_voice_notes import recording
from tests.fuzz import seeds

# Hypothesis keeps caches (and, unless told otherwise, an example database) in `.hypothesis/`;
# keep them out of the working tree: every run starts from the same, derandomized state.
_hypothesis_home = tempfile.mkdtemp(prefix="city-fuzz-hypothesis-")
atexit.register(shutil.rmtree, _hypothesis_home, ignore_errors=True)
set_hypothesis_home_dir(_hypothesis_home)


@pytest.fixture
def database_url(postgresql_url: str) -> str:
    """PostgreSQL only, as in production: what the fuzz looks for (a 5xx, an answer outside the
    schema) does not depend on the database, and tests/api/test_input_hardening.py sends the
    dialect-sensitive inputs (NUL, long text, odd Unicode) to both."""
    return postgresql_url


@pytest.fixture
async def callers(app: Litestar, client: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    """Every generated request is sent once as each of these: no Authorization header at all, a
    citizen's device, and one single-role staff account per role."""
    return {
        "anonymous": {},
        "device": await device_headers(client),
        "inspector": await staff_headers(app, "inspector"),
        "dispatcher": await staff_headers(app, "dispatcher"),
        "admin": await staff_headers(app, "admin"),
    }


@pytest.fixture
async def seeded(client: httpx.AsyncClient, callers: dict[str, dict[str, str]]) -> AsyncIterator[None]:
    """Two submitted requests, an inquiry (and their outbox events), a photo of the device's, a routing
    rule and a reply template, for the requests the fuzz makes to refer to (tests/fuzz/seeds.py)."""
    device, admin = callers["device"], callers["admin"]
    cases = [(await submit(client, device))["id"] for _ in range(2)]
    cases.append((await submit(client, device, type="inquiry", category_code=None))["id"])
    response = await upload_photo(client, device)
    assert response.status_code == 201, response.text
    rule = await client.post("/api/v1/admin/routing-rules", json=seeds.ROUTING_RULE, headers=admin)
    template = await client.post("/api/v1/admin/reply-templates", json=seeds.TEMPLATE, headers=admin)
    assert rule.status_code == 201 and template.status_code == 201, (rule.text, template.text)
    owed = await client.get("/api/v1/admin/outbox", params={"state": "pending"}, headers=admin)
    # The inspector on shift, with a task to verify the first request and a roll call to answer.
    inspector, dispatcher = callers["inspector"], callers["dispatcher"]
    here = {"location": {**INSIDE, "accuracy_m": 8.0}}
    shift = await client.post("/api/v1/field/shifts", json=here, headers=inspector)
    inspector_id = (await client.get("/api/v1/staff/inspectors", headers=dispatcher)).json()["items"][0]["id"]
    task = await client.post(
        f"/api/v1/staff/cases/{cases[0]}/tasks",
        json={"kind": "verify", "inspector_id": inspector_id},
        headers=dispatcher,
    )
    call = await client.post(
        "/api/v1/staff/roll-calls", json={"inspector_id": inspector_id}, headers=dispatcher
    )
    note = await client.post(
        "/api/v1/field/voice-notes",
        files={"file": ("note.webm", recording(1), "audio/webm")},
        headers=inspector,
    )
    api_key = await client.post("/api/v1/admin/api-keys", json={"name": "fuzz client"}, headers=admin)
    answers = (shift, task, call, note, api_key)
    assert {answer.status_code for answer in answers} == {201}, [answer.text for answer in answers]
    seeds.KNOWN.update(
        request_id=cases,
        case_id=cases,
        photo_id=[response.json()["id"]],
        rendition=["display.jpg", "thumb.jpg"],
        code=["SZ-MUNI", "SZ-ROAD"],
        rule_id=[rule.json()["id"]],
        event_id=[event["event_id"] for event in owed.json()["items"]],
        template_id=[template.json()["id"]],
        shift_id=[shift.json()["id"]],
        task_id=[task.json()["id"]],
        call_id=[call.json()["id"]],
        inspector_id=[inspector_id],
        note_id=[note.json()["id"]],
        key_id=[api_key.json()["api_key"]["id"]],
        # Open311's names: a list, a service's definition, a request (by its tracking number).
        resource=["services.json", "requests.xml", "C0101.json", "discovery.xml"],
    )
    yield
    seeds.KNOWN.clear()


class ErrorLog(logging.Handler):
    """The tracebacks the app logs while it answers (structlog renders them into `exception`)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.entries: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        event = record.msg if isinstance(record.msg, dict) else {}
        text = event.get("exception")
        if not text and record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
        self.entries.append(str(text or event.get("event") or record.getMessage()))

    def take(self) -> list[str]:
        taken, self.entries = self.entries, []
        return taken


@pytest.fixture
def error_log(app: Litestar) -> Iterator[ErrorLog]:
    # Requested after `app`: create_app() replaces the root logger's handlers.
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


@pytest.fixture
async def healthy_afterwards(client: httpx.AsyncClient) -> AsyncIterator[None]:
    """Whatever the fuzz sent, the service still passes its health check afterwards."""
    yield
    response = await client.get("/healthz")
    assert response.status_code == 200, f"GET /healthz after the fuzz: {response.status_code} {response.text}"
    assert response.json()["status"] == "ok", f"GET /healthz after the fuzz: {response.text}"
