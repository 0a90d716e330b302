"""The desk's side of the city's answers (issue 9): a reply from a template closes an inquiry and
reaches the citizen, dispatch preselects the routed department and warns when another is chosen, an
internal note stays on the desk, dates read in the UI's language, admin screens only for admins."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import DESK, Server, desk_sign_in, open_queued_case, phone_token, report_through_api

pytestmark = pytest.mark.e2e


def staff_headers(desk: Page) -> dict[str, str]:
    """The signed-in desk's own session, for reading what the test compares the screen with."""
    token = desk.evaluate("() => localStorage.getItem('city.staff_token')")
    return {"Authorization": f"Bearer {token}"}


def citizen_view(page: Page, token: str, case_id: str) -> dict:
    answer = page.request.get(f"/api/v1/requests/{case_id}", headers={"Authorization": f"Bearer {token}"})
    assert answer.ok, answer.text()
    return answer.json()


def test_a_reply_from_a_template_closes_an_inquiry_and_reaches_the_citizen(
    server: Server, page: Page, desk: Page
) -> None:
    page.goto("/")
    token = phone_token(page)
    created = report_through_api(
        page, token, "请问周末社区图书馆几点开门？", type="inquiry", category_code=None
    )
    desk_sign_in(desk, server, "dispatcher", "dispatcher-demo")
    open_queued_case(desk, created["id"])

    templates = desk.request.get(
        f"/api/v1/staff/cases/{created['id']}/templates?action=reply",
        headers={**staff_headers(desk), "Accept-Language": "zh-CN"},
    ).json()["items"]
    numbered = [t for t in templates if created["tracking_no"] in t["text"]]
    assert numbered, templates

    desk.locator("[data-action=reply]").click()
    desk.locator("select[name=template]").select_option(numbered[0]["id"])
    box = desk.locator("textarea[name=public_message]")
    expect(box).to_have_value(numbered[0]["text"])
    # The box stays editable: the answer itself follows the template's opening.
    box.press("End")
    box.press_sequentially("周六、周日 9:00–17:00 开放。")
    message = box.input_value().strip()
    assert message.startswith(numbered[0]["text"].strip()) and message.endswith("17:00 开放。")
    desk.locator(".action-form button[type=submit]").click()

    expect(desk.locator("[data-test=case-status]")).to_have_text("已结案")
    expect(desk.locator("[data-test=case-reply]")).to_contain_text("9:00–17:00")
    seen = citizen_view(page, token, created["id"])
    assert seen["status"] == "closed"
    assert seen["reply"]["message"] == message


def test_dispatch_preselects_the_routed_department_and_warns_when_another_is_chosen(
    server: Server, page: Page, desk: Page
) -> None:
    page.goto("/")
    created = report_through_api(
        page, phone_token(page), "上水井盖松动，车辆压过去哐哐响", category_code="C0101"
    )
    desk_sign_in(desk, server, "dispatcher", "dispatcher-demo")
    open_queued_case(desk, created["id"])
    desk.locator("[data-action=accept]").click()
    desk.locator(".action-form button[type=submit]").click()
    expect(desk.locator("[data-test=case-status]")).to_have_text("已立案")

    case = desk.request.get(f"/api/v1/staff/cases/{created['id']}", headers=staff_headers(desk)).json()
    suggested = case["suggested_department"]
    assert suggested is not None, case
    departments = desk.request.get("/api/v1/departments", headers=staff_headers(desk)).json()["items"]
    other = next(d for d in departments if d["active"] and d["code"] != suggested["code"])

    desk.locator("[data-action=dispatch]").click()
    select = desk.locator("select[name=department]")
    expect(select).to_have_value(suggested["code"])
    warning = desk.locator("[data-test=route-warning]")
    expect(warning).to_have_count(0)

    select.select_option(other["code"])
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(suggested["name"])
    # A warning, not a refusal: back to the routed one it goes away, and the form still sends.
    select.select_option(suggested["code"])
    expect(warning).to_have_count(0)
    desk.locator(".action-form button[type=submit]").click()
    expect(desk.locator("[data-test=case-status]")).to_have_text("已派遣")
    expect(desk.locator(".case")).to_contain_text(suggested["name"])


def test_an_internal_note_stays_on_the_desk(server: Server, page: Page, desk: Page) -> None:
    page.goto("/")
    token = phone_token(page)
    created = report_through_api(page, token, "路边绿化带里有一堆建筑垃圾", category_code="C0101")
    public = f"已立案，将尽快处理 {uuid.uuid4().hex[:6]}"
    internal = f"内部：附近有学校，请优先安排 {uuid.uuid4().hex[:6]}"
    desk_sign_in(desk, server, "dispatcher", "dispatcher-demo")
    open_queued_case(desk, created["id"])

    desk.locator("[data-action=accept]").click()
    desk.locator("textarea[name=public_message]").fill(public)
    desk.locator("textarea[name=internal_note]").fill(internal)
    desk.locator(".action-form button[type=submit]").click()
    expect(desk.locator("[data-test=case-status]")).to_have_text("已立案")

    note = desk.locator("[data-test=internal-note]")
    expect(note).to_have_count(1)
    expect(note).to_contain_text(internal)
    expect(note).to_contain_text("内部")
    expect(desk.locator("[data-test=public-message]")).to_contain_text(public)

    answer = page.request.get(
        f"/api/v1/requests/{created['id']}", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.ok, answer.text()
    assert internal not in answer.text()
    # The same answer does carry what the citizen was meant to read.
    assert public in [entry["public_message"] for entry in answer.json()["timeline"]]


def test_the_desk_dates_read_in_the_ui_language(server: Server, desk: Page) -> None:
    desk_sign_in(desk, server, "supervisor", "supervisor-demo")
    desk.goto("/staff/dashboard")
    start = desk.locator("input[name=from]")
    expect(start).to_have_value(re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$"))
    assert not re.search(r"\d{1,2}/\d{1,2}/\d{4}", start.input_value())

    # Typed the ISO way, shown the Chinese way, asked for as a date.
    with desk.expect_response(lambda r: "/api/v1/stats/overview?" in r.url and "from=2026-11-01" in r.url):
        start.fill("2026-11-01")
        start.press("Enter")
    expect(start).to_have_value("2026年11月1日")

    desk.get_by_role("button", name="English").click()
    expect(start).to_have_value("November 1, 2026")


def test_only_admins_see_and_reach_the_admin_screens(browser: Browser, server: Server, desk: Page) -> None:
    desk_sign_in(desk, server, "dispatcher", "dispatcher-demo")
    expect(desk.locator("[data-test=nav-templates], [data-test=nav-routing]")).to_have_count(0)
    desk.goto("/staff/admin/routing")
    expect(desk).to_have_url(f"{server.base}/staff")

    context = browser.new_context(base_url=server.base, viewport=DESK, locale="zh-CN")
    admin = context.new_page()
    try:
        desk_sign_in(admin, server, "admin", "admin-demo")
        admin.locator("[data-test=nav-templates]").click()
        expect(admin.locator("[data-template]").first).to_be_visible()
        admin.locator("[data-test=new-template]").click()
        expect(admin.locator(".placeholders")).to_contain_text("{tracking_no}")
        admin.locator("textarea[name=text_zh]").fill("您好 {nonsense}")
        expect(admin.locator("[data-test=unknown-placeholders]")).to_contain_text("{nonsense}")

        admin.locator("[data-test=nav-routing]").click()
        expect(admin.locator("[data-rule]").first).to_be_visible()
    finally:
        context.close()
