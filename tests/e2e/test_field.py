"""The inspectors' field app (城管通, issue 12) on a phone: an inspector signs in at /field, clocks in,
patrols with a moving position whose track reaches the server, files a report with a photo, answers a
核查 task while offline (sent once back online), answers a roll call, and the app opens offline with
its track kept across a reload."""

from __future__ import annotations

import io
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import Server, answer_open_roll_calls, api_login, handled_case
from tests.e2e.test_report import wait_for_service_worker

pytestmark = pytest.mark.e2e

SAMPLE = Path(__file__).resolve().parents[2] / "media" / "samples" / "manhole.jpg"
START = {"latitude": 30.2741, "longitude": 120.1551, "accuracy": 10}


def photo_taken_at(path: Path, lat: float, lng: float) -> Path:
    """A camera's JPEG whose EXIF puts it at (lat, lng) (as tests/api/test_inspectors.py's jpeg_taken_at)."""

    def dms(value: float) -> tuple[float, float, float]:
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        return (float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 2))

    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: dms(lat), 3: "E", 4: dms(lng)})
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), "olive").save(buffer, "JPEG", exif=exif)
    path.write_bytes(buffer.getvalue())
    return path


def field_token(page: Page) -> str:
    return page.evaluate("() => localStorage.getItem('city.field_token')")


def as_inspector(page: Page, path: str) -> dict:
    answer = page.request.get(path, headers={"Authorization": f"Bearer {field_token(page)}"})
    assert answer.ok, answer.text()
    return answer.json()


def sign_in(page: Page) -> None:
    page.goto("/field")
    # A roll call another file's test put to the demo inspector would cover these screens.
    answer_open_roll_calls(page, {"lat": START["latitude"], "lng": START["longitude"], "accuracy_m": 10})
    expect(page).to_have_url("/field/login?next=/field")
    page.locator("input[name=username]").fill("inspector")
    page.locator("input[name=password]").fill("inspector-demo")
    page.locator("[data-test=sign-in]").click()
    expect(page).to_have_url("/field")
    expect(page.locator("[data-test=field-title]")).to_have_text("个人任务")


def on_shift(page: Page) -> None:
    """Clock in on the 考勤 tab (the demo inspector may still be on shift from an earlier test)."""
    page.locator("[data-test=tab-field-shift]").click()
    clock = page.locator("[data-test=clock]")
    # Until the app has read the shift, the button cannot tell clocking in from out: it waits, disabled.
    expect(clock).to_be_enabled()
    expect(clock).to_have_text(re.compile("^(上班打卡|下班打卡)$"))
    if clock.inner_text().strip() == "上班打卡":
        clock.click()
    expect(clock).to_have_text("下班打卡")
    expect(page.locator("[data-test=patrol-status]")).to_contain_text("巡查中")


def walk(context: BrowserContext, page: Page, steps: int, start: dict = START) -> None:
    """Move north some 33 m a step, a little over a second apart: each step is a point of the track."""
    for step in range(1, steps + 1):
        page.wait_for_timeout(1100)
        context.set_geolocation({**start, "latitude": start["latitude"] + 0.0003 * step})
    page.wait_for_timeout(1100)


def to_background_and_back(page: Page) -> None:
    """What the phone does when the inspector switches apps: the buffer is sent on visibilitychange."""
    page.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")


def wait_until_kept_for_offline(page: Page) -> None:
    """Until every file of the field app the page loaded is in the cache the service worker answers from."""
    page.wait_for_function(
        """async () => {
            const cache = await caches.open('field-app');
            const files = performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)
                .filter((path) => /^\\/assets\\/field\\/[^/]+\\.(js|css)$/.test(path));
            const kept = await Promise.all(files.map((path) => cache.match(path)));
            return files.length > 5 && kept.every(Boolean);
        }""",
        polling=250,
        timeout=15_000,
    )


def open_shift(page: Page) -> dict:
    shifts = as_inspector(page, "/api/v1/field/shifts")["items"]
    assert shifts and shifts[0]["ended_at"] is None
    return shifts[0]


def test_a_staff_account_is_refused_with_a_clear_message(page: Page) -> None:
    page.goto("/field/login")
    page.locator("input[name=username]").fill("dispatcher")
    page.locator("input[name=password]").fill("dispatcher-demo")
    page.locator("[data-test=sign-in]").click()
    expect(page.locator("[data-test=sign-in-failed]")).to_contain_text("不是监督员账号")
    assert field_token(page) is None
    expect(page).to_have_url("/field/login")


def test_an_inspector_clocks_in_patrols_and_the_track_reaches_the_server(
    page: Page, context: BrowserContext
) -> None:
    context.set_geolocation(START)
    sign_in(page)
    expect(page.locator("[data-test=field-tabbar] a")).to_have_text(["任务", "上报", "考勤", "记录"])
    on_shift(page)
    expect(page.locator("[data-test=screen-note]")).to_contain_text("熄屏")
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
    expect(page.locator("[data-test=track-points]")).not_to_have_text("0")


def test_an_inspector_files_a_report_with_a_photo(
    page: Page, context: BrowserContext, tmp_path: Path
) -> None:
    """The photo goes up as the camera made it: its EXIF position reaches the server's check."""
    photo = photo_taken_at(tmp_path / "camera.jpg", START["latitude"], START["longitude"])
    context.set_geolocation(START)
    sign_in(page)
    page.locator("[data-test=tab-field-report]").click()
    expect(page.locator("[data-test=field-title]")).to_have_text("问题上报")
    expect(page.locator("[data-test=location]")).to_contain_text("30.27410")
    # Nothing filled in: each missing field is named.
    page.locator("[data-test=submit-report]").click()
    expect(page.locator("[data-test=missing]")).to_contain_text("问题照片")
    page.locator("[data-test=report-photos] input[type=file]").set_input_files(str(photo))
    expect(page.locator("[data-test=report-photos] .van-uploader__preview")).to_have_count(1)
    page.locator("[data-test=category]").click()
    page.locator("[data-test=category-option]", has_text="公用设施").click()
    page.locator("[data-test=category-option]", has_text="上水井盖").click()
    page.locator("[data-test=description]").fill("巡查发现上水井盖破损")
    sent: list[dict] = []
    # The context's requests: the page's and the service worker's (Background Sync may send it).
    context.on(
        "request",
        lambda request: (
            request.method == "POST"
            and request.url.endswith("/api/v1/field/reports")
            and sent.append(request.post_data_json)
        ),
    )
    page.locator("[data-test=submit-report]").click()
    expect(page).to_have_url("/field/history")
    report = page.locator("[data-test=my-report]", has_text="巡查发现上水井盖破损")
    expect(report).to_have_count(1, timeout=15_000)
    mine = as_inspector(page, "/api/v1/field/reports")["items"]
    found = [item for item in mine if item["description"] == "巡查发现上水井盖破损"]
    assert len(found) == 1
    assert found[0]["category_code"] == "C0101"
    assert found[0]["thumb_url"]
    assert found[0]["self_handled"] is False
    expect(report).to_contain_text(found[0]["tracking_no"])
    # The desk sees where the camera took the photo (EXIF, from the private original), next to the point.
    staff = api_login(page, "dispatcher", "dispatcher-demo")
    detail = page.request.get(f"/api/v1/staff/cases/{found[0]['id']}", headers=staff).json()
    checks = detail["position_checks"]
    assert [check["kind"] for check in checks] == ["report"]
    assert checks[0]["photo_distance_m"] is not None
    assert checks[0]["photo_distance_m"] < 50
    # The report said when the phone made it, before it went up.
    assert sent and all(body == sent[0] for body in sent)
    recorded_at = datetime.fromisoformat(sent[0]["recorded_at"])
    assert recorded_at.tzinfo is not None
    assert abs(datetime.now(UTC) - recorded_at) < timedelta(minutes=5)


def test_a_self_handled_report_needs_after_photos_and_lands_as_handled(
    page: Page, context: BrowserContext
) -> None:
    context.set_geolocation(START)
    sign_in(page)
    page.locator("[data-test=tab-field-report]").click()
    expect(page.locator("[data-test=location]")).to_contain_text("30.27410")
    page.locator("[data-test=report-photos] input[type=file]").set_input_files(str(SAMPLE))
    page.locator("[data-test=category]").click()
    page.locator("[data-test=category-option]", has_text="公用设施").click()
    page.locator("[data-test=category-option]", has_text="上水井盖").click()
    page.locator("[data-test=description]").fill("井盖翘起，已当场复位")
    switch = page.locator("[data-test=self-handled]")
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "true")
    page.locator("[data-test=submit-report]").click()
    expect(page.locator("[data-test=missing]")).to_contain_text("处置后照片")
    page.locator("[data-test=after-photos] input[type=file]").set_input_files(str(SAMPLE))
    expect(page.locator("[data-test=after-photos] .van-uploader__preview")).to_have_count(1)
    page.locator("[data-test=submit-report]").click()
    expect(page).to_have_url("/field/history")
    report = page.locator("[data-test=my-report]", has_text="井盖翘起，已当场复位")
    expect(report).to_contain_text("自处置", timeout=15_000)
    mine = as_inspector(page, "/api/v1/field/reports")["items"]
    found = next(item for item in mine if item["description"] == "井盖翘起，已当场复位")
    assert found["self_handled"] is True
    assert found["status"] == "handled"


def check_task_for_inspector(page: Page, case_id: str) -> dict:
    headers = api_login(page, "dispatcher", "dispatcher-demo")
    inspectors = page.request.get("/api/v1/staff/inspectors", headers=headers).json()["items"]
    inspector_id = next(item["id"] for item in inspectors if item["username"] == "inspector")
    answer = page.request.post(
        f"/api/v1/staff/cases/{case_id}/tasks",
        headers=headers,
        data={"kind": "check", "inspector_id": inspector_id},
    )
    assert answer.status == 201, answer.text()
    return answer.json()


def test_a_check_task_answered_offline_is_sent_once_back_online(page: Page, context: BrowserContext) -> None:
    context.set_geolocation(START)
    case = handled_case(page, "人行道护栏倒了")
    task = check_task_for_inspector(page, case["id"])
    sign_in(page)
    wait_for_service_worker(page)
    row = page.locator(f'[data-task="{task["id"]}"]')
    expect(row).to_contain_text("核查")
    expect(row).to_contain_text(case["tracking_no"])
    row.click()
    expect(page.locator("[data-test=case-summary]")).to_contain_text("人行道护栏倒了")

    context.set_offline(True)
    # Passed without a photo: refused on the phone, with the reason at the field.
    page.locator("[data-test=outcome-pass]").check()
    page.locator("[data-test=submit-result]").click()
    expect(page.locator("#photos-error")).to_have_text("请至少拍 1 张照片")
    page.locator("[data-test=result-photos] input[type=file]").set_input_files(str(SAMPLE))
    expect(page.locator("[data-test=result-photos] .van-uploader__preview")).to_have_count(1)
    page.locator("[data-test=submit-result]").click()
    expect(page).to_have_url("/field")
    expect(page.locator(f'[data-task="{task["id"]}"] [data-test=result-waiting]')).to_be_visible()
    page.locator("[data-test=tab-field-history]").click()
    expect(page.locator("[data-test=waiting-item]")).to_contain_text(case["tracking_no"])

    context.set_offline(False)
    expect(page.locator("[data-test=waiting-item]")).to_have_count(0, timeout=15_000)
    done = as_inspector(page, "/api/v1/field/tasks?state=done")["items"]
    result = next(item for item in done if item["id"] == task["id"])
    assert result["outcome"] == "pass"
    assert result["case"]["status"] == "closed"
    staff = api_login(page, "dispatcher", "dispatcher-demo")
    detail = page.request.get(f"/api/v1/staff/cases/{case['id']}", headers=staff).json()
    assert detail["summary"]["status"] == "closed"
    assert any(entry["photo_ids"] for entry in detail["timeline"] if entry["action"] == "check_pass")


def test_a_roll_call_is_shown_at_once_and_answered_with_the_position(
    page: Page, context: BrowserContext
) -> None:
    context.set_geolocation(START)
    sign_in(page)
    on_shift(page)
    headers = api_login(page, "dispatcher", "dispatcher-demo")
    inspectors = page.request.get("/api/v1/staff/inspectors", headers=headers).json()["items"]
    inspector_id = next(item["id"] for item in inspectors if item["username"] == "inspector")
    asked = page.request.post(
        "/api/v1/staff/roll-calls", headers=headers, data={"inspector_id": inspector_id}
    )
    assert asked.status == 201, asked.text()
    to_background_and_back(page)  # back in view: the app asks at once rather than at the next 15 s round
    dialog = page.locator("[data-test=roll-call]")
    expect(dialog).to_be_visible(timeout=20_000)
    expect(dialog).to_contain_text("点名抽查")
    expect(page.locator("[data-test=answer-roll-call]")).to_be_focused()
    page.locator("[data-test=answer-roll-call]").click()
    expect(dialog).to_be_hidden()
    deadline = time.monotonic() + 15
    answered = None
    while time.monotonic() < deadline:
        calls = page.request.get("/api/v1/staff/roll-calls", headers=headers).json()["items"]
        answered = next(item for item in calls if item["id"] == asked.json()["id"])
        if answered["answered_at"]:
            break
        page.wait_for_timeout(300)
    assert answered and answered["answered_at"]
    assert answered["location"]["lat"] == pytest.approx(START["latitude"], abs=0.001)


def test_the_field_app_opens_offline_and_keeps_the_track_across_a_reload(
    page: Page, context: BrowserContext, server: Server
) -> None:
    context.set_geolocation(START)
    sign_in(page)
    wait_for_service_worker(page)
    on_shift(page)
    wait_until_kept_for_offline(page)
    shift = open_shift(page)
    to_background_and_back(page)
    page.wait_for_timeout(1000)
    before = open_shift(page)["points"]

    context.set_offline(True)
    walk(context, page, 3, start={**START, "latitude": START["latitude"] + 0.01})
    page.reload()
    expect(page.locator("[data-test=field-title]")).to_have_text("考勤")
    expect(page.locator("[data-test=patrol-status]")).to_contain_text("巡查中")
    expect(page.locator("[data-test=upload-status]")).to_contain_text("个轨迹点待上传")
    for tab, title in (
        ("field-tasks", "个人任务"),
        ("field-report", "问题上报"),
        ("field-history", "历史记录"),
    ):
        page.locator(f"[data-test=tab-{tab}]").click()
        expect(page.locator("[data-test=field-title]")).to_have_text(title)
    page.locator("[data-test=tab-field-shift]").click()

    context.set_offline(False)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and open_shift(page)["points"] < before + 3:
        page.wait_for_timeout(300)
    after = open_shift(page)
    assert after["id"] == shift["id"]
    assert after["points"] >= before + 3
