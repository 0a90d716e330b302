"""What a citizen sees of the city's answers (issue 9): the photo first on a small phone, nearby
reports told apart, the desk's reply and never its internal note, the number once sent, the
browser's language on first load."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import PHONE, Server, phone_token, report_through_api

pytestmark = pytest.mark.e2e

SAMPLE = Path(__file__).resolve().parents[2] / "media" / "samples" / "manhole.jpg"
WATER = "E0105"  # 水域不洁, one of the one-tap pictograms
# Each test reports in a category of its own: the server, and what is near the phone, last the session.
STALL = "E0502"  # 占道经营
MUCK = "E0103"  # 积存垃圾渣土
HERE = {"lat": 30.2741, "lng": 120.1551}


def upload_photo(page: Page, token: str) -> str:
    answer = page.request.post(
        "/api/v1/uploads",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
        multipart={"file": {"name": "manhole.jpg", "mimeType": "image/jpeg", "buffer": SAMPLE.read_bytes()}},
    )
    assert answer.status in (200, 201), answer.text()
    return answer.json()["id"]


def staff_headers(page: Page, username: str, password: str) -> dict[str, str]:
    login = page.request.post("/api/v1/auth/login", data={"username": username, "password": password})
    assert login.ok, login.text()
    return {"Authorization": f"Bearer {login.json()['token']}"}


def test_the_photo_control_is_on_the_first_screen_of_a_small_phone(page: Page) -> None:
    assert page.viewport_size == PHONE
    page.goto("/report")
    photos = page.locator("[data-test=photos]")
    expect(photos).to_be_visible()
    # Let the catalog (the pictograms above which the camera used to sit) arrive before measuring.
    expect(page.locator("[data-test=common-categories] button")).not_to_have_count(0)
    assert page.evaluate("() => window.scrollY") == 0
    box = photos.bounding_box()
    assert box is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box
    # A compact row of the common ones; the rest behind "more".
    expect(page.locator("[data-test=common-categories] button")).to_have_count(8)
    # Vant's file input gets a name of its own.
    expect(page.get_by_label("拍照或选择照片")).to_have_count(1)
    # Every other category is one tap further, in the full picker.
    page.locator("[data-test=category]").click()
    expect(page.locator("[data-test=category-option]")).not_to_have_count(0)


def test_missing_fields_are_marked_where_they_are_and_the_first_gets_the_focus(page: Page) -> None:
    page.goto("/report")
    expect(page.locator("[data-test=location]")).to_contain_text("30.27410")
    expect(page.locator("[data-test=common-categories] button").first).to_be_visible()
    page.locator("[data-test=submit]").click()
    expect(page.locator("[data-test=missing]")).to_contain_text("问题类别")
    expect(page.locator("[data-test=missing]")).to_contain_text("问题描述")
    expect(page.locator("[data-test=category] .van-field__error-message")).to_have_text("请选择问题类别")
    expect(page.locator("[data-test=description] .van-field__error-message")).to_have_text("请描述问题")
    expect(page.locator("[data-test=common-categories] button").first).to_be_focused()
    expect(page.locator("[data-test=toast]")).to_have_count(0)
    expect(page).to_have_url("/report")

    page.locator(f"[data-test=common-categories] [data-code={WATER}]").click()
    expect(page.locator("[data-test=category] .van-field__error-message")).to_have_count(0)
    page.locator("[data-test=submit]").click()
    expect(page.locator("[data-test=description] textarea")).to_be_focused()
    expect(page.locator("[data-test=missing]")).not_to_contain_text("问题类别")


def test_nearby_reports_can_be_told_apart_and_ones_own_is_marked(page: Page) -> None:
    page.goto("/")
    mine = phone_token(page)
    neighbour = page.request.post("/api/v1/auth/device").json()["token"]
    near = {"lat": 30.27412, "lng": 120.15512}
    theirs = report_through_api(
        page,
        neighbour,
        "早市摊位占了整条人行道",
        category_code=STALL,
        location=near,
        photo_ids=[upload_photo(page, neighbour)],
    )
    report_through_api(page, neighbour, "夜宵摊把桌子摆到了马路上", category_code=STALL, location=near)
    own = report_through_api(page, mine, "我上周报过：水果摊堵住了盲道", category_code=STALL, location=near)

    page.goto("/report")
    page.locator(f"[data-test=common-categories] [data-code={STALL}]").click()
    rows = page.locator("[data-test=nearby-row]")
    expect(rows).to_have_count(3)
    summaries = rows.locator("[data-test=summary]").all_inner_texts()
    assert len(set(summaries)) == 3, summaries
    assert all(summary.strip() for summary in summaries), summaries

    own_row = rows.filter(has_text="盲道")
    expect(own_row.locator("[data-test=own]")).to_have_text("您的报告")
    expect(own_row.locator("[data-test=follow]")).to_have_count(0)
    others = rows.filter(has_not_text="盲道")
    expect(others.locator("[data-test=follow]")).to_have_count(2)
    expect(others.locator("[data-test=own]")).to_have_count(0)
    expect(rows.filter(has_text="人行道").locator("img")).to_have_attribute("alt", "占道经营的照片")

    # Followed, the row says so instead of offering to follow again.
    rows.filter(has_text="人行道").locator("[data-test=follow]").click()
    expect(page).to_have_url("/requests")
    page.goto("/report")
    page.locator(f"[data-test=common-categories] [data-code={STALL}]").click()
    followed_row = page.locator("[data-test=nearby-row]").filter(has_text="人行道")
    expect(followed_row.locator("[data-test=following]")).to_be_visible()
    expect(followed_row.locator("[data-test=follow]")).to_have_count(0)

    # In "我关注的" the row opens the case's public summary, from which it can be unfollowed.
    page.goto("/requests")
    expect(page.locator("[data-test=request]")).to_contain_text(own["tracking_no"])
    page.locator("[data-test=followed]").click()
    sheet = page.locator("[data-test=followed-sheet]")
    expect(sheet).to_be_visible()
    expect(sheet.locator("[data-test=followed-summary]")).to_contain_text("人行道")
    expect(sheet.locator("[data-test=followed-status]")).to_have_text("待受理")
    expect(sheet.locator("img")).to_have_attribute("alt", "占道经营的照片")
    sheet.locator("[data-test=unfollow]").click()
    expect(page.locator("[data-test=followed]")).to_have_count(0)
    followed = page.request.get("/api/v1/requests/followed", headers={"Authorization": f"Bearer {mine}"})
    assert theirs["id"] not in [item["id"] for item in followed.json()["items"]]

    # One's own request opens its page.
    page.locator("[data-test=request]").filter(has_text=own["tracking_no"]).click()
    expect(page).to_have_url(f"/requests/{own['id']}")
    expect(page.locator("[data-test=tracking-no]")).to_contain_text(own["tracking_no"])


def test_a_sent_report_says_its_tracking_number(page: Page) -> None:
    page.goto("/report")
    expect(page.locator("[data-test=location]")).to_contain_text("30.27410")
    page.locator(f"[data-test=common-categories] [data-code={MUCK}]").click()
    page.locator("[data-test=description] textarea").fill("路边堆了一车渣土")
    page.locator("[data-test=submit]").click()
    expect(page).to_have_url("/requests")
    notice = page.locator("[data-test=sent]")
    expect(notice).to_have_count(1, timeout=15_000)
    token = page.evaluate("() => localStorage.getItem('city.token')")
    items = page.request.get("/api/v1/requests", headers={"Authorization": f"Bearer {token}"}).json()["items"]
    assert [item["description"] for item in items] == ["路边堆了一车渣土"]
    expect(notice).to_contain_text(f"已发送，受理编号 {items[0]['tracking_no']}")
    expect(page.locator("[data-test=waiting]")).to_have_count(0)
    # The notice stays over a reload until it is dismissed.
    page.reload()
    expect(notice).to_have_count(1)
    notice.locator("[data-test=dismiss]").click()
    expect(notice).to_have_count(0)
    page.reload()
    expect(page.locator("[data-test=request]")).to_have_count(1)
    expect(notice).to_have_count(0)


def test_an_english_browser_starts_in_english_and_vant_too(browser: Browser, server: Server) -> None:
    context = browser.new_context(
        base_url=server.base,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="en-US",
        geolocation={"latitude": 30.2741, "longitude": 120.1551, "accuracy": 12},
        permissions=["geolocation"],
    )
    try:
        page = context.new_page()
        page.goto("/")
        tabs = page.locator("[data-test=tabbar]")
        expect(tabs).to_contain_text("My requests")
        expect(tabs).to_contain_text("Home")
        assert page.evaluate("() => document.documentElement.lang") == "en"
        assert page.evaluate("() => localStorage.getItem('city.locale')") is None

        page.goto("/report")
        page.locator("[data-test=category]").click()
        picker = page.locator("[data-test=category-sheet]")
        expect(picker.get_by_role("heading")).to_have_text("Choose a category")

        # The user's own choice wins over the browser's from then on.
        page.goto("/")
        page.get_by_text("中文").click()
        expect(tabs).to_contain_text("我的诉求")
        page.reload()
        expect(tabs).to_contain_text("我的诉求")
        assert page.evaluate("() => document.documentElement.lang") == "zh-CN"
        page.goto("/report")
        page.locator("[data-test=category]").click()
        expect(picker.get_by_role("heading")).to_have_text("请选择类别")
    finally:
        context.close()


def test_the_citizen_sees_the_reply_and_never_the_internal_note(page: Page) -> None:
    page.goto("/")
    token = phone_token(page)
    created = report_through_api(
        page, token, "请问小区门口的垃圾桶什么时候清运？", type="inquiry", category_code=None
    )
    secret = f"SECRET-{uuid.uuid4()}"
    answer_text = "每天早上七点和晚上七点各清运一次。"

    desk = staff_headers(page, "dispatcher", "dispatcher-demo")
    case = page.request.get(f"/api/v1/staff/cases/{created['id']}", headers=desk)
    assert case.ok, case.text()
    assert "reply" in case.json()["allowed_actions"]
    replied = page.request.post(
        f"/api/v1/staff/cases/{created['id']}/actions",
        headers=desk,
        data={
            "action": "reply",
            "expected_version": case.json()["summary"]["version"],
            "public_message": answer_text,
            "internal_note": secret,
        },
    )
    assert replied.status == 200, replied.text()

    page.goto(f"/requests/{created['id']}")
    reply = page.locator("[data-test=reply]")
    expect(reply).to_be_visible()
    expect(reply.locator("[data-test=reply-message]")).to_have_text(answer_text)
    expect(reply.locator("[data-test=reply-status]")).to_have_text("已结案")
    expect(page.locator("[data-test=status]")).to_have_text("已结案")
    # Prominent: the first thing on the page, above the tracking number and the timeline.
    reply_box = reply.bounding_box()
    tracking_box = page.locator("[data-test=tracking-no]").bounding_box()
    assert reply_box and tracking_box and reply_box["y"] < tracking_box["y"]
    assert reply_box["y"] < PHONE["height"]
    expect(page.locator("[data-test=step]").last).to_contain_text(answer_text)
    assert secret not in page.locator("body").inner_text()
    assert secret not in page.content()

    own = page.request.get(f"/api/v1/requests/{created['id']}", headers={"Authorization": f"Bearer {token}"})
    assert own.ok and own.json()["reply"]["message"] == answer_text
    assert secret not in own.text()
    listed = page.request.get("/api/v1/requests", headers={"Authorization": f"Bearer {token}"})
    assert secret not in listed.text()
    query = {"lat": HERE["lat"], "lng": HERE["lng"], "radius_m": 500}
    for headers in ({}, {"Authorization": f"Bearer {token}"}):
        nearby = page.request.get("/api/v1/requests/nearby", params=query, headers=headers)
        assert nearby.ok, nearby.text()
        assert secret not in nearby.text()
