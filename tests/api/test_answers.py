"""The city answers: replies close requests the desk settles, public messages apart from internal
notes, reply templates filled in for the case, and the routing table's department for dispatch."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import select

from backend.models import AuditEntry, Case, LiveEvent, OutboxEvent, TimelineEntry
from tests.api.conftest import (
    INSIDE,
    act,
    advance,
    device_headers,
    set_fields,
    staff_headers,
    submit,
)

ANSWER = "该路段的井盖由区排水有限公司负责，已为您转告。"


async def inquiry(client: httpx.AsyncClient, citizen: dict[str, str], **fields: object) -> dict:
    return await submit(
        client, citizen, type="inquiry", category_code=None, description="请问井盖归谁管？", **fields
    )


async def test_a_reply_answers_an_inquiry_and_closes_it(client: httpx.AsyncClient, app: Litestar) -> None:
    desk = await staff_headers(app, "dispatcher")
    citizen = await device_headers(client)
    case = await inquiry(client, citizen)
    detail = (await client.get(f"/api/v1/staff/cases/{case['id']}", headers=desk)).json()
    assert "reply" in detail["allowed_actions"]
    # 答复时限 of an inquiry (24 h in the shipped category file) runs from its arrival.
    due = datetime.fromisoformat(detail["summary"]["deadline_at"])
    assert due - datetime.fromisoformat(case["created_at"]) == timedelta(hours=24)

    missing = await act(client, desk, case["id"], "reply", 1)
    assert missing.status_code == 422 and "public_message" in missing.text
    replied = await act(
        client, desk, case["id"], "reply", 1, public_message=ANSWER, internal_note="已电话核实"
    )
    assert replied.status_code == 200, replied.text
    out = replied.json()
    assert out["summary"]["status"] == "closed" and out["reply"]["message"] == ANSWER
    assert out["allowed_actions"] == []

    async with app.state.sessionmaker() as session:
        stored = await session.get(Case, uuid.UUID(case["id"]))
        assert stored is not None and stored.replied_at is not None and stored.closed_at == stored.replied_at
        assert stored.accepted_at == stored.replied_at
        entry = await session.scalar(select(TimelineEntry).where(TimelineEntry.action == "reply"))
        assert entry is not None
        assert (entry.public_message, entry.internal_note) == (ANSWER, "已电话核实")
        event = await session.scalar(select(OutboxEvent).where(OutboxEvent.event_type == "case.replied"))
        assert event is not None and event.payload["public_message"] == ANSWER
        live = await session.scalar(select(LiveEvent).where(LiveEvent.event_type == "case.replied"))
        assert live is not None and live.payload["status"] == "closed"

    mine = (await client.get(f"/api/v1/requests/{case['id']}", headers=citizen)).json()
    assert mine["status"] == "closed" and mine["reply"]["message"] == ANSWER
    assert mine["timeline"][-1]["action_name"] == "答复"


async def test_a_reopened_answer_is_owed_again(client: httpx.AsyncClient, app: Litestar) -> None:
    desk = await staff_headers(app, "dispatcher", "supervisor")
    citizen = await device_headers(client)
    case = await inquiry(client, citizen)
    await act(client, desk, case["id"], "reply", 1, public_message=ANSWER)
    reopened = await act(client, desk, case["id"], "reopen", 2, internal_note="市民说没答到点子上")
    assert reopened.status_code == 200, reopened.text
    out = reopened.json()
    assert out["summary"]["status"] == "accepted" and out["reply"] is None
    assert "reply" in out["allowed_actions"]
    due = datetime.fromisoformat(out["summary"]["deadline_at"])
    assert timedelta(hours=23, minutes=59) < due - datetime.now(UTC) <= timedelta(hours=24)
    mine = (await client.get(f"/api/v1/requests/{case['id']}", headers=citizen)).json()
    assert mine["reply"] is None and mine["status"] == "accepted"
    again = await act(client, desk, case["id"], "reply", 3, public_message="补充答复：已联系排水公司。")
    assert again.json()["reply"]["message"] == "补充答复：已联系排水公司。"


async def test_a_complaint_is_not_answered_by_a_reply(client: httpx.AsyncClient, app: Litestar) -> None:
    desk = await staff_headers(app, "dispatcher")
    case = await submit(client, await device_headers(client))
    detail = (await client.get(f"/api/v1/staff/cases/{case['id']}", headers=desk)).json()
    assert "reply" not in detail["allowed_actions"] and detail["summary"]["deadline_at"] is None
    refused = await act(client, desk, case["id"], "reply", 1, public_message=ANSWER)
    assert refused.status_code == 409 and refused.json()["code"] == "action_not_for_type"


async def test_an_unanswered_inquiry_past_its_reply_deadline_is_overdue(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    desk = await staff_headers(app, "dispatcher")
    case = await inquiry(client, await device_headers(client))
    await set_fields(app, case["id"], deadline_at=datetime.now(UTC) - timedelta(minutes=1))
    late = (await client.get("/api/v1/staff/cases", params={"overdue": "true"}, headers=desk)).json()
    assert [c["id"] for c in late["items"]] == [case["id"]]
    await act(client, desk, case["id"], "reply", 1, public_message=ANSWER)
    assert (await client.get("/api/v1/staff/cases", params={"overdue": "true"}, headers=desk)).json()[
        "items"
    ] == []


async def test_internal_notes_never_reach_the_citizen_or_a_public_answer(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    desk = await staff_headers(app, "dispatcher")
    reporter = await device_headers(client)
    neighbour = await device_headers(client)
    case = await submit(client, reporter)
    assert (await client.post(f"/api/v1/requests/{case['id']}/follow", headers=neighbour)).status_code == 200
    secret = f"SECRET-{uuid.uuid4()}"
    await advance(
        client,
        desk,
        case["id"],
        [
            ("accept", {"public_message": "已立案，将尽快处理。", "internal_note": secret}),
            ("dispatch", {"department_code": "SZ-MUNI", "internal_note": secret}),
        ],
    )
    staff_view = (await client.get(f"/api/v1/staff/cases/{case['id']}", headers=desk)).json()
    assert [e["internal_note"] for e in staff_view["timeline"]].count(secret) == 2

    answers = [
        await client.get(f"/api/v1/requests/{case['id']}", headers=reporter),
        await client.get("/api/v1/requests", headers=reporter),
        await client.get("/api/v1/requests/followed", headers=neighbour),
        await client.get("/api/v1/requests/nearby", params=INSIDE),
        await client.get("/api/v1/requests/nearby", params=INSIDE, headers=neighbour),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert secret not in answer.text
    timeline = answers[0].json()["timeline"]
    assert [e["public_message"] for e in timeline if e["action"] == "accept"] == ["已立案，将尽快处理。"]
    assert all("internal_note" not in e for e in timeline)


async def test_nearby_rows_tell_reports_apart_and_mark_ones_own(client: httpx.AsyncClient) -> None:
    mine = await device_headers(client)
    other = await device_headers(client)
    own = await submit(
        client,
        mine,
        description="井盖松动，请联系 138 0013 8000 或 li@example.com，晚上很危险，"
        "已经好几天没有人来修，希望尽快处理",
    )
    theirs = await submit(client, other, description="上水井盖缺了一角")
    followed = await submit(client, other, description="路口井盖下沉")
    await client.post(f"/api/v1/requests/{followed['id']}/follow", headers=mine)

    items = (await client.get("/api/v1/requests/nearby", params=INSIDE, headers=mine)).json()["items"]
    by_id = {item["id"]: item for item in items}
    assert by_id[own["id"]]["own"] is True and by_id[theirs["id"]]["own"] is False
    assert by_id[followed["id"]]["following"] is True and by_id[theirs["id"]]["following"] is False
    summary = by_id[own["id"]]["summary"]
    assert "138" not in summary and "8000" not in summary and "example.com" not in summary
    assert summary.startswith("井盖松动，请联系 ***") and summary.endswith("…") and len(summary) == 40
    assert by_id[theirs["id"]]["summary"] == "上水井盖缺了一角"
    anonymous = (await client.get("/api/v1/requests/nearby", params=INSIDE)).json()["items"]
    assert not any(item["own"] or item["following"] for item in anonymous)


TEMPLATE = {
    "action": "reply",
    "request_type": "inquiry",
    "title_zh": "咨询答复",
    "title_en": "Inquiry answered",
    "text_zh": "您的咨询（编号 {tracking_no}）已答复，提交于 {submitted_on}。",
    "text_en": "Your inquiry {tracking_no} of {submitted_on} is answered.",
}


async def test_templates_are_filled_in_for_the_case(client: httpx.AsyncClient, app: Litestar) -> None:
    admin = await staff_headers(app, "admin")
    desk = await staff_headers(app, "dispatcher")
    created = await client.post("/api/v1/admin/reply-templates", json=TEMPLATE, headers=admin)
    assert created.status_code == 201, created.text
    generic = {**TEMPLATE, "request_type": None, "title_zh": "通用答复", "text_zh": "已收到 {tracking_no}。"}
    assert (
        await client.post("/api/v1/admin/reply-templates", json=generic, headers=admin)
    ).status_code == 201
    retired = {**TEMPLATE, "title_zh": "旧模板", "active": False}
    assert (
        await client.post("/api/v1/admin/reply-templates", json=retired, headers=admin)
    ).status_code == 201
    for_reject = {**TEMPLATE, "action": "reject", "title_zh": "不予立案"}
    assert (
        await client.post("/api/v1/admin/reply-templates", json=for_reject, headers=admin)
    ).status_code == 201

    case = await inquiry(client, await device_headers(client))
    url = f"/api/v1/staff/cases/{case['id']}/templates"
    offered = (await client.get(url, params={"action": "reply"}, headers=desk)).json()["items"]
    # The one for inquiries before the one for any type; the retired and the reject one not at all.
    assert [t["title"] for t in offered] == ["咨询答复", "通用答复"]
    day = case["tracking_no"][:8]
    assert (
        offered[0]["text"]
        == f"您的咨询（编号 {case['tracking_no']}）已答复，提交于 {day[:4]}-{day[4:6]}-{day[6:]}。"
    )
    english = (
        await client.get(url, params={"action": "reply"}, headers={**desk, "Accept-Language": "en"})
    ).json()["items"]
    assert english[0]["title"] == "Inquiry answered" and case["tracking_no"] in english[0]["text"]

    complaint = await submit(client, await device_headers(client))
    for_complaint = (
        await client.get(
            f"/api/v1/staff/cases/{complaint['id']}/templates", params={"action": "reply"}, headers=desk
        )
    ).json()["items"]
    assert [t["title"] for t in for_complaint] == ["通用答复"]


@pytest.mark.parametrize(
    "text", ["编号 {phone}", "编号 {tracking_no.__class__}", "编号 {tracking_no!r}", "编号 {0}", "编号 {"]
)
async def test_a_template_names_only_known_placeholders(
    client: httpx.AsyncClient, app: Litestar, text: str
) -> None:
    admin = await staff_headers(app, "admin")
    refused = await client.post(
        "/api/v1/admin/reply-templates", json={**TEMPLATE, "text_en": text}, headers=admin
    )
    assert refused.status_code == 422 and refused.json()["code"] == "unknown_placeholder"
    assert [f["name"] for f in refused.json()["fields"]] == ["text_en"]
    listed = (await client.get("/api/v1/admin/reply-templates", headers=admin)).json()["items"]
    assert listed == []


async def test_only_admins_keep_templates_and_routing(client: httpx.AsyncClient, app: Litestar) -> None:
    desk = await staff_headers(app, "dispatcher", "supervisor")
    for method, path, body in (
        ("GET", "/api/v1/admin/reply-templates", None),
        ("POST", "/api/v1/admin/reply-templates", TEMPLATE),
        ("GET", "/api/v1/admin/routing-rules", None),
        ("POST", "/api/v1/admin/routing-rules", {"category_code": "C01", "department_code": "SZ-MUNI"}),
    ):
        answer = await client.request(method, path, json=body, headers=desk)
        assert answer.status_code == 403, (method, path)


async def test_a_template_is_edited_and_retired(client: httpx.AsyncClient, app: Litestar) -> None:
    admin = await staff_headers(app, "admin")
    created = (await client.post("/api/v1/admin/reply-templates", json=TEMPLATE, headers=admin)).json()
    saved = await client.put(
        f"/api/v1/admin/reply-templates/{created['id']}",
        json={**TEMPLATE, "title_zh": "咨询答复（新）", "active": False},
        headers=admin,
    )
    assert saved.status_code == 200 and saved.json()["active"] is False
    missing = await client.put(f"/api/v1/admin/reply-templates/{uuid.uuid4()}", json=TEMPLATE, headers=admin)
    assert missing.status_code == 404
    async with app.state.sessionmaker() as session:
        actions = list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.occurred_at)))
    assert actions == ["reply_template.created", "reply_template.saved"]


async def rule(client: httpx.AsyncClient, admin: dict[str, str], **body: object) -> httpx.Response:
    return await client.post("/api/v1/admin/routing-rules", json=body, headers=admin)


async def test_dispatch_is_offered_the_routed_department(client: httpx.AsyncClient, app: Litestar) -> None:
    admin = await staff_headers(app, "admin")
    desk = await staff_headers(app, "dispatcher")
    citizen = await device_headers(client)
    case = await submit(client, citizen)  # C0101, in grid 330102001001006

    async def suggested() -> str | None:
        detail = (await client.get(f"/api/v1/staff/cases/{case['id']}", headers=desk)).json()
        return (detail["suggested_department"] or {}).get("code")

    assert await suggested() is None
    assert (await rule(client, admin, category_code="C01", department_code="SZ-MUNI")).status_code == 201
    assert await suggested() == "SZ-MUNI"
    # The minor class beats its major class, whatever the grid prefixes.
    assert (
        await rule(client, admin, category_code="C01", grid_prefix="330102001", department_code="SZ-STREET")
    ).status_code == 201
    assert await suggested() == "SZ-STREET"
    minor = await rule(client, admin, category_code="C0101", department_code="SZ-WATER")
    assert minor.status_code == 201
    assert await suggested() == "SZ-WATER"
    # Of two rules for the minor class, the longer grid prefix the case's grid starts with.
    await rule(client, admin, category_code="C0101", grid_prefix="330102001", department_code="SZ-LAW")
    await rule(client, admin, category_code="C0101", grid_prefix="330102002", department_code="SZ-GREEN")
    assert await suggested() == "SZ-LAW"
    # The same category and prefix again replaces the rule.
    replaced = await rule(
        client, admin, category_code="C0101", grid_prefix="330102001", department_code="SZ-TRAF"
    )
    assert replaced.status_code == 200 and await suggested() == "SZ-TRAF"
    # A retired department is never suggested: the next best rule is.
    await client.put(
        "/api/v1/admin/departments/SZ-TRAF",
        json={"name_zh": "区交通运输局", "name_en": "District Transport Bureau", "active": False},
        headers=admin,
    )
    assert await suggested() == "SZ-WATER"
    removed = await client.delete(f"/api/v1/admin/routing-rules/{minor.json()['id']}", headers=admin)
    assert removed.status_code == 204
    assert await suggested() == "SZ-STREET"
    listed = (await client.get("/api/v1/admin/routing-rules", headers=admin)).json()["items"]
    assert {(r["category_code"], r["grid_prefix"], r["department_code"]) for r in listed} == {
        ("C01", None, "SZ-MUNI"),
        ("C01", "330102001", "SZ-STREET"),
        ("C0101", "330102001", "SZ-TRAF"),
        ("C0101", "330102002", "SZ-GREEN"),
    }
    unknown = await rule(client, admin, category_code="C0101", department_code="NOBODY")
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_department"


async def test_reply_indicators(client: httpx.AsyncClient, app: Litestar) -> None:
    desk = await staff_headers(app, "dispatcher", "supervisor")
    citizen = await device_headers(client)
    on_time = await inquiry(client, citizen)
    late = await inquiry(client, citizen)
    waiting = await submit(client, citizen, type="suggestion", category_code=None)
    await submit(client, citizen)
    await act(client, desk, on_time["id"], "reply", 1, public_message=ANSWER)
    await set_fields(app, late["id"], deadline_at=datetime.now(UTC) - timedelta(hours=1))
    await act(client, desk, late["id"], "reply", 1, public_message=ANSWER)

    report = (
        await client.get("/api/v1/stats/overview", params={"group_by": "request_type"}, headers=desk)
    ).json()
    total = report["total"]
    assert (total["replied"], total["replied_on_time"], total["reply_on_time_rate"]) == (2, 1, 0.5)
    groups = {g["key"]: g for g in report["groups"]}
    assert groups["inquiry"]["name"] == "咨询" and groups["inquiry"]["replied"] == 2
    assert groups["suggestion"]["replied"] == 0 and groups["suggestion"]["reply_on_time_rate"] is None
    assert groups["complaint"]["reported"] == 1
    assert waiting["id"] not in json.dumps(report)
