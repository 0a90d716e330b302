"""People hear back without opening the app: a Web Push message (delivered through the DevTools
protocol, as a push service would) shows its notification; a newer one about the same case takes its
place; a tap on it brings the open app to the case's page. The offer to turn push on comes after the
first report, once."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, CDPSession, Page, Worker, expect

from tests.e2e.a11y import axe_violations
from tests.e2e.conftest import PHONE, Server, phone_token, report_through_api

pytestmark = pytest.mark.e2e

HERE = {"latitude": 30.2741, "longitude": 120.1551, "accuracy": 12}

_NOTIFICATIONS = """async () => {
    const registration = await navigator.serviceWorker.ready;
    return (await registration.getNotifications()).map((n) => ({
        title: n.title, body: n.body, tag: n.tag, data: n.data, lang: n.lang, icon: n.icon, badge: n.badge,
    }));
}"""


@pytest.fixture
def notifying(browser: Browser, server: Server) -> Iterator[BrowserContext]:
    """A phone whose browser allows this site's notifications."""
    context = browser.new_context(
        base_url=server.base,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        geolocation=HERE,
        permissions=["geolocation", "notifications"],
    )
    yield context
    context.close()


def service_worker(context: BrowserContext, page: Page) -> Worker:
    """The app's service worker, once it runs and controls the page."""
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20_000)
    deadline = time.monotonic() + 10
    while not context.service_workers and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert context.service_workers, "no service worker"
    return context.service_workers[0]


def registration_id(cdp: CDPSession, page: Page, scope: str) -> str:
    """The service worker registration's id for the DevTools protocol."""
    found: dict[str, str] = {}

    def on_update(event: dict[str, Any]) -> None:
        for registration in event["registrations"]:
            if registration["scopeURL"] == scope and not registration.get("isDeleted"):
                found["id"] = registration["registrationId"]

    cdp.on("ServiceWorker.workerRegistrationUpdated", on_update)
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while "id" not in found and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert "id" in found, "the service worker registration was not reported"
    return found["id"]


def notifications(page: Page, until: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
    """The notifications the service worker shows, once `until` holds for them (or after 10 s)."""
    deadline = time.monotonic() + 10
    shown: list[dict[str, Any]] = page.evaluate(_NOTIFICATIONS)
    while not until(shown) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
        shown = page.evaluate(_NOTIFICATIONS)
    return shown


def test_a_push_shows_its_notification_and_a_tap_opens_the_case(
    notifying: BrowserContext, server: Server
) -> None:
    page = notifying.new_page()
    page.goto("/")
    token = phone_token(page)
    case = report_through_api(page, token, "井盖破损，有人差点踩空")
    page.reload()
    expect(page.locator("[data-test=tabbar]")).to_be_visible()
    worker = service_worker(notifying, page)
    cdp = notifying.new_cdp_session(page)
    registration = registration_id(cdp, page, f"{server.base}/")

    def deliver(payload: dict[str, Any]) -> None:
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": server.base, "registrationId": registration, "data": json.dumps(payload)},
        )

    message = {
        "id": "5e0c3b1e-3a56-4a55-9a0a-4a7bce1f2a01",
        "kind": "case.accepted",
        "title": "您的诉求已受理",
        "body": f"受理编号 {case['tracking_no']}",
        "url": f"/requests/{case['id']}",
        "tag": f"case-{case['id']}",
        "case_id": case["id"],
        "task_id": None,
    }
    deliver(message)
    [shown] = notifications(page, lambda shown: len(shown) == 1)
    assert shown["title"] == "您的诉求已受理"
    assert shown["body"] == f"受理编号 {case['tracking_no']}"
    assert shown["tag"] == f"case-{case['id']}"
    assert shown["data"] == {"url": f"/requests/{case['id']}", "id": message["id"]}
    assert shown["lang"] == "zh-CN"
    assert shown["icon"].endswith("/icon-192.png") and shown["badge"].endswith("/badge-96.png")
    assert page.request.get("/badge-96.png").ok

    # A newer message about the same case takes the older one's place.
    closed = {
        **message,
        "id": "5e0c3b1e-3a56-4a55-9a0a-4a7bce1f2a02",
        "kind": "case.closed",
        "title": "您的诉求已办结",
    }
    deliver(closed)
    shown_now = notifications(page, lambda shown: [n["title"] for n in shown] == ["您的诉求已办结"])
    assert [n["title"] for n in shown_now] == ["您的诉求已办结"]

    # A tap (a synthetic click: no user gesture, so the window may not take focus) routes the open app.
    worker.evaluate(
        """async () => {
            const [notification] = await self.registration.getNotifications();
            self.dispatchEvent(new NotificationEvent('notificationclick', {notification}));
        }"""
    )
    expect(page).to_have_url(f"{server.base}/requests/{case['id']}")
    expect(page.locator("[data-test=tracking-no]")).to_contain_text(case["tracking_no"])


def test_a_broken_push_still_shows_the_app_and_opens_home(notifying: BrowserContext, server: Server) -> None:
    page = notifying.new_page()
    page.goto("/requests")
    worker = service_worker(notifying, page)
    cdp = notifying.new_cdp_session(page)
    registration = registration_id(cdp, page, f"{server.base}/")
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": server.base, "registrationId": registration, "data": "not json"},
    )
    [shown] = notifications(page, lambda shown: len(shown) == 1)
    assert shown["title"] == "城市服务 City Service"
    assert shown["data"]["url"] == "/"
    worker.evaluate(
        """async () => {
            const [notification] = await self.registration.getNotifications();
            self.dispatchEvent(new NotificationEvent('notificationclick', {notification}));
        }"""
    )
    expect(page).to_have_url(f"{server.base}/")


def test_the_offer_comes_after_the_first_report_once(notifying: BrowserContext) -> None:
    page = notifying.new_page()
    page.goto("/")
    assert page.locator("[data-test=push-offer]").count() == 0  # never on first load
    for description in ("路灯不亮", "路灯还是不亮"):
        page.goto("/report")
        expect(page.locator("[data-test=location]")).to_contain_text("30.27410")
        page.locator("[data-test=common-categories] button").first.click()
        page.locator("[data-test=description] textarea").fill(description)
        page.locator("[data-test=submit]").click()
        expect(page).to_have_url("/requests")
        if description == "路灯不亮":
            offer = page.locator("[data-test=push-offer]")
            expect(offer).to_be_visible()
            expect(offer.get_by_role("heading")).to_have_text("诉求有进展时通知您？")
            expect(page.locator("[data-test=push-allow]")).to_be_focused()
            page.wait_for_timeout(300)  # let the sheet's transition end: axe judges the colours on screen
            assert axe_violations(page) == []
            page.locator("[data-test=push-not-now]").click()
            expect(offer).to_have_count(0)
        else:
            page.wait_for_timeout(1000)
            expect(page.locator("[data-test=push-offer]")).to_have_count(0)
    memory = page.evaluate("() => JSON.parse(localStorage.getItem('city.push.citizen'))")
    assert memory == {"offer": "declined"}
