"""The inspector's day through the API: shifts and tracks, reports (self-handled too), verify and check
tasks with their default assignment, roll calls, the position check, and who may do what."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar
from PIL import Image
from shapely.geometry import shape
from sqlalchemy import func, select, update

from backend.accounts.models import User
from backend.catalog.models import Grid
from backend.field.models import GridAssignment, Shift, TrackPoint
from backend.models import Case, TimelineEntry
from tests.api.conftest import INSIDE, device_headers, put_in_status, staff_headers, submit, upload_photo

FIELD = "/api/v1/field"
HERE = {"lat": INSIDE["lat"], "lng": INSIDE["lng"], "accuracy_m": 8.0}


def jpeg_taken_at(lat: float, lng: float) -> bytes:
    """A photo whose EXIF puts it at (lat, lng), as a phone's camera would."""

    def dms(value: float) -> tuple[float, float, float]:
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        return (float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 2))

    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: dms(lat), 3: "E", 4: dms(lng)})
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), "olive").save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


async def inspector(app: Litestar, name: str) -> tuple[dict[str, str], uuid.UUID]:
    headers = await staff_headers(app, "inspector", username=name)
    async with app.state.sessionmaker() as session:
        user_id = await session.scalar(select(User.id).where(User.username == name))
    assert user_id is not None
    return headers, user_id


async def clock_in(
    client: httpx.AsyncClient, headers: dict[str, str], where: dict[str, Any] = HERE
) -> dict[str, Any]:
    answer = await client.post(f"{FIELD}/shifts", json={"location": where}, headers=headers)
    assert answer.status_code in (200, 201), answer.text
    return dict(answer.json())


def points(
    start: datetime, count: int, lat: float = INSIDE["lat"], lng: float = INSIDE["lng"]
) -> list[dict[str, Any]]:
    """A walk north, 10 s and about 1.1 m a step."""
    return [
        {
            "at": (start + timedelta(seconds=10 * i)).isoformat(),
            "lat": lat + i * 1e-5,
            "lng": lng,
            "accuracy_m": 5,
        }
        for i in range(count)
    ]


async def photo(client: httpx.AsyncClient, headers: dict[str, str], data: bytes | None = None) -> str:
    answer = await upload_photo(client, headers, data)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def report_body(photo_ids: list[str], **overrides: Any) -> dict[str, Any]:
    return {
        "client_id": str(uuid.uuid4()),
        "category_code": "C0101",
        "description": "井盖破损，已设置警示。",
        "location": HERE,
        "photo_ids": photo_ids,
        "device_location": HERE,
        **overrides,
    }


async def stored_points(app: Litestar) -> int:
    async with app.state.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(TrackPoint)) or 0)


async def test_clocking_in_twice_is_once_and_clocking_out_ends_the_shift(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    headers, _ = await inspector(app, "insp-a")
    first = await clock_in(client, headers)
    again = await client.post(f"{FIELD}/shifts", json={"location": HERE}, headers=headers)
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    ended = await client.post(f"{FIELD}/shifts/{first['id']}/end", json={"location": HERE}, headers=headers)
    assert ended.status_code == 200 and ended.json()["ended_at"] is not None
    mine = (await client.get(f"{FIELD}/shifts", headers=headers)).json()["items"]
    assert [s["id"] for s in mine] == [first["id"]]
    assert (await clock_in(client, headers))["id"] != first["id"], "a new day, a new shift"


async def test_a_point_batch_sent_twice_is_stored_once(client: httpx.AsyncClient, app: Litestar) -> None:
    headers, _ = await inspector(app, "insp-b")
    shift = await clock_in(client, headers)
    start = datetime.now(UTC) - timedelta(seconds=30)
    batch = {"batch_id": str(uuid.uuid4()), "points": points(start, 3)}
    url = f"{FIELD}/shifts/{shift['id']}/points"
    assert (await client.post(url, json=batch, headers=headers)).json() == {"stored": 3, "duplicate": False}
    assert (await client.post(url, json=batch, headers=headers)).json() == {"stored": 0, "duplicate": True}
    # Another batch that repeats a point (the phone cut it again after a crash) stores the new ones only.
    overlap = {"batch_id": str(uuid.uuid4()), "points": points(start, 4)}
    assert (await client.post(url, json=overlap, headers=headers)).json()["stored"] == 1
    assert await stored_points(app) == 4
    mine = (await client.get(f"{FIELD}/shifts", headers=headers)).json()["items"][0]
    assert mine["points"] == 4 and mine["distance_m"] == pytest.approx(3 * 1.11, abs=0.1)


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        ({"lat": 91.0}, "point_out_of_range"),
        ({"at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}, "point_in_future"),
        ({"at": (datetime.now(UTC) - timedelta(days=1)).isoformat()}, "point_outside_shift"),
    ],
)
async def test_a_bad_point_refuses_the_batch_and_stores_nothing(
    client: httpx.AsyncClient, app: Litestar, bad: dict[str, Any], code: str
) -> None:
    headers, _ = await inspector(app, "insp-c")
    shift = await clock_in(client, headers)
    batch = points(datetime.now(UTC), 3)
    batch[1] |= bad
    answer = await client.post(
        f"{FIELD}/shifts/{shift['id']}/points",
        json={"batch_id": str(uuid.uuid4()), "points": batch},
        headers=headers,
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == code and answer.json()["fields"] == [
        {"name": "points[1]", "reason": code}
    ]
    assert await stored_points(app) == 0


async def test_a_batch_over_the_cap_and_another_inspectors_shift_are_refused(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    headers, _ = await inspector(app, "insp-d")
    other, _ = await inspector(app, "insp-e")
    shift = await clock_in(client, headers)
    url = f"{FIELD}/shifts/{shift['id']}/points"
    start = datetime.now(UTC) - timedelta(hours=3)
    big = {"batch_id": str(uuid.uuid4()), "points": points(start, 1001)}
    assert (await client.post(url, json=big, headers=headers)).json()["code"] == "too_many_points"
    small = {"batch_id": str(uuid.uuid4()), "points": points(datetime.now(UTC), 1)}
    assert (await client.post(url, json=small, headers=other)).status_code == 404
    assert (
        await client.post(f"{FIELD}/shifts/{shift['id']}/end", json={"location": HERE}, headers=other)
    ).status_code == 404
    assert await stored_points(app) == 0


@pytest.mark.parametrize("role", ["citizen", "dispatcher"])
async def test_the_field_routes_are_the_inspectors(
    client: httpx.AsyncClient, app: Litestar, role: str
) -> None:
    headers = await device_headers(client) if role == "citizen" else await staff_headers(app, role)
    for method, path, body in [
        ("POST", f"{FIELD}/shifts", {"location": HERE}),
        ("GET", f"{FIELD}/shifts", None),
        ("GET", f"{FIELD}/tasks", None),
        ("GET", f"{FIELD}/reports", None),
        ("GET", f"{FIELD}/roll-calls", None),
        ("GET", f"{FIELD}/grids", None),
    ]:
        answer = await client.request(method, path, json=body, headers=headers)
        assert answer.status_code == 403, (path, answer.text)


async def test_the_desk_routes_are_not_the_inspectors(client: httpx.AsyncClient, app: Litestar) -> None:
    headers, _ = await inspector(app, "insp-f")
    for method, path, body in [
        ("GET", "/api/v1/staff/inspectors", None),
        ("GET", "/api/v1/staff/tasks", None),
        ("POST", "/api/v1/staff/roll-calls", {"inspector_id": str(uuid.uuid4())}),
        ("GET", "/api/v1/staff/coverage?day=2026-11-26", None),
    ]:
        answer = await client.request(method, path, json=body, headers=headers)
        assert answer.status_code == 403, (path, answer.text)


async def test_a_report_enters_triage_once_and_a_far_photo_is_flagged(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    headers, _ = await inspector(app, "insp-g")
    # The photo's EXIF puts it about 2 km north of the point reported.
    far = await photo(client, headers, jpeg_taken_at(INSIDE["lat"] + 0.018, INSIDE["lng"]))
    body = report_body([far])
    first = await client.post(f"{FIELD}/reports", json=body, headers=headers)
    assert first.status_code == 201, first.text
    report = first.json()
    assert report["status"] == "submitted" and report["self_handled"] is False
    check = report["position_check"]
    assert check["flagged"] is True and "photo_far" in check["reasons"]
    assert check["photo_distance_m"] == pytest.approx(2000, rel=0.05)
    assert check["device_distance_m"] == 0.0
    again = await client.post(f"{FIELD}/reports", json=body, headers=headers)
    assert again.status_code == 200 and again.json()["id"] == report["id"]
    async with app.state.sessionmaker() as session:
        cases = list(await session.scalars(select(Case)))
    assert [(c.source, c.status) for c in cases] == [("inspector", "submitted")]
    desk = await staff_headers(app, "dispatcher")
    queue = (await client.get("/api/v1/staff/cases", headers=desk)).json()["items"]
    assert [c["tracking_no"] for c in queue] == [report["tracking_no"]]
    shown = (await client.get(f"/api/v1/staff/cases/{report['id']}", headers=desk)).json()["position_checks"]
    assert [(c["kind"], c["flagged"], round(c["distance_m"], -2)) for c in shown] == [("report", True, 2000)]


async def test_a_self_handled_report_lands_as_handled_with_its_after_photos(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    headers, _ = await inspector(app, "insp-h")
    before, after = await photo(client, headers), await photo(client, headers)
    answer = await client.post(
        f"{FIELD}/reports",
        json=report_body([before], self_handled=True, after_photo_ids=[after]),
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "handled" and answer.json()["self_handled"] is True
    assert answer.json()["position_check"]["flagged"] is False
    async with app.state.sessionmaker() as session:
        steps = [
            (e.action, e.actor_role, e.photo_ids)
            for e in await session.scalars(
                select(TimelineEntry).order_by(TimelineEntry.occurred_at, TimelineEntry.action.desc())
            )
        ]
    assert steps == [("submit", "inspector", [before]), ("self_handle", "inspector", [after])]
    missing = await client.post(
        f"{FIELD}/reports", json=report_body([before], self_handled=True), headers=headers
    )
    assert missing.status_code == 422


async def covering(app: Litestar, inspector_id: uuid.UUID, grid_code: str) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        session.add(GridAssignment(inspector_id=inspector_id, grid_code=grid_code))


async def case_in(client: httpx.AsyncClient, app: Litestar, status: str) -> tuple[dict[str, Any], int]:
    case = await submit(client, await device_headers(client))
    version = await put_in_status(app, case["id"], status) if status != "submitted" else 1
    return case, version


async def test_a_task_goes_to_the_inspector_covering_the_grid_on_shift_else_the_nearest(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    desk = await staff_headers(app, "dispatcher")
    case, _ = await case_in(client, app, "submitted")
    nobody = await client.post(
        f"/api/v1/staff/cases/{case['id']}/tasks", json={"kind": "verify"}, headers=desk
    )
    assert nobody.status_code == 422 and nobody.json()["code"] == "no_inspector_on_shift"

    near, near_id = await inspector(app, "insp-near")
    far, far_id = await inspector(app, "insp-far")
    owner, owner_id = await inspector(app, "insp-owner")
    await clock_in(client, near, {**HERE, "lat": INSIDE["lat"] + 0.001})
    await clock_in(client, far, {**HERE, "lat": INSIDE["lat"] + 0.05})
    by_distance = await client.post(
        f"/api/v1/staff/cases/{case['id']}/tasks", json={"kind": "verify"}, headers=desk
    )
    assert by_distance.status_code == 201 and by_distance.json()["inspector_id"] == str(near_id)

    other, _ = await case_in(client, app, "submitted")
    await covering(app, owner_id, case["grid_code"])
    await covering(app, far_id, case["grid_code"])
    await clock_in(client, owner, {**HERE, "lat": INSIDE["lat"] + 0.01})
    by_grid = await client.post(
        f"/api/v1/staff/cases/{other['id']}/tasks", json={"kind": "verify"}, headers=desk
    )
    assert by_grid.json()["inspector_id"] == str(owner_id), "covering and on shift, and nearer than the other"
    twice = await client.post(
        f"/api/v1/staff/cases/{other['id']}/tasks", json={"kind": "verify"}, headers=desk
    )
    assert twice.status_code == 409 and twice.json()["code"] == "task_open"
    wrong = await client.post(
        f"/api/v1/staff/cases/{other['id']}/tasks", json={"kind": "check"}, headers=desk
    )
    assert wrong.status_code == 409 and wrong.json()["code"] == "task_not_for_status"


async def test_a_check_result_closes_the_case_once_however_often_it_is_sent(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    desk = await staff_headers(app, "dispatcher")
    headers, inspector_id = await inspector(app, "insp-check")
    await clock_in(client, headers)
    case, version = await case_in(client, app, "handled")
    task = (
        await client.post(
            f"/api/v1/staff/cases/{case['id']}/tasks",
            json={"kind": "check", "inspector_id": str(inspector_id)},
            headers=desk,
        )
    ).json()
    mine = (await client.get(f"{FIELD}/tasks", headers=headers)).json()["items"]
    assert [t["id"] for t in mine] == [task["id"]] and mine[0]["case"]["tracking_no"] == case["tracking_no"]

    after = await photo(client, headers)
    result = {"client_id": str(uuid.uuid4()), "outcome": "pass", "photo_ids": [after], "location": HERE}
    url = f"{FIELD}/tasks/{task['id']}/result"
    wrong = await client.post(url, json={**result, "outcome": "confirmed"}, headers=headers)
    assert wrong.status_code == 422 and wrong.json()["code"] == "outcome_not_for_task"
    stranger, _ = await inspector(app, "insp-stranger")
    assert (await client.post(url, json=result, headers=stranger)).status_code == 404
    done = await client.post(url, json=result, headers=headers)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "done" and done.json()["case"]["status"] == "closed"
    retried = await client.post(url, json=result, headers=headers)
    assert retried.status_code == 200 and retried.json() == done.json()
    async with app.state.sessionmaker() as session:
        stored = await session.get(Case, uuid.UUID(case["id"]))
        entries = list(
            await session.scalars(select(TimelineEntry.action).where(TimelineEntry.case_id == stored.id))
        )  # type: ignore[union-attr]
    assert stored is not None and stored.status == "closed" and stored.version == version + 1
    assert entries.count("check_pass") == 1
    again = await client.post(url, json={**result, "client_id": str(uuid.uuid4())}, headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "task_done"


async def test_a_verify_result_records_the_finding_and_leaves_the_case_for_triage(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    desk = await staff_headers(app, "dispatcher")
    headers, inspector_id = await inspector(app, "insp-verify")
    await clock_in(client, headers)
    case, _ = await case_in(client, app, "submitted")
    task = (
        await client.post(f"/api/v1/staff/cases/{case['id']}/tasks", json={"kind": "verify"}, headers=desk)
    ).json()
    assert task["inspector_id"] == str(inspector_id)
    url = f"{FIELD}/tasks/{task['id']}/result"
    no_note = await client.post(
        url, json={"client_id": str(uuid.uuid4()), "outcome": "not_found"}, headers=headers
    )
    assert no_note.status_code == 422 and no_note.json()["code"] == "note_required"
    found = await client.post(
        url,
        json={"client_id": str(uuid.uuid4()), "outcome": "not_found", "note": "现场未见破损井盖"},
        headers=headers,
    )
    assert found.status_code == 200 and found.json()["case"]["status"] == "submitted"
    detail = (await client.get(f"/api/v1/staff/cases/{case['id']}", headers=desk)).json()
    assert [(c["kind"], c["flagged"]) for c in detail["position_checks"]] == [("verify", False)]
    last = detail["timeline"][-1]
    assert (last["action"], last["actor_role"], last["internal_note"]) == (
        "verify",
        "inspector",
        "现场未见破损井盖",
    )


async def test_a_roll_call_is_answered_with_the_position_now(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    desk = await staff_headers(app, "dispatcher")
    headers, inspector_id = await inspector(app, "insp-roll")
    off = await client.post(
        "/api/v1/staff/roll-calls", json={"inspector_id": str(inspector_id)}, headers=desk
    )
    assert off.status_code == 409 and off.json()["code"] == "inspector_not_on_shift"
    await clock_in(client, headers)
    asked = await client.post(
        "/api/v1/staff/roll-calls", json={"inspector_id": str(inspector_id)}, headers=desk
    )
    assert asked.status_code == 201
    open_calls = (await client.get(f"{FIELD}/roll-calls", headers=headers)).json()["items"]
    assert [c["id"] for c in open_calls] == [asked.json()["id"]]
    there = {"lat": INSIDE["lat"] + 0.002, "lng": INSIDE["lng"], "accuracy_m": 6.0}
    answered = await client.post(
        f"{FIELD}/roll-calls/{asked.json()['id']}/answer", json={"location": there}, headers=headers
    )
    assert answered.status_code == 200 and answered.json()["location"]["lat"] == pytest.approx(there["lat"])
    moved = await client.post(
        f"{FIELD}/roll-calls/{asked.json()['id']}/answer", json={"location": HERE}, headers=headers
    )
    assert moved.json()["location"]["lat"] == pytest.approx(there["lat"]), "the first answer stays"
    assert (await client.get(f"{FIELD}/roll-calls", headers=headers)).json()["items"] == []
    seen = (await client.get("/api/v1/staff/inspectors", headers=desk)).json()["items"]
    me = next(i for i in seen if i["id"] == str(inspector_id))
    assert me["on_shift"] and me["last_position"]["lat"] == pytest.approx(there["lat"])


async def test_the_desk_sees_a_track_split_at_gaps_and_the_coverage_of_the_day(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    desk = await staff_headers(app, "dispatcher")
    headers, _ = await inspector(app, "insp-track")
    shift = await clock_in(client, headers)
    now = datetime.now(UTC)
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(Shift)
            .where(Shift.id == uuid.UUID(shift["id"]))
            .values(started_at=now - timedelta(minutes=20))
        )
    async with app.state.sessionmaker() as session:
        grid = await session.get(Grid, "330102001001006")
    assert grid is not None
    middle = shape(grid.geometry).representative_point()
    # Two stretches of patrol with ten minutes of silence (the screen went off) between them.
    batch = points(now - timedelta(minutes=15), 6, middle.y, middle.x) + points(
        now - timedelta(minutes=3), 6, middle.y + 0.0002, middle.x
    )
    stored = await client.post(
        f"{FIELD}/shifts/{shift['id']}/points",
        json={"batch_id": str(uuid.uuid4()), "points": batch},
        headers=headers,
    )
    assert stored.json()["stored"] == 12
    track = (await client.get(f"/api/v1/staff/shifts/{shift['id']}/track", headers=desk)).json()
    assert track["gaps"] == 1 and len(track["segments"]) == 2
    assert track["segments"][0][0] == [pytest.approx(middle.x, abs=1e-6), pytest.approx(middle.y, abs=1e-6)]
    day = now.astimezone(app.state.settings.tz).date().isoformat()
    coverage = (await client.get(f"/api/v1/staff/coverage?day={day}", headers=desk)).json()["items"]
    assert (
        [c["grid_code"] for c in coverage] == [grid.code]
        and coverage[0]["points"] == 12
        and coverage[0]["inspectors"] == 1
    )
    assert coverage[0]["minutes"] == pytest.approx(100 / 60, abs=0.05), (
        "two stretches of 50 s, the gap left out"
    )


async def test_inspector_indicators_count_valid_reports_on_time_tasks_and_patrol(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    desk = await staff_headers(app, "dispatcher", "supervisor")
    headers, inspector_id = await inspector(app, "insp-stats")
    shift = await clock_in(client, headers)
    walk = points(datetime.now(UTC), 11)  # ten steps of about 1.11 m
    await client.post(
        f"{FIELD}/shifts/{shift['id']}/points",
        json={"batch_id": str(uuid.uuid4()), "points": walk},
        headers=headers,
    )
    filed = []
    for _ in range(2):
        body = report_body([await photo(client, headers)])
        filed.append((await client.post(f"{FIELD}/reports", json=body, headers=headers)).json())
    accepted = await client.post(
        f"/api/v1/staff/cases/{filed[0]['id']}/actions",
        json={"action": "accept", "expected_version": 1},
        headers=desk,
    )
    assert accepted.status_code == 200, accepted.text
    verify = (
        await client.post(
            f"/api/v1/staff/cases/{filed[1]['id']}/tasks", json={"kind": "verify"}, headers=desk
        )
    ).json()
    await client.post(
        f"{FIELD}/tasks/{verify['id']}/result",
        json={"client_id": str(uuid.uuid4()), "outcome": "confirmed"},
        headers=headers,
    )
    handled, _ = await case_in(client, app, "handled")
    late = await client.post(
        f"/api/v1/staff/cases/{handled['id']}/tasks",
        json={"kind": "check", "due_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat()},
        headers=desk,
    )
    assert late.status_code == 201, late.text

    items = (await client.get("/api/v1/stats/inspectors", headers=desk)).json()["items"]
    mine = next(i for i in items if i["inspector_id"] == str(inspector_id))
    assert (mine["reports"], mine["reports_valid"], mine["valid_rate"]) == (2, 1, 0.5)
    assert (mine["verify_due"], mine["verify_on_time"], mine["verify_on_time_rate"]) == (1, 1, 1.0)
    assert (mine["check_due"], mine["check_on_time"], mine["check_on_time_rate"]) == (1, 0, 0.0), (
        "open past due"
    )
    assert mine["patrol_km"] == pytest.approx(0.011, abs=0.001) and mine["patrol_hours"] >= 0


async def test_the_desk_lists_every_grid_and_a_cases_tasks(client: httpx.AsyncClient, app: Litestar) -> None:
    desk = await staff_headers(app, "dispatcher")
    grids = (await client.get("/api/v1/staff/grids", headers=desk)).json()["items"]
    assert len(grids) == 24 and grids == sorted(grids, key=lambda g: g["code"])
    headers, inspector_id = await inspector(app, "insp-case-tasks")
    await clock_in(client, headers)
    first, _ = await case_in(client, app, "submitted")
    second, _ = await case_in(client, app, "submitted")
    for case in (first, second):
        await client.post(f"/api/v1/staff/cases/{case['id']}/tasks", json={"kind": "verify"}, headers=desk)
    mine = (await client.get(f"/api/v1/staff/tasks?state=all&case_id={first['id']}", headers=desk)).json()[
        "items"
    ]
    assert [t["case"]["id"] for t in mine] == [first["id"]]
    assert (await client.get("/api/v1/staff/grids", headers=headers)).status_code == 403


async def test_a_result_sent_late_is_checked_against_the_track_when_it_was_made(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    desk = await staff_headers(app, "dispatcher")
    headers, inspector_id = await inspector(app, "insp-late")
    shift = await clock_in(client, headers)
    now = datetime.now(UTC)
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(Shift)
            .where(Shift.id == uuid.UUID(shift["id"]))
            .values(started_at=now - timedelta(hours=2))
        )
    # An hour ago at the cases' point; now about 2 km north.
    there = points(now - timedelta(hours=1), 3) + points(
        now - timedelta(minutes=1), 3, lat=INSIDE["lat"] + 0.018
    )
    await client.post(
        f"{FIELD}/shifts/{shift['id']}/points",
        json={"batch_id": str(uuid.uuid4()), "points": there},
        headers=headers,
    )
    flags = []
    for recorded_at in ((now - timedelta(hours=1)).isoformat(), None):
        case, _ = await case_in(client, app, "submitted")
        body = {"kind": "verify", "inspector_id": str(inspector_id)}
        task = (await client.post(f"/api/v1/staff/cases/{case['id']}/tasks", json=body, headers=desk)).json()
        result = {"client_id": str(uuid.uuid4()), "outcome": "confirmed", "recorded_at": recorded_at}
        done = await client.post(f"{FIELD}/tasks/{task['id']}/result", json=result, headers=headers)
        assert done.status_code == 200, done.text
        detail = (await client.get(f"/api/v1/staff/cases/{case['id']}", headers=desk)).json()
        flags.append(detail["position_checks"][0]["reasons"])
    assert flags == [[], ["track_far"]], "made an hour ago where the track was; sent now from 2 km away"
