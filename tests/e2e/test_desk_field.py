"""The desk's side of the inspectors' day (issue 12) in a real browser: the demo inspector clocks in and
sends a few track points through the field API; a dispatcher sees them on shift at /staff/inspectors
with a recent position, draws their track, calls the roll and sees the answer; sends one case to verify
(核实, automatic assignment) and another to check (核查, the inspector chosen), finds both on
/staff/tasks and in the inspector's own task list, and reads the verify's outcome and its position flag
on the case page. The inspector clocks out at the end (the server is shared), and sending a task with
nobody on shift shows the API's reason."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    Server,
    answer_open_roll_calls,
    api_login,
    desk_sign_in,
    handled_case,
    phone_token,
    report_through_api,
)

pytestmark = pytest.mark.e2e

# Inside the demo grid 330102002002001, so that the patrol counts for its coverage.
WALK_START = (30.2750, 120.1560)
CASE_POINT = {"lat": 30.2756, "lng": 120.1566}


def demo_inspector(page: Page, staff: dict[str, str]) -> dict:
    items = page.request.get("/api/v1/staff/inspectors", headers=staff).json()["items"]
    return next(item for item in items if item["username"] == "inspector")


def at(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


@pytest.fixture
def inspector_on_shift(page: Page) -> Iterator[tuple[dict[str, str], dict]]:
    """The demo inspector clocked in (or still on shift from an earlier test) with a short walk of
    track points just sent; clocked out afterwards, whatever the test did."""
    page.goto("/")
    headers = api_login(page, "inspector", "inspector-demo")
    lat, lng = WALK_START
    answer = page.request.post(
        "/api/v1/field/shifts", headers=headers, data={"location": {"lat": lat, "lng": lng, "accuracy_m": 8}}
    )
    assert answer.status in (200, 201), answer.text()
    shift = answer.json()
    try:
        # Six points over the last few seconds, north-east along the street: one segment, no gap.
        now = datetime.now(UTC)
        points = [
            {
                "at": at(now - timedelta(seconds=12 - 2 * i)),
                "lat": lat + 0.0002 * i,
                "lng": lng + 0.0002 * i,
                "accuracy_m": 6,
                "speed_mps": 1.2,
            }
            for i in range(6)
        ]
        sent = page.request.post(
            f"/api/v1/field/shifts/{shift['id']}/points",
            headers=headers,
            data={"batch_id": str(uuid.uuid4()), "points": points},
        )
        assert sent.ok, sent.text()
        assert sent.json()["stored"] == 6
        yield headers, shift
    finally:
        # A roll call a test put and left unanswered would cover the field app in later tests.
        answer_open_roll_calls(page, {"lat": lat, "lng": lng, "accuracy_m": 8})
        ended = page.request.post(
            f"/api/v1/field/shifts/{shift['id']}/end",
            headers=headers,
            data={"location": {"lat": lat + 0.001, "lng": lng + 0.001, "accuracy_m": 8}},
        )
        assert ended.ok, ended.text()


def test_the_desk_follows_an_inspector_on_shift_and_sends_tasks(
    desk: Page, server: Server, page: Page, inspector_on_shift: tuple[dict[str, str], dict]
) -> None:
    field, shift = inspector_on_shift
    staff = api_login(page, "dispatcher", "dispatcher-demo")
    inspector = demo_inspector(page, staff)
    assert inspector["on_shift"] and inspector["shift_id"] == shift["id"]

    desk_sign_in(desk, server, "dispatcher", "dispatcher-demo")
    desk.locator("[data-test=nav-inspectors]").click()
    expect(desk).to_have_url(f"{server.base}/staff/inspectors")
    expect(desk).to_have_title("巡查监督 · 城市服务 · 受理台")

    # Listed on shift with a position seconds old (the list says what the map's pin says).
    row = desk.locator(f'[data-inspector="{inspector["id"]}"]')
    expect(row.locator("[data-test=shift-state]")).to_have_text("在岗")
    expect(row.locator("[data-test=position-age]")).to_have_text(re.compile(r"^最后位置 (刚刚|\d+秒钟前)$"))
    expect(desk.locator(".inspector-pin:not(.stale)")).to_have_count(1)
    expect(desk.locator(".inspector-pin .inspector-pin-label")).to_contain_text("inspector")

    # Selected: the shift's track is drawn, a line of its own (a Leaflet SVG path), and summed up.
    row.locator("[data-test=inspector-pick]").click()
    expect(row.locator("[data-test=inspector-pick]")).to_have_attribute("aria-pressed", "true")
    line = desk.locator(".inspectors-map path.track-line")
    expect(line.first).to_be_attached()
    assert re.search(r"M[\d.\- ]+L", line.first.get_attribute("d") or ""), line.first.get_attribute("d")
    expect(desk.locator("[data-test=track-summary]")).to_contain_text("个定位点")

    # Patrol coverage of today (the city's day): the walk's grid, patrolled by one inspector at least.
    coverage = desk.locator('table.coverage tr[data-grid="330102002002001"]')
    expect(coverage).to_be_visible()

    # Roll call: listed at once as unanswered; answered on the phone, it shows answered after a refresh.
    desk.locator("[data-test=roll-call]").click()
    expect(desk.locator("[data-test=inspectors-news]")).to_have_text("已对inspector点名，等待回应。")
    opened = page.request.get("/api/v1/field/roll-calls?state=open", headers=field).json()["items"]
    assert opened, "the inspector has no open roll call"
    call = opened[0]
    call_row = desk.locator(f'tr[data-roll-call="{call["id"]}"]')
    expect(call_row).to_have_attribute("data-state", "open")
    expect(call_row).to_contain_text("未回应")
    answered = page.request.post(
        f"/api/v1/field/roll-calls/{call['id']}/answer",
        headers=field,
        data={"location": {"lat": 30.2762, "lng": 120.1572, "accuracy_m": 5}},
    )
    assert answered.ok, answered.text()
    desk.locator("[data-test=inspectors-refresh]").click()
    expect(call_row).to_have_attribute("data-state", "answered")
    expect(call_row).to_contain_text("已回应")
    call_row.locator("[data-test=roll-call-show]").click()
    expect(desk.locator(".inspectors-map path.roll-call-answer")).to_be_attached()
    expect(desk.locator("[data-test=inspectors-news]")).to_have_text("地图已移到inspector回应点名时的位置。")

    # 派核实 from the case page of a report waiting for triage, to whoever the API picks.
    page.goto("/")
    reported = report_through_api(page, phone_token(page), "路灯杆倾斜，怕倒下来", location=CASE_POINT)
    desk.goto(f"/staff/cases/{reported['id']}")
    expect(desk.locator("[data-test=case-status]")).to_have_text("待受理")
    desk.locator("[data-test=send-task][data-kind=verify]").click()
    expect(desk.locator("select[name=task_inspector]")).to_be_focused()
    expect(desk.locator("select[name=task_inspector]")).to_have_value("")
    desk.locator("[data-test=send-task-confirm]").click()
    expect(desk.locator("[data-test=task-result]")).to_contain_text("已派inspector核实")
    expect(desk.locator('[data-test=case-tasks] li[data-kind="verify"]')).to_contain_text("办理中")
    expect(desk.locator("[data-test=send-task]")).to_have_count(0)
    mine = page.request.get("/api/v1/field/tasks", headers=field).json()["items"]
    verify = next(task for task in mine if task["case"]["id"] == reported["id"])
    assert verify["kind"] == "verify" and verify["status"] == "open"

    # 派核查 of a handled case, to the inspector chosen in the picker.
    handled = handled_case(page, "人行道护栏倒了一段", CASE_POINT)
    desk.goto(f"/staff/cases/{handled['id']}")
    expect(desk.locator("[data-test=case-status]")).to_have_text("待核查")
    desk.locator("[data-test=send-task][data-kind=check]").click()
    picker = desk.locator("select[name=task_inspector]")
    expect(picker.locator(f'option[value="{inspector["id"]}"]')).to_have_text("inspector · 在岗")
    picker.select_option(inspector["id"])
    desk.locator("[data-test=send-task-confirm]").click()
    expect(desk.locator("[data-test=task-result]")).to_contain_text("已派inspector核查")
    mine = page.request.get("/api/v1/field/tasks", headers=field).json()["items"]
    check = next(task for task in mine if task["case"]["id"] == handled["id"])
    assert check["kind"] == "check"

    # Both on the tasks page, open, each with its case.
    desk.locator("[data-test=nav-tasks]").click()
    expect(desk).to_have_url(f"{server.base}/staff/tasks")
    expect(desk.locator(f'tr[data-task="{verify["id"]}"]')).to_contain_text("核实")
    expect(desk.locator(f'tr[data-task="{verify["id"]}"]')).to_contain_text(reported["tracking_no"])
    expect(desk.locator(f'tr[data-task="{check["id"]}"]')).to_contain_text("核查")
    expect(desk.locator(f'tr[data-task="{check["id"]}"] a')).to_have_attribute(
        "href", f"/staff/cases/{handled['id']}"
    )

    # The inspector confirms the report from two kilometres away: the done tab has the outcome, and
    # the case page the verify step with it, the inspector named as such, and the position flagged.
    result = page.request.post(
        f"/api/v1/field/tasks/{verify['id']}/result",
        headers=field,
        data={
            "client_id": str(uuid.uuid4()),
            "outcome": "confirmed",
            "note": "现场确认灯杆倾斜约十度",
            "location": {"lat": CASE_POINT["lat"] + 0.02, "lng": CASE_POINT["lng"], "accuracy_m": 10},
        },
    )
    assert result.ok, result.text()
    desk.locator('[role=tab][data-state="done"]').click()
    expect(desk).to_have_url(re.compile(r"/staff/tasks\?state=done$"))
    outcome = desk.locator(f'tr[data-task="{verify["id"]}"] [data-test=task-outcome]')
    expect(outcome).to_contain_text("情况属实")

    desk.goto(f"/staff/cases/{reported['id']}")
    step = desk.locator(".timeline li", has=desk.locator("[data-test=verify-outcome]"))
    expect(step).to_contain_text("核实")
    expect(step.locator("[data-test=verify-outcome]")).to_have_text("核实结果情况属实")
    expect(step.locator("[data-test=internal-note]")).to_contain_text("现场确认灯杆倾斜约十度")
    expect(step).to_contain_text("inspector（监督员）")
    check_item = desk.locator("[data-test=position-check]").first
    expect(check_item).to_contain_text("核实结果")
    expect(check_item).to_contain_text("位置存疑")
    expect(check_item).to_contain_text(re.compile(r"距案件位置 2\.\d 公里"))
    expect(desk.locator('[data-test=case-tasks] li[data-kind="verify"]')).to_contain_text("情况属实")

    # The inspector's figures on the indicators page: their verify done on time counts.
    desk.locator("a", has_text="综合评价").click()
    figures = desk.locator(f'[data-test=inspector-figures] tr[data-inspector="{inspector["id"]}"]')
    expect(figures).to_contain_text("inspector")
    expect(figures.locator("td").nth(2)).to_have_text(re.compile(r"^\d+\.\d%（\d+/[1-9]\d*）$"))


def test_sending_a_task_with_nobody_on_shift_says_so(desk: Page, server: Server, page: Page) -> None:
    page.goto("/")
    staff = api_login(page, "dispatcher", "dispatcher-demo")
    items = page.request.get("/api/v1/staff/inspectors", headers=staff).json()["items"]
    if any(item["on_shift"] for item in items):
        pytest.skip("an inspector is on shift on the shared server")
    reported = report_through_api(page, phone_token(page), "路面塌了一个小坑", location=CASE_POINT)
    desk_sign_in(desk, server, "dispatcher", "dispatcher-demo")
    desk.goto(f"/staff/cases/{reported['id']}")
    desk.locator("[data-test=send-task][data-kind=verify]").click()
    desk.locator("[data-test=send-task-confirm]").click()
    expect(desk.locator("[data-test=task-failed]")).to_have_text("现在没有监督员在岗，请手动指定一位监督员。")
    # The form stays open for choosing someone.
    expect(desk.locator("select[name=task_inspector]")).to_be_visible()


def test_a_supervisor_assigns_an_inspector_their_grids(desk: Page, server: Server, page: Page) -> None:
    page.goto("/")
    desk_sign_in(desk, server, "supervisor", "supervisor-demo")
    desk.locator("[data-test=nav-inspectors]").click()
    staff = api_login(page, "supervisor", "supervisor-demo")
    inspector = demo_inspector(page, staff)
    before = inspector["grid_codes"]
    try:
        desk.locator("select[name=grid_inspector]").select_option(inspector["id"])
        # Every grid of the city is offered; typing part of a code or a name narrows the list.
        grids = page.request.get("/api/v1/staff/grids", headers=staff).json()["items"]
        assert len(grids) > 1
        options = desk.locator("[data-grid-option]")
        expect(options).to_have_count(len(grids))
        search = desk.locator("input[name=grid_filter]")
        search.fill("002002001")
        expect(options).to_have_count(1)
        expect(desk.locator("[data-test=grid-counts]")).to_contain_text(f"共 {len(grids)} 个网格，匹配 1 个")
        wanted = next(grid for grid in grids if grid["code"] == "330102002002001")
        search.fill(wanted["name"])
        option = desk.locator('[data-grid-option="330102002002001"]')
        expect(option).to_contain_text(wanted["name"])
        # Ticked from the keyboard: Tab from the search box to the box, Space.
        box = option.locator("input")
        if box.is_checked():
            box.uncheck()
        search.press("Tab")
        expect(box).to_be_focused()
        desk.keyboard.press("Space")
        expect(box).to_be_checked()
        expect(desk.locator("[data-test=grids-ticked]")).to_contain_text(wanted["name"])
        # Grids filtered out of view keep their ticks: the inspector's other grids are saved too.
        search.fill("")
        desk.locator("[data-test=grids-save]").click()
        expect(desk.locator("[data-test=grids-news]")).to_contain_text("已保存inspector的责任网格")
        row = desk.locator(f'[data-inspector="{inspector["id"]}"] [data-test=inspector-grids]')
        expect(row).to_contain_text("330102002002001")
        assert set(demo_inspector(page, staff)["grid_codes"]) == {*before, "330102002002001"}
    finally:
        restored = page.request.put(
            f"/api/v1/staff/inspectors/{inspector['id']}/grids", headers=staff, data={"grid_codes": before}
        )
        assert restored.ok, restored.text()
