"""接入密钥 (API keys) on the desk, for admins: a key made for an Open311 client is shown once, copied,
works at /open311/v2, is nowhere on the page after a reload (its last use is), and once revoked is
refused. The desk's case page of a request an Open311 client filed shows the client, the reporter's
name and e-mail and the answers to the category's questions."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import APIResponse, Page, expect

from tests.e2e.a11y import axe_violations
from tests.e2e.conftest import Server, api_login, desk_sign_in

pytestmark = pytest.mark.e2e


def file_request(page: Page, server: Server, key: str, description: str, **fields: str) -> APIResponse:
    """A request filed through Open311 as a client would, form-encoded."""
    return page.request.post(
        f"{server.base}/open311/v2/requests.json",
        form={
            "api_key": key,
            "service_code": "C0101",
            "lat": "30.2741",
            "long": "120.1551",
            "description": description,
            **fields,
        },
    )


def test_an_admin_makes_a_key_that_is_shown_once_works_and_is_revoked(server: Server, desk: Page) -> None:
    desk_sign_in(desk, server, "admin", "admin-demo")
    desk.locator("[data-test=nav-api-keys]").click()
    expect(desk).to_have_url(re.compile(r"/staff/admin/api-keys$"))
    expect(desk.locator("h1")).to_have_text("接入密钥")
    expect(desk).to_have_title("接入密钥 · 城市服务 · 受理台")

    name = f"测试客户端-{uuid.uuid4().hex[:8]}"
    desk.get_by_label("客户端名称").fill(name)
    desk.get_by_role("button", name="生成密钥").click()
    box = desk.locator("[data-test=new-key]")
    expect(box).to_have_attribute("role", "status")
    expect(box).to_contain_text("此密钥只显示这一次")
    # Focus goes to the key, the one thing to act on now.
    expect(desk.get_by_role("heading", name=f"“{name}”的新密钥")).to_be_focused()
    key = box.locator("code").inner_text()
    assert key.startswith("c311_"), key

    desk.context.grant_permissions(["clipboard-read", "clipboard-write"])
    box.get_by_role("button", name="复制").click()
    expect(box).to_contain_text("已复制到剪贴板。")
    assert desk.evaluate("() => navigator.clipboard.readText()") == key

    row = desk.locator("tr[data-key]", has_text=name)
    expect(row).to_contain_text(f"{key[:10]}…")
    expect(row.locator("[data-test=last-used]")).to_have_text("从未使用")
    expect(row.locator("[data-test=key-state]")).to_have_text("有效")
    # With the new key's box on screen: nothing axe-core rates serious or critical.
    assert axe_violations(desk) == []

    filed = file_request(desk, server, key, "井盖松动，车一过就响")
    assert filed.status == 201, filed.text()

    # Shown once: after a reload the key is nowhere on the page, its use is.
    desk.reload()
    expect(row.locator("[data-test=last-used] time")).to_be_visible()
    expect(box).to_have_count(0)
    assert key not in desk.content()
    assert axe_violations(desk) == []

    desk.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name=f"吊销“{name}”的密钥").click()
    state = row.locator("[data-test=key-state]")
    expect(state).to_contain_text("已吊销")
    expect(state.locator("time")).to_be_visible()
    expect(state).to_be_focused()
    expect(row.get_by_role("button")).to_have_count(0)

    refused = file_request(desk, server, key, "井盖又松了")
    assert refused.status == 403, refused.text()


def test_the_page_is_for_admins_only(server: Server, desk: Page) -> None:
    desk_sign_in(desk, server, "dispatcher", "dispatcher-demo")
    expect(desk.locator("[data-test=nav-api-keys]")).to_have_count(0)
    desk.goto("/staff/admin/api-keys")
    expect(desk).to_have_url(f"{server.base}/staff")


def test_the_case_page_shows_what_an_open311_client_sent(server: Server, desk: Page) -> None:
    client = f"测试热线-{uuid.uuid4().hex[:8]}"
    made = desk.request.post(
        f"{server.base}/api/v1/admin/api-keys",
        headers=api_login(desk, "admin", "admin-demo"),
        data={"name": client},
    )
    assert made.status == 201, made.text()
    filed = file_request(
        desk,
        server,
        made.json()["key"],
        "人行道上的井盖松动了",
        first_name="芳",
        last_name="王",
        email="wang.fang@example.org",
        phone="13800138000",
        **{"attribute[cover_state]": "loose"},
    )
    assert filed.status == 201, filed.text()
    tracking_no = filed.json()[0]["service_request_id"]

    desk_sign_in(desk, server, "dispatcher", "dispatcher-demo")
    found = desk.request.get(
        f"{server.base}/api/v1/staff/cases",
        params={"q": tracking_no},
        headers=api_login(desk, "dispatcher", "dispatcher-demo"),
    )
    assert found.ok, found.text()
    [case] = found.json()["items"]
    desk.goto(f"/staff/cases/{case['id']}")
    expect(desk.locator("[data-test=case-heading]")).to_contain_text(tracking_no)

    expect(desk.locator("[data-test=case-source]")).to_have_text(f"Open311 · {client}")
    expect(desk.locator(".timeline li").first).to_contain_text(f"{client}（Open311 接入）")
    expect(desk.locator("[data-test=contact-name]")).to_have_text("王芳")
    email = desk.locator("[data-test=contact-email]").get_by_role("link", name="wang.fang@example.org")
    expect(email).to_have_attribute("href", "mailto:wang.fang@example.org")
    details = desk.locator("[data-test=case-attributes]")
    expect(details.locator("dt")).to_have_text("井盖的情况")
    expect(details.locator("dd")).to_have_text("松动")
