"""Departments: staff read the active ones; admins create, rename and retire them."""

from __future__ import annotations

import uuid

import httpx
from litestar import Litestar
from sqlalchemy import select

from backend.audit.models import AuditEntry
from backend.departments.models import Department
from tests.api.conftest import act, device_headers, staff_headers, submit


async def test_admin_keeps_departments(client: httpx.AsyncClient, app: Litestar) -> None:
    admin = await staff_headers(app, "admin")
    dispatcher = await staff_headers(app, "dispatcher")
    code = f"T-{uuid.uuid4().hex[:6]}"
    body = {"name_zh": "测试养护所", "name_en": "Test Maintenance", "phone": "0571-1234567"}

    created = await client.put(f"/api/v1/admin/departments/{code}", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["name"] == "测试养护所"
    renamed = await client.put(
        f"/api/v1/admin/departments/{code}", json={**body, "name_zh": "测试养护中心"}, headers=admin
    )
    assert renamed.status_code == 200 and renamed.json()["name_zh"] == "测试养护中心"
    english = await client.get("/api/v1/departments", headers={**dispatcher, "Accept-Language": "en"})
    assert {"code": code, "name": "Test Maintenance"}.items() <= next(
        d for d in english.json()["items"] if d["code"] == code
    ).items()

    assert (
        await client.put(f"/api/v1/admin/departments/{code}", json=body, headers=dispatcher)
    ).status_code == 403
    bad_code = await client.put("/api/v1/admin/departments/no%20spaces", json=body, headers=admin)
    assert bad_code.status_code == 422 and bad_code.json()["fields"][0]["name"] == "code"
    blank = await client.put(f"/api/v1/admin/departments/{code}", json={**body, "name_en": ""}, headers=admin)
    assert blank.status_code == 422 and blank.json()["code"] == "validation_error"

    retired = await client.put(
        f"/api/v1/admin/departments/{code}", json={**body, "active": False}, headers=admin
    )
    assert retired.json()["active"] is False
    active = (await client.get("/api/v1/departments", headers=dispatcher)).json()["items"]
    assert code not in {d["code"] for d in active}
    every = (await client.get("/api/v1/admin/departments", headers=admin)).json()["items"]
    assert code in {d["code"] for d in every}

    # A retired department takes no new cases, and the case is left as it was.
    case = await submit(client, await device_headers(client))
    await act(client, dispatcher, case["id"], "accept", 1)
    refused = await act(client, dispatcher, case["id"], "dispatch", 2, department_code=code)
    assert refused.status_code == 422 and refused.json()["code"] == "unknown_department"
    async with app.state.sessionmaker() as session:
        assert (await session.get(Department, code)) is not None
        trail = list(
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.subject == code).order_by(AuditEntry.occurred_at)
            )
        )
    assert trail == ["department.created", "department.saved", "department.saved"]
    assert (await client.get("/api/v1/departments", headers=await device_headers(client))).status_code == 403
