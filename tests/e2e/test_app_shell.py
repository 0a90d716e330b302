"""The installable shell: manifest, an active service worker, and the language switch."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import phone_token, report_through_api

pytestmark = pytest.mark.e2e


def test_manifest_is_served_and_the_service_worker_is_active(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_text("我要报告问题")).to_be_visible()
    state = page.evaluate(
        """async () => {
            const worker = (await navigator.serviceWorker.ready).active;
            if (worker.state !== 'activated') {
                await new Promise((done) => worker.addEventListener('statechange', () => {
                    if (worker.state === 'activated') done();
                }));
            }
            return worker.state;
        }"""
    )
    assert state == "activated"
    href = page.locator("link[rel=manifest]").get_attribute("href")
    assert href
    manifest = page.request.get(href)
    assert manifest.ok and manifest.headers["content-type"].startswith("application/manifest+json")
    body = manifest.json()
    assert body["display"] == "standalone" and body["start_url"] == "/"
    sizes = {icon["sizes"] for icon in body["icons"]}
    assert {"192x192", "512x512"} <= sizes
    assert any(icon.get("purpose") == "maskable" for icon in body["icons"])
    for icon in body["icons"]:
        assert page.request.get(icon["src"]).headers["content-type"] == "image/png"
    # Chromium's own verdict on whether it would offer to install the app; a test browser context is
    # incognito, which alone never installs anything.
    session = page.context.new_cdp_session(page)
    errors = session.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert [e["errorId"] for e in errors if e["errorId"] != "in-incognito"] == []


def test_switching_to_english_shows_english_labels(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_text("我要报告问题")).to_be_visible()
    page.get_by_text("English").click()
    expect(page.get_by_text("Report a problem")).to_be_visible()
    expect(page.get_by_text("My requests")).to_be_visible()
    page.reload()
    expect(page.get_by_text("Report a problem")).to_be_visible()


def test_my_requests_lists_what_this_phone_reported(page: Page) -> None:
    page.goto("/")
    created = report_through_api(page, phone_token(page), "井盖松动")
    page.get_by_text("我的诉求").click()
    row = page.locator("[data-test=request]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(created["tracking_no"])
    expect(row).to_contain_text("待受理")


def test_home_maps_the_reports_near_me(page: Page) -> None:
    page.goto("/")
    # The home page asks for the location only when the citizen taps for the reports near them.
    page.locator("[data-test=show-nearby]").click()
    nearby_map = page.locator("[data-test=nearby-map]")
    expect(nearby_map).to_be_visible()
    # The demo data holds two open reports within 500 m of the phone's position.
    expect(page.locator("path.nearby-report")).not_to_have_count(0)
    assert page.locator("path.nearby-report").count() >= 2
    expect(nearby_map).to_have_attribute("data-mode", "grid", timeout=10000)


def test_the_shell_and_the_last_seen_list_open_offline(page: Page, context: BrowserContext) -> None:
    page.goto("/")
    created = report_through_api(
        page, phone_token(page), "垃圾分类几点投放？", type="inquiry", category_code=None
    )
    page.evaluate("async () => { await navigator.serviceWorker.ready }")
    page.reload()  # now controlled by the service worker
    page.get_by_text("我的诉求").click()
    expect(page.locator("[data-test=request]")).to_contain_text(created["tracking_no"])

    context.set_offline(True)
    page.reload()
    expect(page.locator("[data-test=request]")).to_contain_text(created["tracking_no"])
    context.set_offline(False)
