"""The case workflow through POST /api/v1/staff/cases/{id}/actions: every (status, action) pair, roles,
versions, and what each step stores (case, timeline, outbox, live feed) in one transaction."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import select

from backend.cases import workflow
from backend.catalog.models import Category
from backend.models import Case, CaseFollower, LiveEvent, OutboxEvent, Photo, TimelineEntry
from tests.api.conftest import (
    act,
    action_fields,
    advance,
    device_headers,
    put_in_status,
    staff_headers,
    submit,
    upload_photo,
)

STATUSES = ("submitted", "accepted", "rejected", "merged", "dispatched", "in_progress", "handled", "closed")
# The GLOSSARY's state machine, written out independently of backend.cases.workflow.STEPS.
EXPECTED: dict[tuple[str, str], str] = {
    ("submitted", "accept"): "accepted",
    ("submitted", "reject"): "rejected",
    ("submitted", "merge"): "merged",
    ("accepted", "dispatch"): "dispatched",
    ("dispatched", "start"): "in_progress",
    ("in_progress", "handle"): "handled",
    ("handled", "check_pass"): "closed",
    ("handled", "check_fail"): "dispatched",
    ("closed", "reopen"): "accepted",
    ("accepted", "return"): "submitted",
    ("dispatched", "return"): "submitted",
    ("in_progress", "return"): "submitted",
}
ACTIONS = sorted({action for _, action in EXPECTED})
ALL_ROLES = ("dispatcher", "supervisor", "inspector", "integration")


async def fetch_case(app: Litestar, case_id: str) -> Case:
    async with app.state.sessionmaker() as session:
        case = await session.get(Case, uuid.UUID(case_id))
        assert case is not None
        return case


async def test_every_status_and_action_pair(client: httpx.AsyncClient, app: Litestar) -> None:
    everyone = await staff_headers(app, *ALL_ROLES)
    citizen = await device_headers(client)
    target = await submit(client, citizen)
    wrong: list[str] = []
    for status in STATUSES:
        for action in ACTIONS:
            case = await submit(client, citizen)
            version = await put_in_status(app, case["id"], status)
            response = await act(
                client, everyone, case["id"], action, version, **action_fields(action, target["id"])
            )
            expected = EXPECTED.get((status, action))
            if expected is None:
                body = response.json()
                if response.status_code != 409 or body["code"] != "invalid_transition":
                    wrong.append(
                        f"{status} + {action}: {response.status_code} {body.get('code')}, want refusal"
                    )
                elif (await fetch_case(app, case["id"])).status != status:
                    wrong.append(f"{status} + {action}: refused but the status changed")
            elif response.status_code != 200 or response.json()["summary"]["status"] != expected:
                wrong.append(
                    f"{status} + {action}: {response.status_code} {response.text[:120]}, want {expected}"
                )
    assert not wrong, "\n".join(wrong)


async def test_a_case_from_report_to_rating_and_reopening(client: httpx.AsyncClient, app: Litestar) -> None:
    dispatcher = await staff_headers(app, "dispatcher")
    supervisor = await staff_headers(app, "supervisor")
    citizen = await device_headers(client)
    case = await submit(client, citizen)

    accepted = await advance(client, dispatcher, case["id"], [("accept", {"internal_note": "属实"})])
    assert accepted["summary"]["status"] == "accepted" and accepted["summary"]["version"] == 2
    dispatched = await advance(client, dispatcher, case["id"], [("dispatch", {"department_code": "SZ-MUNI"})])
    summary = dispatched["summary"]
    async with app.state.sessionmaker() as session:
        hours = (await session.get(Category, "C0101")).deadline_hours  # type: ignore[union-attr]
    stored = await fetch_case(app, case["id"])
    assert stored.department_code == "SZ-MUNI" and summary["department_name"]
    assert stored.dispatched_at is not None and stored.deadline_at is not None
    assert stored.deadline_at - stored.dispatched_at == timedelta(hours=hours)
    assert summary["overdue"] is False

    after = (await upload_photo(client, dispatcher)).json()
    handled = await advance(
        client,
        dispatcher,
        case["id"],
        [("start", {}), ("handle", {"public_message": "已更换井盖", "photo_ids": [after["id"]]})],
    )
    assert handled["summary"]["status"] == "handled"
    assert handled["timeline"][-1]["photo_ids"] == [after["id"]]
    async with app.state.sessionmaker() as session:
        photo = await session.get(Photo, uuid.UUID(after["id"]))
        assert photo is not None and str(photo.case_id) == case["id"] and photo.position == 0
    reworked = await advance(client, dispatcher, case["id"], [("check_fail", {"internal_note": "仍有晃动"})])
    assert reworked["summary"]["status"] == "dispatched" and reworked["rework_count"] == 1
    closed = await advance(
        client,
        dispatcher,
        case["id"],
        [
            ("start", {}),
            ("handle", {"public_message": "重新加固"}),
            ("check_pass", {"internal_note": "核查通过"}),
        ],
    )
    assert closed["summary"]["status"] == "closed"
    assert "reopen" not in closed["allowed_actions"]

    rated = await client.post(f"/api/v1/requests/{case['id']}/rating", json={"score": 4}, headers=citizen)
    assert rated.status_code == 200, rated.text
    reopened = await advance(client, supervisor, case["id"], [("reopen", {"internal_note": "问题复发"})])
    assert reopened["summary"]["status"] == "accepted"
    assert reopened["summary"]["deadline_at"] is None

    actions = [e["action"] for e in reopened["timeline"]]
    assert actions == [
        "submit", "accept", "dispatch", "start", "handle", "check_fail",
        "start", "handle", "check_pass", "rate", "reopen",
    ]  # fmt: skip
    assert reopened["timeline"][3]["actor"] and reopened["timeline"][0]["actor"] is None
    async with app.state.sessionmaker() as session:
        case_id = uuid.UUID(case["id"])
        events = list(
            await session.scalars(
                select(OutboxEvent.event_type)
                .where(OutboxEvent.case_id == case_id)
                .order_by(OutboxEvent.occurred_at)
            )
        )
        live = list(
            await session.scalars(
                select(LiveEvent).where(LiveEvent.case_id == case_id).order_by(LiveEvent.seq)
            )
        )
        statuses = list(
            await session.scalars(
                select(TimelineEntry.status)
                .where(TimelineEntry.case_id == case_id)
                .order_by(TimelineEntry.occurred_at)
            )
        )
    assert events == [
        "case.submitted", "case.accepted", "case.dispatched", "case.started", "case.handled", "case.rework",
        "case.started", "case.handled", "case.closed", "case.rated", "case.reopened",
    ]  # fmt: skip
    assert [e.event_type for e in live] == events
    assert [e.payload["version"] for e in live] == list(range(1, 12))
    assert statuses[-1] == "accepted" and statuses[5] == "dispatched"

    # The citizen's own view follows the case.
    mine = (await client.get(f"/api/v1/requests/{case['id']}", headers=citizen)).json()
    assert mine["status"] == "accepted"
    assert [e["action"] for e in mine["timeline"]][-1] == "reopen"


async def test_roles_of_each_action(client: httpx.AsyncClient, app: Litestar) -> None:
    citizen = await device_headers(client)
    dispatcher = await staff_headers(app, "dispatcher")
    supervisor = await staff_headers(app, "supervisor")
    case = await submit(client, citizen)
    version = await put_in_status(app, case["id"], "closed")
    # Only a supervisor reopens; a dispatcher is refused outright, whatever the status.
    refused = await act(client, dispatcher, case["id"], "reopen", version, internal_note="复发")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    # "return" belongs to the command-coordination platform.
    assert (
        await act(client, supervisor, case["id"], "return", version, internal_note="x")
    ).status_code == 403
    assert (
        await act(client, supervisor, case["id"], "reopen", version, internal_note="复发")
    ).status_code == 200


async def test_a_stale_version_is_refused_and_nothing_changes(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    dispatcher = await staff_headers(app, "dispatcher")
    case = await submit(client, await device_headers(client))
    assert (await act(client, dispatcher, case["id"], "accept", 1)).status_code == 200
    stale = await act(client, dispatcher, case["id"], "reject", 1, public_message="重复")
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_case" and "2" in stale.json()["detail"]
    stored = await fetch_case(app, case["id"])
    assert (stored.status, stored.version) == ("accepted", 2)


async def test_two_dispatchers_at_once_one_wins(client: httpx.AsyncClient, app: Litestar) -> None:
    first = await staff_headers(app, "dispatcher")
    second = await staff_headers(app, "dispatcher")
    case = await submit(client, await device_headers(client))
    answers = await asyncio.gather(
        act(client, first, case["id"], "accept", 1),
        act(client, second, case["id"], "reject", 1, public_message="不属实"),
    )
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 409], [a.text for a in answers]
    loser = next(a for a in answers if a.status_code == 409)
    assert loser.json()["code"] == "stale_case"
    async with app.state.sessionmaker() as session:
        entries = await session.scalars(
            select(TimelineEntry).where(TimelineEntry.case_id == uuid.UUID(case["id"]))
        )
        assert len(list(entries)) == 2


async def test_required_fields_per_action(client: httpx.AsyncClient, app: Litestar) -> None:
    dispatcher = await staff_headers(app, "dispatcher")
    case = await submit(client, await device_headers(client))
    missing = await act(client, dispatcher, case["id"], "reject", 1)
    assert missing.status_code == 422 and "public_message" in missing.text
    unknown = await act(client, dispatcher, case["id"], "teleport", 1)
    assert unknown.status_code == 422
    assert (await fetch_case(app, case["id"])).version == 1


async def test_dispatch_needs_an_active_department_and_a_category(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    dispatcher = await staff_headers(app, "dispatcher")
    citizen = await device_headers(client)
    inquiry = await submit(client, citizen, type="inquiry", category_code=None)
    await advance(client, dispatcher, inquiry["id"], [("accept", {})])
    nowhere = await act(client, dispatcher, inquiry["id"], "dispatch", 2, department_code="NOPE")
    assert nowhere.status_code == 422 and nowhere.json()["code"] == "unknown_department"
    uncategorised = await act(client, dispatcher, inquiry["id"], "dispatch", 2, department_code="SZ-SANI")
    assert uncategorised.status_code == 422 and uncategorised.json()["code"] == "category_required"
    fine = await act(
        client, dispatcher, inquiry["id"], "dispatch", 2, department_code="SZ-SANI", category_code="E0101"
    )
    assert fine.status_code == 200, fine.text
    assert fine.json()["summary"]["category_code"] == "E0101"


async def test_merge_links_the_duplicate_and_moves_its_followers(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    dispatcher = await staff_headers(app, "dispatcher")
    original = await submit(client, await device_headers(client))
    duplicate_reporter = await device_headers(client)
    duplicate = await submit(client, duplicate_reporter)
    follower_headers = await device_headers(client)
    assert (
        await client.post(f"/api/v1/requests/{duplicate['id']}/follow", headers=follower_headers)
    ).status_code == 200

    assert (await act(client, dispatcher, duplicate["id"], "merge", 1, target_id=duplicate["id"])).json()[
        "code"
    ] == "merge_into_self"
    merged = await advance(client, dispatcher, duplicate["id"], [("merge", {"target_id": original["id"]})])
    assert merged["summary"]["status"] == "merged"
    assert merged["merged_into"] == {"id": original["id"], "tracking_no": original["tracking_no"]}
    async with app.state.sessionmaker() as session:
        on_original = set(
            await session.scalars(
                select(CaseFollower.user_id).where(CaseFollower.case_id == uuid.UUID(original["id"]))
            )
        )
        on_duplicate = list(
            await session.scalars(
                select(CaseFollower.user_id).where(CaseFollower.case_id == uuid.UUID(duplicate["id"]))
            )
        )
    assert len(on_original) == 2 and on_duplicate == []
    followed = (await client.get("/api/v1/requests/followed", headers=follower_headers)).json()["items"]
    assert [item["id"] for item in followed] == [original["id"]]
    # The duplicate's reporter sees where their report went.
    mine = (await client.get(f"/api/v1/requests/{duplicate['id']}", headers=duplicate_reporter)).json()
    assert (mine["status"], mine["merged_into"]) == ("merged", original["tracking_no"])

    closed = await submit(client, await device_headers(client))
    await put_in_status(app, closed["id"], "closed")
    another = await submit(client, await device_headers(client))
    into_closed = await act(client, dispatcher, another["id"], "merge", 1, target_id=closed["id"])
    assert into_closed.status_code == 409 and into_closed.json()["code"] == "merge_target_closed"


async def merged_into(app: Litestar, case_id: str) -> str | None:
    async with app.state.sessionmaker() as session:
        target = await session.scalar(select(Case.merged_into_id).where(Case.id == uuid.UUID(case_id)))
    return str(target) if target else None


async def test_merges_never_chain(client: httpx.AsyncClient, app: Litestar) -> None:
    dispatcher = await staff_headers(app, "dispatcher")
    a, b, c = [await submit(client, await device_headers(client)) for _ in range(3)]
    await advance(client, dispatcher, a["id"], [("merge", {"target_id": b["id"]})])
    await advance(client, dispatcher, b["id"], [("merge", {"target_id": c["id"]})])
    # A followed B to C: its reporter hears of C, not of a merged case.
    assert await merged_into(app, a["id"]) == c["id"]
    assert await merged_into(app, b["id"]) == c["id"]
    async with app.state.sessionmaker() as session:
        followers = set(
            await session.scalars(
                select(CaseFollower.user_id).where(CaseFollower.case_id == uuid.UUID(c["id"]))
            )
        )
        reporters = {
            row
            for row in await session.scalars(
                select(Case.reporter_id).where(Case.id.in_([uuid.UUID(a["id"]), uuid.UUID(b["id"])]))
            )
        }
    assert reporters <= followers

    # A merge into a merged case goes to its original.
    d = await submit(client, await device_headers(client))
    detail = await advance(client, dispatcher, d["id"], [("merge", {"target_id": a["id"]})])
    assert detail["merged_into"]["id"] == c["id"]

    # And no cycle: C into A (whose original is C itself) is a merge into itself.
    into_own_duplicate = await act(client, dispatcher, c["id"], "merge", 1, target_id=a["id"])
    assert into_own_duplicate.status_code == 422 and into_own_duplicate.json()["code"] == "merge_into_self"
    assert await merged_into(app, c["id"]) is None


async def test_two_cases_merged_into_each_other_at_once_make_no_cycle(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    dispatcher = await staff_headers(app, "dispatcher")
    a, b = [await submit(client, await device_headers(client)) for _ in range(2)]
    answers = await asyncio.gather(
        act(client, dispatcher, a["id"], "merge", 1, target_id=b["id"]),
        act(client, dispatcher, b["id"], "merge", 1, target_id=a["id"]),
    )
    codes = sorted((r.status_code, r.json().get("code")) for r in answers)
    # One goes through; the other met it head-on (PostgreSQL breaks the deadlock: try again) or came
    # second and found its target merged into itself.
    assert codes[0][0] == 200, codes
    assert codes[1] in ((409, "concurrent_update"), (422, "merge_into_self")), codes
    targets = {await merged_into(app, a["id"]), await merged_into(app, b["id"])}
    assert targets in ({b["id"], None}, {a["id"], None}), "a merge cycle formed"


async def test_a_deadlock_between_two_merges_is_a_409_to_retry(
    client: httpx.AsyncClient, app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both merges lock their own case, then wait for each other's: PostgreSQL breaks the deadlock by
    rolling one back, which must reach its caller as 409 concurrent_update, not a 500."""
    if not app.state.settings.resolved_database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one writer at a time: two merges cannot hold a case each")
    dispatcher = await staff_headers(app, "dispatcher")
    a, b = [await submit(client, await device_headers(client)) for _ in range(2)]
    both_locked = asyncio.Barrier(2)
    original = workflow._original

    async def after_both_locked(session: Any, case_id: uuid.UUID) -> Any:
        await asyncio.wait_for(both_locked.wait(), 5)
        return await original(session, case_id)

    monkeypatch.setattr(workflow, "_original", after_both_locked)
    answers = await asyncio.gather(
        act(client, dispatcher, a["id"], "merge", 1, target_id=b["id"]),
        act(client, dispatcher, b["id"], "merge", 1, target_id=a["id"]),
    )
    codes = sorted((r.status_code, r.json().get("code")) for r in answers)
    assert codes == [(200, None), (409, "concurrent_update")], codes
    targets = {await merged_into(app, a["id"]), await merged_into(app, b["id"])}
    assert targets in ({b["id"], None}, {a["id"], None})
