"""Following a request: its detail and rating, and signing in with a phone number."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, close_through_api, phone_token, report_through_api

pytestmark = pytest.mark.e2e


def test_detail_shows_the_timeline_and_takes_a_rating_once_closed(page: Page, server: Server) -> None:
    page.goto("/")
    created = report_through_api(page, phone_token(page), "路灯不亮")
    close_through_api(page, created["id"])
    page.goto("/requests")
    page.locator("[data-test=request]").first.click()
    expect(page.locator("[data-test=tracking-no]")).to_contain_text(created["tracking_no"])
    expect(page.locator("[data-test=status]")).to_have_text("已结案")
    page.locator("[data-test=score] .van-rate__item").nth(3).click()
    page.locator("[data-test=rate]").click()
    expect(page.locator("[data-test=rating]")).to_be_visible()
    token = page.evaluate("() => localStorage.getItem('city.token')")
    stored = page.request.get(
        f"/api/v1/requests/{created['id']}", headers={"Authorization": f"Bearer {token}"}
    )
    assert stored.json()["rating"]["score"] == 4


def test_phone_sign_in_keeps_this_phones_requests(page: Page, server: Server) -> None:
    page.goto("/")
    created = report_through_api(page, phone_token(page), "井盖丢失")
    page.goto("/requests")
    page.locator("[data-test=login]").click()
    page.locator("[data-test=phone] input").fill("13912340000")
    page.locator("[data-test=send-code]").click()
    expect(page.locator("[data-test=send-code]")).to_be_disabled()
    outbox = (server.data_dir / "sms-outbox.log").read_text(encoding="utf-8").splitlines()
    message = [json.loads(line) for line in outbox if json.loads(line)["to"] == "13912340000"][-1]
    code = re.search(r"(?<![0-9])([0-9]{6})(?![0-9])", message["text"]).group(1)
    page.locator("[data-test=code] input").fill(code)
    page.locator("[data-test=verify]").click()
    expect(page).to_have_url("/requests")
    expect(page.locator("[data-test=request]")).to_contain_text(created["tracking_no"])
    expect(page.locator("[data-test=login]")).to_have_count(0)
    kind = page.evaluate("() => JSON.parse(atob(localStorage.getItem('city.token').split('.')[1])).kind")
    assert kind == "citizen"
