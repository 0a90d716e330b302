"""Everyone can use the inspectors' field app (issue 12): no serious or critical axe-core violation on
any of its screens, in Chinese, in English and in elders' mode (长辈模式), with one h1 and one main
each; focus visible at every tab stop; the roll call's dialog takes focus."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.a11y import axe_violations, tab_stops
from tests.e2e.conftest import PHONE, Server, answer_open_roll_calls, api_login, api_token, handled_case
from tests.e2e.test_field import check_task_for_inspector

pytestmark = pytest.mark.e2e

HERE = {"latitude": 30.2741, "longitude": 120.1551, "accuracy": 12}
ELDERS_ON = "localStorage.setItem('city.elders', '1')"


@pytest.fixture(params=["zh-CN", "en", "elders"])
def field_phone(request: pytest.FixtureRequest, browser: Browser, server: Server) -> Iterator[Page]:
    """An inspector's phone in Chinese, in English, or in Chinese with elders' mode on."""
    mode = request.param
    context = browser.new_context(
        base_url=server.base,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="en-US" if mode == "en" else "zh-CN",
        geolocation=HERE,
        permissions=["geolocation"],
    )
    if mode == "elders":
        context.add_init_script(ELDERS_ON)
    try:
        yield context.new_page()
    finally:
        context.close()


def signed_in(page: Page) -> str:
    """The inspector's session put on the phone as the sign-in page would, and a shift open. A roll
    call another test left open (the server is shared) is answered first: its dialog would cover the
    page."""
    page.goto("/field/login")
    token = api_token(page, "inspector", "inspector-demo")
    page.evaluate("(token) => localStorage.setItem('city.field_token', token)", token)
    started = page.request.post(
        "/api/v1/field/shifts",
        headers={"Authorization": f"Bearer {token}"},
        data={"location": {"lat": HERE["latitude"], "lng": HERE["longitude"], "accuracy_m": 12}},
    )
    assert started.ok, started.text()
    answer_open_roll_calls(page, {"lat": HERE["latitude"], "lng": HERE["longitude"], "accuracy_m": 12})
    return token


def structure(page: Page) -> list[str]:
    problems = axe_violations(page)
    if page.locator("h1").count() != 1:
        problems.append(f"{page.locator('h1').count()} h1 elements, not one")
    if page.locator("main").count() != 1:
        problems.append(f"{page.locator('main').count()} main landmarks, not one")
    return problems


def test_no_serious_axe_violation_on_any_field_screen(field_phone: Page) -> None:
    page = field_phone
    found: dict[str, list[str]] = {}

    def check(where: str) -> None:
        page.wait_for_timeout(300)  # let transitions end: axe judges the colours on screen
        found[where] = structure(page)

    page.goto("/field/login")
    expect(page.locator("[data-test=sign-in]")).to_be_visible()
    check("/field/login")
    page.locator("input[name=username]").fill("dispatcher")
    page.locator("input[name=password]").fill("dispatcher-demo")
    page.locator("[data-test=sign-in]").click()
    expect(page.locator("[data-test=sign-in-failed]")).to_be_visible()
    check("/field/login, refused")

    case = handled_case(page, "井盖已更换，待核查")
    task = check_task_for_inspector(page, case["id"])
    signed_in(page)
    page.goto("/field")
    expect(page.locator(f'[data-task="{task["id"]}"]')).to_be_visible()
    check("/field")
    page.locator("[data-test=tasks-done]").click()
    expect(page.locator("[data-test=tasks-done]")).to_have_attribute("aria-pressed", "true")
    check("/field, done")

    page.goto(f"/field/tasks/{task['id']}")
    expect(page.locator("[data-test=result-form]")).to_be_visible()
    check("/field/tasks/<id>")
    page.locator("[data-test=outcome-fail]").check()
    page.locator("[data-test=submit-result]").click()
    expect(page.locator("#note-error")).to_be_visible()
    check("/field/tasks/<id> with the missing fields marked")

    page.goto("/field/report")
    expect(page.locator("[data-test=location]")).to_contain_text("30.27410")
    check("/field/report")
    page.locator("[data-test=self-handled]").click()
    page.locator("[data-test=submit-report]").click()
    expect(page.locator("[data-test=missing]")).to_be_visible()
    check("/field/report with the missing fields marked")
    page.locator("[data-test=category]").click()
    expect(page.locator("[data-test=category-option]")).not_to_have_count(0)
    check("/field/report, category picker")
    page.keyboard.press("Escape")

    page.goto("/field/shift")
    expect(page.locator("[data-test=shift-time]")).to_be_visible()
    check("/field/shift")

    page.goto("/field/history")
    expect(page.locator("[data-test=my-reports]")).to_be_visible()
    check("/field/history")

    failing = {where: violations for where, violations in found.items() if violations}
    assert failing == {}, "\n".join(f"{where}:\n  " + "\n  ".join(v) for where, v in failing.items())


@pytest.mark.parametrize("path", ["/field", "/field/report", "/field/shift", "/field/history"])
def test_focus_is_visible_at_every_tab_stop(page: Page, path: str) -> None:
    signed_in(page)
    page.goto(path)
    expect(page.locator("[data-test=field-title]")).to_be_visible()
    page.wait_for_timeout(500)
    stops = tab_stops(page)
    assert len(stops) >= 5, stops
    invisible = [stop.description for stop in stops if not stop.visible]
    assert invisible == [], f"no visible focus at: {invisible}"


def test_the_task_form_and_login_show_focus_too(page: Page) -> None:
    case = handled_case(page, "路灯杆倾斜，待核查")
    task = check_task_for_inspector(page, case["id"])
    page.goto("/field/login")
    stops = tab_stops(page)
    assert [stop.description for stop in stops if not stop.visible] == []
    signed_in(page)
    page.goto(f"/field/tasks/{task['id']}")
    expect(page.locator("[data-test=result-form]")).to_be_visible()
    stops = tab_stops(page)
    descriptions = [stop.description for stop in stops]
    assert any(d.startswith("textarea") for d in descriptions), descriptions
    assert [stop.description for stop in stops if not stop.visible] == []


def test_a_roll_call_dialog_takes_focus_and_passes_axe(page: Page) -> None:
    signed_in(page)
    page.goto("/field/shift")
    expect(page.locator("[data-test=shift-time]")).to_be_visible()
    headers = api_login(page, "dispatcher", "dispatcher-demo")
    inspectors = page.request.get("/api/v1/staff/inspectors", headers=headers).json()["items"]
    inspector_id = next(item["id"] for item in inspectors if item["username"] == "inspector")
    asked = page.request.post(
        "/api/v1/staff/roll-calls", headers=headers, data={"inspector_id": inspector_id}
    )
    assert asked.status == 201, asked.text()
    page.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
    dialog = page.locator("[data-test=roll-call]")
    expect(dialog).to_be_visible(timeout=20_000)
    expect(page.locator("[data-test=answer-roll-call]")).to_be_focused()
    page.wait_for_timeout(300)
    assert axe_violations(page) == []
    page.locator("[data-test=answer-roll-call]").click()
    expect(dialog).to_be_hidden()
