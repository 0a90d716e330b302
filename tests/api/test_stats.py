"""Evaluation indicators from the cases themselves, as JSON and as CSV."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from litestar import Litestar
from sqlalchemy import update

from backend.models import Case
from tests.api.conftest import advance, device_headers, staff_headers, submit

HANDLE = [("start", {}), ("handle", {"public_message": "已处理"})]


async def test_indicators_by_department(client: httpx.AsyncClient, app: Litestar) -> None:
    staff = await staff_headers(app, "dispatcher", "supervisor")
    citizen = await device_headers(client)
    cases = [await submit(client, citizen) for _ in range(5)]
    dispatch_muni = ("dispatch", {"department_code": "SZ-MUNI"})
    # 0: closed on time, rated 5. 1: closed after a rework, handled late, rated 2.
    await advance(client, staff, cases[0]["id"], [("accept", {}), dispatch_muni, *HANDLE, ("check_pass", {})])
    await advance(
        client,
        staff,
        cases[1]["id"],
        [("accept", {}), dispatch_muni, *HANDLE, ("check_fail", {"internal_note": "未修好"})],
    )
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(Case)
            .where(Case.id == uuid.UUID(cases[1]["id"]))
            .values(deadline_at=datetime.now(UTC) - timedelta(hours=1))
        )
    await advance(client, staff, cases[1]["id"], [*HANDLE, ("check_pass", {})])
    for case, score in ((cases[0], 5), (cases[1], 2)):
        rated = await client.post(
            f"/api/v1/requests/{case['id']}/rating", json={"score": score}, headers=citizen
        )
        assert rated.status_code == 200
    # 2: dispatched to sanitation, not handled yet. 3: rejected. 4: still waiting.
    await advance(
        client, staff, cases[2]["id"], [("accept", {}), ("dispatch", {"department_code": "SZ-SANI"})]
    )
    await advance(client, staff, cases[3]["id"], [("reject", {"public_message": "重复"})])

    answer = await client.get("/api/v1/stats/overview", params={"group_by": "department"}, headers=staff)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    total = report["total"]
    assert (total["reported"], total["accepted"], total["handled"], total["on_time"]) == (5, 3, 2, 1)
    assert total["acceptance_rate"] == 0.6
    assert total["on_time_rate"] == 0.5
    assert (total["reworked"], total["rework_rate"]) == (1, 0.5)
    assert (total["closed"], total["closure_rate"]) == (2, 0.6667)
    assert (total["rated"], total["satisfaction"]) == (2, 3.5)
    groups = {g["key"]: g for g in report["groups"]}
    assert set(groups) == {"SZ-MUNI", "SZ-SANI", None}
    assert groups["SZ-MUNI"]["closed"] == 2 and groups["SZ-MUNI"]["name"] == "区市政设施管理中心"
    assert groups["SZ-SANI"]["accepted"] == 1 and groups["SZ-SANI"]["on_time_rate"] is None
    assert groups[None]["reported"] == 2

    by_grid = (await client.get("/api/v1/stats/overview", params={"group_by": "grid"}, headers=staff)).json()
    assert sum(g["reported"] for g in by_grid["groups"]) == 5

    exported = await client.get(
        "/api/v1/stats/overview.csv",
        params={"group_by": "department"},
        headers={**staff, "Accept-Language": "en"},
    )
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    text = exported.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[-1]["name"] == "Total" and rows[-1]["reported"] == "5"
    assert next(r for r in rows if r["key"] == "SZ-MUNI")["satisfaction"] == "3.5"


async def test_the_period_is_in_city_days(client: httpx.AsyncClient, app: Litestar) -> None:
    staff = await staff_headers(app, "supervisor")
    case = await submit(client, await device_headers(client))
    # 2026-11-24 23:30 in Shanghai is 15:30 UTC the same day.
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(Case)
            .where(Case.id == uuid.UUID(case["id"]))
            .values(created_at=datetime(2026, 11, 24, 15, 30, tzinfo=UTC))
        )

    async def reported(day: str) -> int:
        params = {"from": day, "to": day}
        return (await client.get("/api/v1/stats/overview", params=params, headers=staff)).json()["total"][
            "reported"
        ]

    assert await reported("2026-11-24") == 1
    assert await reported("2026-11-25") == 0
    backwards = await client.get(
        "/api/v1/stats/overview", params={"from": "2026-11-25", "to": "2026-11-01"}, headers=staff
    )
    assert backwards.status_code == 400 and backwards.json()["code"] == "invalid_period"
    empty = (
        await client.get(
            "/api/v1/stats/overview", params={"from": "2001-01-01", "to": "2001-01-31"}, headers=staff
        )
    ).json()
    assert empty["total"]["reported"] == 0 and empty["total"]["acceptance_rate"] is None
