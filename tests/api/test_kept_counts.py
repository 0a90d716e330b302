"""Reports stored in one go (cases/intake.py) and the kept counts (cases/tally.py): tracking numbers
unique and gapless under concurrent submits, photos claimed all or none, and counts that stay equal to
the cases themselves while submits and workflow steps run at the same time."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from litestar import Litestar
from sqlalchemy import func, select

from backend.cases.models import OWED_STATUSES
from backend.models import Case, CaseCount, CaseDue, LiveEvent, NotifyEvent, OutboxEvent, Photo, TimelineEntry
from tests.api.conftest import (
    PLACED_VERSION,
    act,
    device_headers,
    put_in_status,
    request_body,
    set_fields,
    staff_headers,
    submit,
    upload_photo,
)

CONCURRENT = 24


async def _rows(app: Litestar, model: type) -> int:
    async with app.state.sessionmaker() as session, session.begin():
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _kept(app: Litestar) -> Counter[tuple[str, str, str, str]]:
    async with app.state.sessionmaker() as session, session.begin():
        rows = await session.execute(
            select(
                CaseCount.status,
                CaseCount.request_type,
                CaseCount.category_code,
                CaseCount.source,
                CaseCount.n,
            )
        )
        return Counter({tuple(key): n for *key, n in rows if n})


async def _dues(app: Litestar) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]]:
    """The kept case_dues, and the same counted from the cases."""
    async with app.state.sessionmaker() as session, session.begin():
        kept = Counter(
            {
                (s, day): n
                for s, day, n in await session.execute(select(CaseDue.status, CaseDue.due_day, CaseDue.n))
                if n
            }
        )
        cases = await session.execute(select(Case.status, Case.deadline_at))
        actual = Counter(
            (status, deadline.astimezone(UTC).strftime("%Y-%m-%d"))
            for status, deadline in cases
            if deadline is not None and status in OWED_STATUSES
        )
    return kept, actual


async def _actual(app: Litestar) -> Counter[tuple[str, str, str, str]]:
    async with app.state.sessionmaker() as session, session.begin():
        rows = await session.execute(select(Case.status, Case.request_type, Case.category_code, Case.source))
        return Counter((status, kind, category or "", source) for status, kind, category, source in rows)


async def test_concurrent_reports_get_unique_gapless_numbers_and_every_row(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    citizens = [await device_headers(client) for _ in range(4)]
    answers = await asyncio.gather(
        *(
            client.post("/api/v1/requests", json=request_body(), headers=citizens[i % 4])
            for i in range(CONCURRENT)
        )
    )
    assert [a.status_code for a in answers] == [201] * CONCURRENT, [a.text for a in answers]
    numbers = sorted(a.json()["tracking_no"] for a in answers)
    day = numbers[0][:8]
    assert numbers == [f"{day}{n:05d}" for n in range(1, CONCURRENT + 1)]
    for model in (Case, TimelineEntry, OutboxEvent, LiveEvent, NotifyEvent):
        assert await _rows(app, model) == CONCURRENT, model
    async with app.state.sessionmaker() as session, session.begin():
        outbox = list(await session.scalars(select(OutboxEvent.payload)))
        live = list(await session.scalars(select(LiveEvent.payload)))
        notify = list(await session.scalars(select(NotifyEvent.payload)))
    # Each row the step wrote carries the number the counter gave in the same statement.
    assert sorted(p["case"]["tracking_no"] for p in outbox) == numbers
    assert sorted(p["tracking_no"] for p in live) == numbers
    assert sorted(p["tracking_no"] for p in notify) == numbers
    assert (
        await _kept(app)
        == await _actual(app)
        == Counter({("submitted", "complaint", "C0101", "citizen"): 24})
    )


async def test_a_retry_and_a_photo_taken_consume_no_number(client: httpx.AsyncClient, app: Litestar) -> None:
    citizen = await device_headers(client)
    photo = (await upload_photo(client, citizen)).json()
    first = await submit(client, citizen, photo_ids=[photo["id"]])
    # The same photo in another report: refused, and nothing of it stored.
    taken = await client.post("/api/v1/requests", json=request_body(photo_ids=[photo["id"]]), headers=citizen)
    assert taken.status_code == 409 and taken.json()["code"] == "photo_in_use"
    unknown = await client.post(
        "/api/v1/requests", json=request_body(photo_ids=[str(uuid.uuid4())]), headers=citizen
    )
    assert unknown.status_code == 422 and unknown.json()["code"] == "photo_not_found"
    # Someone else's photo is not theirs to attach.
    stranger = await device_headers(client)
    theirs = (await upload_photo(client, stranger)).json()
    refused = await client.post(
        "/api/v1/requests", json=request_body(photo_ids=[theirs["id"]]), headers=citizen
    )
    assert refused.status_code == 422 and refused.json()["code"] == "photo_not_found"
    second = await submit(client, citizen)
    assert int(second["tracking_no"]) == int(first["tracking_no"]) + 1
    assert await _rows(app, Case) == 2 and await _rows(app, TimelineEntry) == 2
    async with app.state.sessionmaker() as session, session.begin():
        stored = await session.get(Photo, uuid.UUID(photo["id"]))
        other = await session.get(Photo, uuid.UUID(theirs["id"]))
    assert stored is not None and str(stored.case_id) == first["id"] and stored.position == 0
    assert other is not None and other.case_id is None


async def test_two_reports_racing_for_one_photo(client: httpx.AsyncClient, app: Litestar) -> None:
    citizen = await device_headers(client)
    photos = [(await upload_photo(client, citizen)).json()["id"] for _ in range(2)]
    answers = await asyncio.gather(
        *(
            client.post(
                "/api/v1/requests", json=request_body(photo_ids=list(reversed(photos))), headers=citizen
            )
            for _ in range(4)
        )
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409], [a.text for a in answers]
    winner = next(a.json() for a in answers if a.status_code == 201)
    assert [p["id"] for p in winner["photos"]] == list(reversed(photos))
    assert winner["tracking_no"].endswith("00001")
    assert await _rows(app, Case) == 1 and await _rows(app, OutboxEvent) == 1


async def test_counts_stay_true_while_steps_and_reports_run_at_once(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    staff = [await staff_headers(app, "dispatcher") for _ in range(3)]
    citizen = await device_headers(client)
    cases = [await submit(client, citizen) for _ in range(12)]

    async def step(i: int, case: dict[str, Any]) -> None:
        if i % 3 == 0:
            response = await act(
                client, staff[i % 3], case["id"], "reject", 1, public_message="不属于受理范围"
            )
        else:
            # Taken in as another category: the case moves between kept rows, not only statuses.
            response = await act(client, staff[i % 3], case["id"], "accept", 1, category_code="E0101")
        assert response.status_code == 200, response.text

    await asyncio.gather(
        *(step(i, case) for i, case in enumerate(cases)),
        *(submit(client, citizen, type="inquiry", category_code=None) for _ in range(6)),
    )
    assert await _kept(app) == await _actual(app)
    kept_dues, actual_dues = await _dues(app)
    # The inquiries owe an answer (答复时限) from now: kept by their deadline's day.
    assert kept_dues == actual_dues and sum(actual_dues.values()) == 6
    assert await _actual(app) == Counter(
        {
            ("rejected", "complaint", "C0101", "citizen"): 4,
            ("accepted", "complaint", "E0101", "citizen"): 8,
            ("submitted", "inquiry", "", "citizen"): 6,
        }
    )
    desk = staff[0]
    kept = (await client.get("/api/v1/staff/cases/counts", headers=desk)).json()
    # A grid filter is not kept: those counts come from the cases themselves, and must agree.
    counted = (await client.get("/api/v1/staff/cases/counts", params={"grid": "3"}, headers=desk)).json()
    assert (
        kept
        == counted
        == {"counts": {"rejected": 4, "accepted": 8, "submitted": 6}, "total": 18, "overdue": 0}
    )
    by_category = (
        await client.get("/api/v1/staff/cases/counts", params={"category": "E01"}, headers=desk)
    ).json()
    assert by_category["counts"] == {"accepted": 8}


async def test_overdue_counted_from_kept_days_and_today(client: httpx.AsyncClient, app: Litestar) -> None:
    staff = await staff_headers(app, "dispatcher")
    citizen = await device_headers(client)
    cases = [await submit(client, citizen) for _ in range(4)]
    now = datetime.now(UTC)
    placed = [
        ("dispatched", now - timedelta(days=2)),  # overdue since a day before today
        ("in_progress", now - timedelta(minutes=1)),  # overdue since a moment ago (today, mostly)
        ("dispatched", now + timedelta(days=1)),  # not yet
        ("closed", now - timedelta(days=3)),  # owes nothing any more
    ]
    for case, (status, deadline) in zip(cases, placed, strict=True):
        await put_in_status(app, case["id"], status)
        await set_fields(app, case["id"], deadline_at=deadline)

    async def both() -> tuple[dict[str, Any], dict[str, Any]]:
        kept = (await client.get("/api/v1/staff/cases/counts", headers=staff)).json()
        counted = (await client.get("/api/v1/staff/cases/counts", params={"grid": "3"}, headers=staff)).json()
        return kept, counted

    kept, counted = await both()
    assert kept == counted
    assert kept["overdue"] == 2 and kept["counts"] == {"dispatched": 2, "in_progress": 1, "closed": 1}
    # Steps move a case between dues rows as they change its status: started, handled, still counted.
    assert (await act(client, staff, cases[0]["id"], "start", PLACED_VERSION)).status_code == 200
    handled = await act(client, staff, cases[1]["id"], "handle", PLACED_VERSION, public_message="已修复")
    assert handled.status_code == 200, handled.text
    kept, counted = await both()
    assert kept == counted
    assert kept["overdue"] == 1 and kept["counts"] == {
        "in_progress": 1,
        "handled": 1,
        "dispatched": 1,
        "closed": 1,
    }
    kept_dues, actual_dues = await _dues(app)
    assert kept_dues == actual_dues
