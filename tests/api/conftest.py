"""Helpers for API tests: tokens, photos, points inside and outside the demo district."""

from __future__ import annotations

import io
import json
import re
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar
from PIL import Image
from sqlalchemy import update

from backend.accounts.models import User
from backend.accounts.service import open_session
from backend.cases import tally
from backend.cases.models import Case
from backend.settings import Settings

# Inside the demo district's unit grids, and far outside them.
INSIDE = {"lat": 30.2741, "lng": 120.1551}
OUTSIDE = {"lat": 31.2304, "lng": 121.4737}


def jpeg_bytes(size: tuple[int, int] = (640, 480), color: str = "steelblue") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


async def device_headers(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.post("/api/v1/auth/device")
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def upload_photo(
    client: httpx.AsyncClient, headers: dict[str, str], data: bytes | None = None, **extra_headers: str
) -> httpx.Response:
    files = {"file": ("photo.jpg", data or jpeg_bytes(), "image/jpeg")}
    return await client.post("/api/v1/uploads", files=files, headers={**headers, **extra_headers})


def request_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "client_id": str(uuid.uuid4()),
        "type": "complaint",
        "category_code": "C0101",
        "description": "井盖松动，踩上去会响。",
        "location": {**INSIDE, "accuracy_m": 12.5},
        "address": "示范路 8 号",
        "photo_ids": [],
        "contact_phone": "13912345678",
    }
    body.update(overrides)
    return body


def sms_codes(settings: Settings) -> list[dict[str, str]]:
    path = settings.sms_outbox_path
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def last_code(settings: Settings, phone: str) -> str:
    texts = [m["text"] for m in sms_codes(settings) if m["to"] == phone]
    assert texts, "no SMS was sent"
    match = re.search(r"(?<![0-9])([0-9]{6})(?![0-9])", texts[-1])
    assert match, texts[-1]
    return match.group(1)


@pytest.fixture
async def device(client: httpx.AsyncClient) -> dict[str, str]:
    return await device_headers(client)


async def staff_headers(app: Litestar, *roles: str, username: str | None = None) -> dict[str, str]:
    """A staff account with these roles and a token for it (no password: login has its own tests)."""
    settings: Settings = app.state.settings
    async with app.state.sessionmaker() as session, session.begin():
        user = User(
            id=uuid.uuid4(),
            kind="staff",
            username=username or f"staff-{uuid.uuid4().hex[:8]}",
            roles=list(roles),
        )
        session.add(user)
        await session.flush()
        token = await open_session(session, settings, user)
    return {"Authorization": f"Bearer {token.token}"}


async def submit(client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/requests", json=request_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def act(
    client: httpx.AsyncClient, headers: dict[str, str], case_id: str, action: str, version: int, **fields: Any
) -> httpx.Response:
    body = {"action": action, "expected_version": version, **fields}
    return await client.post(f"/api/v1/staff/cases/{case_id}/actions", json=body, headers=headers)


async def advance(
    client: httpx.AsyncClient, headers: dict[str, str], case_id: str, steps: list[tuple[str, dict[str, Any]]]
) -> dict[str, Any]:
    """Take several steps in turn, each on the version the previous one left; returns the last answer."""
    detail = (await client.get(f"/api/v1/staff/cases/{case_id}", headers=headers)).json()
    for action, fields in steps:
        response = await act(client, headers, case_id, action, detail["summary"]["version"], **fields)
        assert response.status_code == 200, (action, response.text)
        detail = response.json()
    return detail


# Each workflow test puts a case straight into a status at this version.
PLACED_VERSION = 5


def action_fields(action: str, target_id: str) -> dict[str, Any]:
    """A complete, valid body for each workflow action (target_id: a case a merge may go into)."""
    return {
        "accept": {},
        "reject": {"public_message": "不属于城市管理范围"},
        "merge": {"target_id": target_id},
        "dispatch": {"department_code": "SZ-MUNI"},  # a demo department
        "start": {},
        "handle": {"public_message": "已更换井盖"},
        "check_pass": {},
        "check_fail": {"internal_note": "井盖仍有晃动"},
        "reopen": {"internal_note": "市民反映问题复发"},
        "return": {"internal_note": "不属于本平台处置范围"},
        "reply": {"public_message": "您好，已为您查询：该路段由区市政设施管理中心负责。"},
        "verify": {"outcome": "confirmed"},
        "self_handle": {"public_message": "已现场扶正井盖"},
    }[action]


async def set_fields(app: Litestar, case_id: str, **values: Any) -> None:
    """Change a case around the workflow, its kept counts recounted (as after a bulk import)."""
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(update(Case).where(Case.id == uuid.UUID(case_id)).values(**values))
        await tally.recount(session)


async def put_in_status(app: Litestar, case_id: str, status: str) -> int:
    """Set a case straight into a status, with the fields that status implies; returns its version."""
    async with app.state.sessionmaker() as session, session.begin():
        case = await session.get(Case, uuid.UUID(case_id))
        assert case is not None
        at = case.created_at
        values: dict[str, Any] = {"status": status, "version": PLACED_VERSION}
        if status != "submitted":
            values["accepted_at"] = at
        if status in ("dispatched", "in_progress", "handled", "closed"):
            values |= {
                "department_code": "SZ-MUNI",
                "dispatched_at": at,
                "deadline_at": at + timedelta(hours=24),
            }
        if status in ("handled", "closed"):
            values["handled_at"] = at
        if status == "closed":
            values["closed_at"] = at
        await session.execute(update(Case).where(Case.id == case.id).values(**values))
        await tally.recount(session)
    return PLACED_VERSION
