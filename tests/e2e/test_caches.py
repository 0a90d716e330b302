"""What the service worker keeps in Cache Storage, and what sign-out leaves behind.

The browser keeps Cache Storage on whatever computer ran the staff desk, keyed by URL only: no staff
answer (they carry reporters' phone numbers) may be kept there, and signing out, on the desk or on a
citizen's phone, ends the session on the server and deletes the caches of API answers."""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import DESK, Server, desk_sign_in, open_queued_case, phone_token, report_through_api

pytestmark = pytest.mark.e2e
REPORTER_PHONE = "13912345678"
PHONE_NUMBER = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
NEVER_CACHED = (
    "/api/v1/staff",
    "/api/v1/admin",
    "/api/v1/audit",
    "/api/v1/stats",
    "/api/v1/departments",
    "/api/v1/auth",
)

CACHE_STORAGE = """async () => {
    const found = [];
    for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        for (const request of await cache.keys()) {
            const response = await cache.match(request);
            const type = (response && response.headers.get('content-type')) || '';
            const text = /json|text|xml|csv/.test(type) ? await response.text() : '';
            const url = new URL(request.url);
            found.push({cache: name, url: url.pathname + url.search, body: text});
        }
    }
    return found;
}"""

WAIT_FOR_CONTROL = """async () => {
    const registration = await navigator.serviceWorker.ready;
    const worker = registration.active;
    if (worker.state !== 'activated') {
        await new Promise((done) => worker.addEventListener('statechange', () => {
            if (worker.state === 'activated') done();
        }));
    }
    return true;
}"""


def cache_storage(page: Page) -> list[dict]:
    return page.evaluate(CACHE_STORAGE)


def api_entries(page: Page) -> list[dict]:
    """Entries of the caches of API answers: everything but the app's own precache."""
    return [e for e in cache_storage(page) if not e["cache"].startswith("workbox-precache")]


def controlled(page: Page, path: str) -> None:
    """Open `path` under an active service worker that controls the page, as on any visit but the first."""
    page.goto(path)
    page.evaluate(WAIT_FOR_CONTROL)
    page.reload()
    assert page.evaluate("() => navigator.serviceWorker.controller !== null")


def wait_until_cached(page: Page, path: str, timeout: float = 10) -> list[dict]:
    """The service worker stores an answer after handing it to the page: wait for it to land."""
    deadline = time.monotonic() + timeout
    while True:
        entries = cache_storage(page)
        if any(e["url"].startswith(path) for e in entries) or time.monotonic() > deadline:
            return entries
        time.sleep(0.2)


def sign_in_with_phone(page: Page, server: Server, phone: str) -> None:
    page.goto("/requests")
    page.locator("[data-test=login]").click()
    page.locator("[data-test=phone] input").fill(phone)
    page.locator("[data-test=send-code]").click()
    expect(page.locator("[data-test=send-code]")).to_be_disabled()
    outbox = (server.data_dir / "sms-outbox.log").read_text(encoding="utf-8").splitlines()
    message = [json.loads(line) for line in outbox if json.loads(line)["to"] == phone][-1]
    code = re.search(r"(?<![0-9])([0-9]{6})(?![0-9])", message["text"]).group(1)
    page.locator("[data-test=code] input").fill(code)
    page.locator("[data-test=verify]").click()
    expect(page).to_have_url("/requests")
    expect(page.locator("[data-test=login]")).to_have_count(0)


def test_the_desk_keeps_no_staff_answer_and_its_sign_out_clears_the_caches(
    browser: Browser, server: Server
) -> None:
    context = browser.new_context(base_url=server.base, viewport=DESK, locale="zh-CN")
    desk = context.new_page()
    try:
        controlled(desk, "/staff/login")
        device = desk.request.post("/api/v1/auth/device").json()["token"]
        created = report_through_api(desk, device, "井盖被偷走了，很危险", contact_phone=REPORTER_PHONE)

        desk_sign_in(desk, server, "dispatcher", "dispatcher-demo")
        open_queued_case(desk, created["id"])
        expect(desk.locator(".case")).to_contain_text(REPORTER_PHONE)  # the desk did get the phone number
        desk.locator("nav a").nth(1).click()  # the map: /staff/cases/geo
        expect(desk.locator(".map-bar")).to_be_visible()
        desk.locator("nav a").nth(2).click()  # the indicators: /stats/overview
        expect(desk.locator(".chart canvas")).to_be_visible()

        # Public data is cached (so the service worker was at work), staff answers are not.
        entries = wait_until_cached(desk, "/api/v1/categories")
        assert any(e["url"].startswith("/api/v1/categories") for e in entries), entries
        for entry in entries:
            assert not entry["url"].startswith(NEVER_CACHED), f"{entry['url']} is in cache {entry['cache']}"
            assert REPORTER_PHONE not in entry["body"], f"{entry['url']} in {entry['cache']} holds the phone"
            assert not PHONE_NUMBER.search(entry["body"]), f"{entry['url']} in {entry['cache']} holds a phone"

        token = desk.evaluate("() => localStorage.getItem('city.staff_token')")
        with desk.expect_request(
            lambda r: r.url.endswith("/api/v1/auth/logout") and r.method == "POST"
        ) as sent:
            desk.get_by_role("button", name="退出").click()
        expect(desk).to_have_url(re.compile(r"/staff/login"))
        assert sent.value.headers["authorization"] == f"Bearer {token}"
        assert sent.value.response().status == 204
        assert desk.evaluate("() => localStorage.getItem('city.staff_token')") is None
        assert api_entries(desk) == []
        # The server ended that session: the token is refused from now on.
        refused = desk.request.get("/api/v1/staff/cases", headers={"Authorization": f"Bearer {token}"})
        assert refused.status == 401
    finally:
        context.close()


def test_a_citizens_own_list_is_cached_and_sign_out_takes_it_away(page: Page, server: Server) -> None:
    controlled(page, "/")
    sign_in_with_phone(page, server, "13912340001")
    token = page.evaluate("() => localStorage.getItem('city.token')")
    created = report_through_api(page, token, "小区门口路灯不亮")
    page.reload()
    expect(page.locator("[data-test=request]")).to_contain_text(created["tracking_no"])

    # The citizen's own list is kept for offline use, under the cache that sign-out empties.
    entries = wait_until_cached(page, "/api/v1/requests?")
    own = [e for e in entries if e["url"].startswith("/api/v1/requests?")]
    assert own and own[0]["cache"] == "api-own" and created["tracking_no"] in own[0]["body"]

    with page.expect_request(lambda r: r.url.endswith("/api/v1/auth/logout")) as sent:
        page.locator("[data-test=sign-out]").click()
    assert sent.value.headers["authorization"] == f"Bearer {token}"
    assert sent.value.response().status == 204
    expect(page.locator("[data-test=login]")).to_be_visible()
    expect(page.locator("[data-test=request]")).to_have_count(0)
    after = page.evaluate("() => localStorage.getItem('city.token')")
    assert after != token
    for entry in api_entries(page):
        assert created["tracking_no"] not in entry["body"], (
            f"{entry['url']} in {entry['cache']} outlived sign-out"
        )
    refused = page.request.get("/api/v1/requests", headers={"Authorization": f"Bearer {token}"})
    assert refused.status == 401

    # Offline, this phone shows nothing of the account that signed out.
    page.context.set_offline(True)
    try:
        page.reload()
        expect(page.locator("[data-test=login]")).to_be_visible()
        expect(page.locator("[data-test=request]")).to_have_count(0)
    finally:
        page.context.set_offline(False)


def test_sign_out_offline_keeps_the_waiting_report_and_sends_it_later(
    page: Page, context: BrowserContext, server: Server
) -> None:
    controlled(page, "/")
    sign_in_with_phone(page, server, "13912340002")
    page.goto("/report")
    expect(page.locator("[data-test=location]")).to_contain_text("30.27410")
    page.locator("[data-test=common-categories] [data-code=C0101]").click()
    page.locator("[data-test=description] textarea").fill("退出登录前没发出去的报告")
    context.set_offline(True)
    page.locator("[data-test=submit]").click()
    expect(page).to_have_url("/requests")
    expect(page.locator("[data-test=waiting]")).to_have_count(1)

    # Signing out works without the network; the report waits on.
    page.locator("[data-test=sign-out]").click()
    expect(page.locator("[data-test=login]")).to_be_visible()
    assert page.evaluate("() => localStorage.getItem('city.token')") is None
    assert api_entries(page) == []
    waiting = page.locator("[data-test=waiting]")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("退出登录前没发出去的报告")

    # Back online, it goes out under this phone's new identity, once.
    context.set_offline(False)
    expect(page.locator("[data-test=waiting]")).to_have_count(0, timeout=15_000)
    expect(page.locator("[data-test=request]")).to_have_count(1)
    device = page.evaluate("() => localStorage.getItem('city.token')")
    assert device
    mine = page.request.get("/api/v1/requests", headers={"Authorization": f"Bearer {device}"}).json()["items"]
    assert [item["description"] for item in mine] == ["退出登录前没发出去的报告"]


def test_a_phone_keeps_no_answer_asked_for_with_a_staff_token(page: Page, context: BrowserContext) -> None:
    controlled(page, "/")
    created = report_through_api(page, phone_token(page), "人行道破损")
    staff = page.request.post(
        "/api/v1/auth/login", data={"username": "dispatcher", "password": "dispatcher-demo"}
    )
    fetched = page.evaluate(
        """async ([id, token]) => {
            const as = (t) => ({headers: {Authorization: `Bearer ${t}`}});
            const phone = localStorage.getItem('city.token');
            const answers = await Promise.all([
                fetch(`/api/v1/staff/cases/${id}`, as(token)),
                fetch('/api/v1/staff/cases?limit=5', as(token)),
                fetch('/api/v1/departments', as(token)),
                // Public, on the allowlist, but asked for with the staff token (a URL the app never asks).
                fetch('/api/v1/requests/nearby?lat=30.2741&lng=120.1551&radius_m=123', as(token)),
                fetch('/api/v1/requests/followed', as(phone)),
            ]);
            return answers.map((a) => a.status);
        }""",
        [created["id"], staff.json()["token"]],
    )
    assert fetched == [200, 200, 200, 200, 200]
    entries = wait_until_cached(page, "/api/v1/requests/followed")
    urls = [e["url"] for e in entries if not e["cache"].startswith("workbox-precache")]
    assert "/api/v1/requests/followed" in urls  # the phone's own token: kept
    assert not [u for u in urls if u.startswith(("/api/v1/staff", "/api/v1/departments"))]
    assert not [u for u in urls if "radius_m=123" in u]
