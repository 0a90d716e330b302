"""An inspector's day end to end, as issue 12 asks: on a phone with a moving mocked position the demo
inspector clocks in at /field, patrols (the track reaches the server), files a report with a photo;
a dispatcher sends a handled case to check (核查) from the desk; the inspector passes it while
offline, with an after-photo, and it is sent once back online; the desk's case page shows the case
closed with the after-photo, and /staff/inspectors draws the inspector's track. Also: a voice note
(录音) on the case page is fetched only when played. The inspector is clocked out at the end whatever
happens (the server is shared)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, Request, expect

from tests.api.test_voice_notes import recording
from tests.e2e.a11y import axe_violations
from tests.e2e.conftest import Server, answer_open_roll_calls, api_login, desk_sign_in, handled_case
from tests.e2e.test_field import (
    SAMPLE,
    START,
    on_shift,
    open_shift,
    sign_in,
    to_background_and_back,
    walk,
)
from tests.e2e.test_report import wait_for_service_worker

pytestmark = pytest.mark.e2e


def clock_out(page: Page) -> None:
    """End the demo inspector's open shift, if any, through the API."""
    headers = api_login(page, "inspector", "inspector-demo")
    shifts = page.request.get("/api/v1/field/shifts", headers=headers).json()["items"]
    for shift in shifts:
        if shift["ended_at"] is None:
            ended = page.request.post(
                f"/api/v1/field/shifts/{shift['id']}/end",
                headers=headers,
                data={"location": {"lat": START["latitude"], "lng": START["longitude"], "accuracy_m": 10}},
            )
            assert ended.ok, ended.text()


@pytest.fixture
def helper(context: BrowserContext) -> Iterator[Page]:
    """A second tab of the phone's browser for API calls, so that the field app's tab stays on /field;
    the inspector clocked out when the test ends."""
    page = context.new_page()
    page.goto("/")
    answer_open_roll_calls(page, {"lat": START["latitude"], "lng": START["longitude"], "accuracy_m": 10})
    try:
        yield page
    finally:
        clock_out(page)


def test_an_inspectors_day_from_clock_in_to_the_desk_seeing_the_case_closed_and_the_track(
    page: Page, context: BrowserContext, helper: Page, desk: Page, server: Server
) -> None:
    context.set_geolocation(START)
    sign_in(page)
    wait_for_service_worker(page)

    # 考勤 and patrol: five steps north, each a point of the track, all uploaded.
    on_shift(page)
    before = open_shift(page)["points"]
    walk(context, page, 5)
    to_background_and_back(page)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and open_shift(page)["points"] < before + 5:
        page.wait_for_timeout(300)
    shift = open_shift(page)
    assert shift["points"] >= before + 5
    assert shift["distance_m"] > 100
    expect(page.locator("[data-test=upload-status]")).to_have_text("轨迹已全部上传")

    # 问题上报 with a photo, at the position the phone is at now.
    page.locator("[data-test=tab-field-report]").click()
    expect(page.locator("[data-test=location]")).to_contain_text("30.27")
    page.locator("[data-test=report-photos] input[type=file]").set_input_files(str(SAMPLE))
    expect(page.locator("[data-test=report-photos] .van-uploader__preview")).to_have_count(1)
    page.locator("[data-test=category]").click()
    page.locator("[data-test=category-option]", has_text="公用设施").click()
    page.locator("[data-test=category-option]", has_text="上水井盖").click()
    page.locator("[data-test=description]").fill("巡查一日：上水井盖缺角")
    page.locator("[data-test=submit-report]").click()
    # The phone asks for its position as the report goes (up to 8 s).
    expect(page).to_have_url("/field/history", timeout=15_000)
    expect(page.locator("[data-test=my-report]", has_text="巡查一日：上水井盖缺角")).to_have_count(
        1, timeout=15_000
    )

    # The desk sends a handled case to check, to this inspector, from the case page.
    case = handled_case(helper, "巡查一日：护栏松动已修复")
    desk_sign_in(desk, server, "dispatcher", "dispatcher-demo")
    desk.goto(f"/staff/cases/{case['id']}")
    expect(desk.locator("[data-test=case-status]")).to_have_text("待核查")
    desk.locator("[data-test=send-task][data-kind=check]").click()
    picker = desk.locator("select[name=task_inspector]")
    picker.select_option(label="inspector · 在岗")
    desk.locator("[data-test=send-task-confirm]").click()
    expect(desk.locator("[data-test=task-result]")).to_contain_text("已派inspector核查")

    # The phone: the task is listed; the inspector passes it offline with an after-photo.
    page.locator("[data-test=tab-field-tasks]").click()
    expect(page.locator("[data-test=field-title]")).to_have_text("个人任务")
    row = page.locator("[data-task]", has_text=case["tracking_no"])
    expect(row).to_contain_text("核查")
    task_id = row.get_attribute("data-task")
    row.click()
    expect(page.locator("[data-test=case-summary]")).to_contain_text("巡查一日：护栏松动已修复")
    context.set_offline(True)
    page.locator("[data-test=outcome-pass]").check()
    page.locator("[data-test=result-photos] input[type=file]").set_input_files(str(SAMPLE))
    expect(page.locator("[data-test=result-photos] .van-uploader__preview")).to_have_count(1)
    page.locator("[data-test=submit-result]").click()
    expect(page).to_have_url("/field", timeout=15_000)
    expect(page.locator(f'[data-task="{task_id}"] [data-test=result-waiting]')).to_be_visible()
    page.locator("[data-test=tab-field-history]").click()
    expect(page.locator("[data-test=waiting-item]")).to_contain_text(case["tracking_no"])
    context.set_offline(False)
    expect(page.locator("[data-test=waiting-item]")).to_have_count(0, timeout=15_000)

    # The desk's case page: closed (已结案), the check step with its after-photo, loaded.
    desk.goto(f"/staff/cases/{case['id']}")
    expect(desk.locator("[data-test=case-status]")).to_have_text("已结案")
    step = desk.locator(".timeline li", has_text="核查通过")
    expect(step).to_contain_text("inspector（监督员）")
    after = step.locator(".photos img")
    expect(after).to_have_count(1)
    expect(after).to_be_visible()
    desk.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=after.element_handle(), timeout=10_000
    )
    expect(desk.locator('[data-test=case-tasks] li[data-kind="check"]')).to_contain_text("核查通过")

    # /staff/inspectors: the inspector on shift, their track drawn as a line of the map.
    desk.locator("[data-test=nav-inspectors]").click()
    expect(desk).to_have_url(f"{server.base}/staff/inspectors")
    staff = api_login(helper, "dispatcher", "dispatcher-demo")
    items = helper.request.get("/api/v1/staff/inspectors", headers=staff).json()["items"]
    inspector = next(item for item in items if item["username"] == "inspector")
    assert inspector["shift_id"] == shift["id"]
    pick = desk.locator(f'[data-inspector="{inspector["id"]}"] [data-test=inspector-pick]')
    pick.click()
    line = desk.locator(".inspectors-map path.track-line")
    expect(line.first).to_be_attached()
    assert re.search(r"M[\d.\- ]+L", line.first.get_attribute("d") or ""), line.first.get_attribute("d")
    expect(desk.locator("[data-test=track-summary]")).to_contain_text("个定位点")


def test_a_voice_note_is_fetched_only_when_played(page: Page, desk: Page, server: Server) -> None:
    """An inspector's report with a voice note: the desk's case page names it with its size, fetches
    it (an audited listening) only when play is pressed, and once however often it is played."""
    page.goto("/")
    field = api_login(page, "inspector", "inspector-demo")
    sound = recording(2)
    note = page.request.post(
        "/api/v1/field/voice-notes",
        headers=field,
        multipart={"file": {"name": "note.webm", "mimeType": "audio/webm", "buffer": sound}},
    )
    assert note.status == 201, note.text()
    photo = page.request.post(
        "/api/v1/uploads",
        headers=field,
        multipart={"file": {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": SAMPLE.read_bytes()}},
    )
    assert photo.status == 201, photo.text()
    here = {"lat": START["latitude"], "lng": START["longitude"], "accuracy_m": 8}
    report = page.request.post(
        "/api/v1/field/reports",
        headers=field,
        data={
            "client_id": page.evaluate("() => crypto.randomUUID()"),
            "category_code": "C0101",
            "description": "井盖松动，录音说明位置",
            "location": here,
            "device_location": here,
            "photo_ids": [photo.json()["id"]],
            "voice_note_id": note.json()["id"],
        },
    )
    assert report.status == 201, report.text()

    fetched: list[str] = []

    def on_request(request: Request) -> None:
        if "/api/v1/staff/voice-notes/" in request.url:
            fetched.append(request.url)

    desk.on("request", on_request)
    desk_sign_in(desk, server, "dispatcher", "dispatcher-demo")
    desk.goto(f"/staff/cases/{report.json()['id']}")
    kb = max(1, round(len(sound) / 1024))
    notes = desk.locator("[data-test=voice-notes]")
    expect(notes).to_contain_text(f"录音 1（{kb} KB）")
    play = notes.get_by_role("button", name=f"播放录音 1（{kb} KB）")
    expect(play).to_be_visible()
    desk.wait_for_timeout(500)
    assert fetched == [], "fetched before anyone pressed play"

    play.focus()
    desk.keyboard.press("Enter")
    expect(notes.locator("[data-test=voice-time]")).to_contain_text("/ 0:02")
    assert len(fetched) == 1
    assert axe_violations(desk) == []
    # Played to its end (two seconds), then again: from what was fetched already.
    expect(notes.locator("[data-voice-note]")).to_have_attribute("data-state", "idle", timeout=10_000)
    play.click()
    expect(notes.locator("[data-voice-note]")).to_have_attribute("data-state", "playing")
    notes.get_by_role("button", name=f"暂停录音 1（{kb} KB）").click()
    expect(notes.locator("[data-voice-note]")).to_have_attribute("data-state", "paused")
    assert len(fetched) == 1
