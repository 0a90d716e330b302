"""The staff desk: a dispatcher sees a citizen's report arrive live, accepts and dispatches it, and the
citizen's phone shows the new status."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import DESK, Server, desk_sign_in, phone_token, report_through_api

pytestmark = pytest.mark.e2e


def test_dispatcher_triages_a_new_report_live(browser: Browser, server: Server, page: Page) -> None:
    desk_context = browser.new_context(base_url=server.base, viewport=DESK, locale="zh-CN")
    desk = desk_context.new_page()
    try:
        desk_sign_in(desk, server, "dispatcher", "dispatcher-demo")
        expect(desk.locator(".live.on")).to_be_visible()

        # A citizen reports from a phone while the queue is open.
        page.goto("/")
        created = report_through_api(page, phone_token(page), "路灯整晚不亮，路口很暗")
        row = desk.locator(f'tr[data-case="{created["id"]}"]')
        expect(row).to_be_visible(timeout=15_000)
        expect(row).to_have_class("fresh")
        expect(row).to_contain_text("路灯整晚不亮")

        row.locator("a").click()
        expect(desk.locator("[data-test=case-status]")).to_have_text("待受理")
        desk.locator("[data-action=accept]").click()
        desk.locator(".action-form button[type=submit]").click()
        expect(desk.locator("[data-test=case-status]")).to_have_text("已立案")

        desk.locator("[data-action=dispatch]").click()
        desk.locator("select[name=department]").select_option("SZ-POWER")
        desk.locator(".action-form button[type=submit]").click()
        expect(desk.locator("[data-test=case-status]")).to_have_text("已派遣")
        expect(desk.locator(".case")).to_contain_text("供电公司城区分部")

        # The citizen's app shows what the dispatcher did.
        page.goto(f"/requests/{created['id']}")
        expect(page.locator("[data-test=status]")).to_have_text("已派遣")
    finally:
        desk_context.close()


def test_map_and_indicators_show_the_cases(browser: Browser, server: Server) -> None:
    # A tablet held sideways: the desk must work there too.
    context = browser.new_context(
        base_url=server.base, viewport={"width": 1024, "height": 768}, locale="zh-CN"
    )
    desk = context.new_page()
    try:
        desk_sign_in(desk, server, "supervisor", "supervisor-demo")
        token = desk.evaluate("() => localStorage.getItem('city.staff_token')")
        headers = {"Authorization": f"Bearer {token}"}
        open_cases = desk.request.get("/api/v1/staff/cases/counts", headers=headers).json()["counts"]
        expected = sum(
            open_cases.get(s, 0) for s in ("submitted", "accepted", "dispatched", "in_progress", "handled")
        )
        reported = desk.request.get("/api/v1/stats/overview", headers=headers).json()["total"]["reported"]
        assert expected >= 2 and reported >= 2

        desk.locator("nav a").nth(1).click()
        expect(desk.locator(".map-bar")).to_contain_text(f"显示 {expected} 件")
        expect(
            desk.locator(".staff-map .leaflet-interactive, .staff-map .marker-cluster").first
        ).to_be_visible()

        desk.locator("nav a").nth(2).click()
        expect(desk.locator(".tiles div").first).to_contain_text(str(reported))
        expect(desk.locator(".chart canvas")).to_be_visible()
    finally:
        context.close()
