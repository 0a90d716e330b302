"""The built app runs under the server's Content-Security-Policy: every screen of the citizen face and
of the staff desk, with no inline script, no eval and nothing from another origin but map tiles.

The watcher in conftest.py fails any browser test on a violation; this test walks every screen under
the policy the server sends, and fails if a page comes without it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Response, expect

from tests.e2e.conftest import (
    DESK,
    CspWatch,
    Server,
    desk_sign_in,
    open_queued_case,
    phone_token,
    report_through_api,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def strict(browser: Browser, server: Server) -> Iterator[BrowserContext]:
    """A context whose every page load comes from the server with its policy. Service workers are
    blocked here, so that no page is served from the worker's precache, where the header could not be
    checked; a page the server sends without the policy fails the test."""
    context = browser.new_context(
        base_url=server.base,
        viewport=DESK,
        locale="zh-CN",
        service_workers="block",
        geolocation={"latitude": 30.2741, "longitude": 120.1551, "accuracy": 12},
        permissions=["geolocation"],
    )
    unguarded: list[str] = []

    def check(response: Response) -> None:
        directives = {d.strip() for d in response.headers.get("content-security-policy", "").split(";")}
        if response.request.resource_type == "document" and "script-src 'self'" not in directives:
            unguarded.append(response.url)

    context.on("response", check)
    yield context
    context.close()
    assert not unguarded, f"pages served without the Content-Security-Policy: {unguarded}"


def icon_font_loaded(page: Page) -> None:
    """Vant's icons come from its inline font, not a CDN copy the policy would block."""
    statuses = page.evaluate(
        """async () => {
            await document.fonts.ready;
            return [...document.fonts].filter((f) => f.family.includes('vant-icon')).map((f) => f.status);
        }"""
    )
    assert statuses and set(statuses) == {"loaded"}, statuses


def test_every_screen_runs_under_the_policy(
    strict: BrowserContext, server: Server, csp_watch: CspWatch
) -> None:
    page = strict.new_page()
    page.goto("/")
    assert page.evaluate("() => document.querySelectorAll('script:not([src])').length") == 0
    expect(page.get_by_text("我要报告问题")).to_be_visible()
    page.locator("[data-test=show-nearby]").click()  # the home page asks for the location only on a tap
    expect(page.locator("[data-test=nearby-map]")).to_be_visible()
    created = report_through_api(page, phone_token(page), "井盖响动", contact_phone="13912340003")

    page.goto("/report")
    expect(page.locator("[data-test=location]")).to_contain_text("30.27410")
    expect(page.locator("[data-test=map]")).to_be_visible()
    icon_font_loaded(page)  # Vant's icons are on the report screen now, no longer on the home page
    page.locator("[data-test=common-categories] [data-code=C0101]").click()
    page.goto("/requests")
    expect(page.locator("[data-test=request]")).to_contain_text(created["tracking_no"])
    page.locator("[data-test=request]").first.click()
    expect(page.locator("[data-test=tracking-no]")).to_contain_text(created["tracking_no"])
    page.goto("/login")
    expect(page.locator("[data-test=phone]")).to_be_visible()
    page.get_by_text("English").click()
    expect(page.get_by_text("Send code")).to_be_visible()
    page.get_by_text("中文").click()

    desk_sign_in(page, server, "supervisor", "supervisor-demo")
    open_queued_case(page, created["id"])
    expect(page.locator(".case")).to_contain_text("13912340003")
    page.locator("nav a").nth(1).click()
    expect(page.locator(".staff-map .leaflet-interactive, .staff-map .marker-cluster").first).to_be_visible()
    page.locator("nav a").nth(2).click()
    expect(page.locator(".chart canvas")).to_be_visible()
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(f"{server.base}/staff/login")
    page.wait_for_timeout(500)  # late violations (fonts, images) get reported
    assert csp_watch.problems == []


def test_the_watcher_sees_a_violation(strict: BrowserContext, csp_watch: CspWatch) -> None:
    page = strict.new_page()
    page.route(
        "**/csp-probe",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            headers={"Content-Security-Policy": "script-src 'self'"},
            body="<!doctype html><title>probe</title><script>document.title = 'ran'</script>",
        ),
    )
    page.goto("/csp-probe")
    assert page.title() == "probe"  # the inline script was blocked
    page.wait_for_timeout(200)
    assert any("Content Security Policy" in problem for problem in csp_watch.problems)
    csp_watch.problems.clear()
