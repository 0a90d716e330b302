"""Everyone can use the inbox and the notification settings of every face (citizen, field app, desk):
no serious or critical axe-core violation, one h1 and one main, focus visible at every tab stop; the
unread count is said in the name of the nav entry that shows it; a tap on a message opens its page and
marks it read; "load more" goes on from the last message and takes focus there; the desk's new-case
alerts are chosen by grid."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.a11y import axe_violations, tab_stops
from tests.e2e.conftest import (
    DESK,
    PHONE,
    Server,
    api_login,
    api_token,
    handled_case,
    phone_token,
    report_through_api,
)
from tests.e2e.test_accessibility_citizen import _SMALL_TARGETS, MIN_TARGET_PX
from tests.e2e.test_accessibility_field import signed_in
from tests.e2e.test_field import check_task_for_inspector

pytestmark = pytest.mark.e2e

HERE = {"latitude": 30.2741, "longitude": 120.1551, "accuracy": 12}
ELDERS_ON = "localStorage.setItem('city.elders', '1')"
PREFERENCES = "/api/v1/notifications/preferences"


@pytest.fixture
def open_phone(browser: Browser, server: Server) -> Iterator[Callable[..., Page]]:
    """Phones in Chinese, in English, or in Chinese with elders' mode on."""
    contexts: list[BrowserContext] = []

    def make(mode: str = "zh-CN") -> Page:
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
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def structure(page: Page) -> list[str]:
    page.wait_for_timeout(300)  # let transitions end: axe judges the colours on screen
    problems = axe_violations(page)
    for landmark in ("h1", "main"):
        if page.locator(landmark).count() != 1:
            problems.append(f"{page.locator(landmark).count()} {landmark} elements, not one")
    return problems


def inbox_of(page: Page, token: str, at_least: int = 1) -> list[dict]:
    """The inbox of `token`, once the worker has put at least `at_least` messages in it."""
    deadline = time.monotonic() + 20
    items: list[dict] = []
    while time.monotonic() < deadline:
        answer = page.request.get(
            "/api/v1/notifications?limit=100", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.ok, answer.text()
        items = answer.json()["items"]
        if len(items) >= at_least:
            break
        page.wait_for_timeout(250)
    assert len(items) >= at_least, items
    return items


def accepted_report(page: Page, description: str) -> tuple[str, dict]:
    """A phone's report that the desk accepted: the phone's token and the case, its news in the inbox."""
    page.goto("/")
    token = phone_token(page)
    case = report_through_api(page, token, description)
    answer = page.request.post(
        f"/api/v1/staff/cases/{case['id']}/actions",
        headers=api_login(page, "supervisor", "supervisor-demo"),
        data={"action": "accept", "expected_version": 1},
    )
    assert answer.ok, answer.text()
    inbox_of(page, token)
    return token, case


@pytest.mark.parametrize("mode", ["zh-CN", "en", "elders"])
def test_the_citizens_inbox_and_settings_pass_axe(open_phone: Callable[..., Page], mode: str) -> None:
    page = open_phone(mode)
    accepted_report(page, "路灯一直闪")
    found: dict[str, list[str]] = {}
    page.goto("/inbox")
    expect(page.locator("[data-test=notice]")).to_have_count(1)
    label = "Inbox, 1 unread" if mode == "en" else "消息，1 条未读"
    expect(page.locator("[data-test=tab-inbox]")).to_have_attribute("aria-label", label)
    found["/inbox"] = structure(page)
    assert page.evaluate(_SMALL_TARGETS, MIN_TARGET_PX) == []
    page.goto("/settings")
    # The test browser blocks notifications: the screen says so, and how to allow them.
    expect(page.locator("[data-test=push-blocked-help]")).to_be_visible()
    expect(page.locator("[data-test=push-switch]")).to_be_disabled()
    found["/settings"] = structure(page)
    assert page.evaluate(_SMALL_TARGETS, MIN_TARGET_PX) == []
    failing = {where: problems for where, problems in found.items() if problems}
    assert failing == {}, failing


@pytest.mark.parametrize("path", ["/inbox", "/settings"])
def test_the_citizens_inbox_and_settings_show_focus(open_phone: Callable[..., Page], path: str) -> None:
    page = open_phone()
    accepted_report(page, "垃圾满了没人收")
    page.goto(path)
    expect(page.locator("main")).not_to_be_empty()
    if path == "/inbox":
        expect(page.locator("[data-test=notice]")).to_have_count(1)
    stops = tab_stops(page)
    assert len(stops) >= 4, stops
    assert [stop.description for stop in stops if not stop.visible] == []


def test_a_tap_opens_the_case_and_marks_the_message_read(open_phone: Callable[..., Page]) -> None:
    page = open_phone()
    token, case = accepted_report(page, "井盖缺了一块")
    page.goto("/inbox")
    notice = page.locator("[data-test=notice]")
    expect(notice).to_have_class("inbox-item unread")
    expect(page.locator("[data-test=tab-inbox] [data-test=unread-badge]")).to_have_attribute(
        "data-count", "1"
    )
    notice.click()
    expect(page).to_have_url(f"/requests/{case['id']}")
    expect(page.locator("[data-test=tab-inbox] [data-test=unread-badge]")).to_have_count(0)
    expect(page.locator("[data-test=tab-inbox]")).not_to_have_attribute("aria-label", "消息，1 条未读")
    assert all(item["read_at"] for item in inbox_of(page, token))


def test_the_field_apps_inbox_and_settings(open_phone: Callable[..., Page]) -> None:
    page = open_phone()
    case = handled_case(page, "人行道砖块松动，已修好待核查")
    task = check_task_for_inspector(page, case["id"])
    token = signed_in(page)
    inbox_of(page, token)
    found: dict[str, list[str]] = {}
    page.goto("/field/inbox")
    expect(page.locator("[data-test=notice]").first).to_be_visible()
    # Earlier tests on this server sent the demo inspector news too.
    expect(page.locator("[data-test=field-inbox]")).to_have_attribute(
        "aria-label", re.compile(r"^消息，\d+ 条未读$")
    )
    found["/field/inbox"] = structure(page)
    stops = tab_stops(page)
    assert [stop.description for stop in stops if not stop.visible] == []
    page.goto("/field/history")
    page.locator("[data-test=field-settings-link]").click()
    expect(page).to_have_url("/field/settings")
    expect(page.locator("[data-test=push-hint]")).to_be_visible()
    found["/field/settings"] = structure(page)
    stops = tab_stops(page)
    assert [stop.description for stop in stops if not stop.visible] == []
    page.locator("[data-test=field-inbox]").click()
    page.locator("[data-test=notice]").first.click()
    expect(page).to_have_url(f"/field/tasks/{task['id']}")
    failing = {where: problems for where, problems in found.items() if problems}
    assert failing == {}, failing


@pytest.fixture
def dispatcher_hears_new_cases(page: Page) -> Iterator[str]:
    """The demo dispatcher opted in to every new case (opted out again afterwards: the server is shared)."""
    page.goto("/")
    token = api_token(page, "dispatcher", "dispatcher-demo")
    headers = {"Authorization": f"Bearer {token}"}
    answer = page.request.put(PREFERENCES, headers=headers, data={"new_cases": True, "grid_codes": []})
    assert answer.ok, answer.text()
    try:
        yield token
    finally:
        page.request.put(PREFERENCES, headers=headers, data={"new_cases": False, "grid_codes": []})


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_desks_inbox_and_settings(
    page: Page, browser: Browser, server: Server, dispatcher_hears_new_cases: str, locale: str
) -> None:
    token = dispatcher_hears_new_cases
    before = len(inbox_of(page, token, 0))
    phone = phone_token(page)
    for n in range(21):
        report_through_api(page, phone, f"第 {n + 1} 个新案件")
    inbox_of(page, token, before + 21)
    context = browser.new_context(base_url=server.base, viewport=DESK, locale=locale)
    try:
        desk = context.new_page()
        desk.goto("/staff/login")
        desk.evaluate("(token) => localStorage.setItem('city.staff_token', token)", token)
        found: dict[str, list[str]] = {}
        desk.goto("/staff/inbox")
        expect(desk.locator("[data-test=notice]")).to_have_count(20)
        expect(desk.locator("[data-test=nav-inbox] [data-test=unread-badge]")).to_be_visible()
        found["/staff/inbox"] = structure(desk)
        more = desk.locator("[data-test=load-more]")
        more.focus()
        desk.keyboard.press("Enter")
        expect(desk.locator("[data-test=notice]")).not_to_have_count(20)
        # Focus goes on to the first message of the page just loaded.
        expect(desk.locator("[data-test=notice]").nth(20)).to_be_focused()
        stops = tab_stops(desk, limit=60)
        assert [stop.description for stop in stops if not stop.visible] == []
        desk.locator("[data-test=mark-all-read]").click()
        expect(desk.locator("[data-test=nav-inbox] [data-test=unread-badge]")).to_have_count(0)
        expect(desk.locator(".inbox-item.unread")).to_have_count(0)

        desk.goto("/staff/settings")
        preferences = desk.locator("[data-test=notify-preferences]")
        expect(desk.locator("[data-test=new-cases]")).to_be_checked()
        found["/staff/settings"] = structure(desk)
        desk.locator("[data-test=grids-some]").check()
        desk.locator("[data-test=preferences-save]").click()
        expect(preferences.locator("[role=alert]")).to_be_visible()  # a grid must be chosen
        found["/staff/settings, no grid chosen"] = structure(desk)
        first = preferences.locator("[data-grid-option] input").first
        code = first.get_attribute("value")
        first.check()
        desk.locator("[data-test=preferences-save]").click()
        expect(desk.locator("[data-test=preferences-news]")).not_to_be_empty()
        saved = desk.request.get(PREFERENCES, headers={"Authorization": f"Bearer {token}"}).json()
        assert saved == {"new_cases": True, "grid_codes": [code]}
        stops = tab_stops(desk)
        assert [stop.description for stop in stops if not stop.visible] == []
        failing = {where: problems for where, problems in found.items() if problems}
        assert failing == {}, failing
    finally:
        context.close()
