"""Delivery health (投递状况) on the desk, for admins: the outbox's counts and its oldest owed event, the
events of one state with their last error, a replay of a given-up event (the row is due again in the
database and the page says so politely), a refused replay showing the problem's detail, and the
platform's callbacks that wait for their case.

The e2e server runs standalone (no platform), so its outbox rows stay owed: a test makes one of them
dead or failed in the server's own SQLite database, as the worker would after failed attempts."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.a11y import axe_violations
from tests.e2e.conftest import Server, desk_sign_in, phone_token, report_through_api

pytestmark = pytest.mark.e2e


@contextmanager
def database(server: Server) -> Iterator[sqlite3.Connection]:
    """The server's own database, committed and closed on the way out. The server writes too: wait
    for its lock rather than fail at once."""
    db = sqlite3.connect(server.data_dir / "city.db", timeout=10)
    try:
        with db:
            yield db
    finally:
        db.close()


def stamp(moment: datetime) -> str:
    """A UTC time as SQLAlchemy keeps it in SQLite."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def parse_stamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)


def new_case(page: Page, description: str) -> dict:
    page.goto("/")
    return report_through_api(page, phone_token(page), description)


def submitted_event(server: Server, case_id: str) -> str:
    """The id of the case.submitted event the workflow wrote in the outbox beside the new case."""
    with database(server) as db:
        row = db.execute(
            "SELECT event_id FROM outbox_events WHERE case_id = ? AND event_type = 'case.submitted'",
            (uuid.UUID(case_id).hex,),
        ).fetchone()
    assert row is not None, "the new case has no case.submitted outbox event"
    return str(uuid.UUID(row[0]))


def update_event(server: Server, event_id: str, **values: object) -> None:
    columns = ", ".join(f"{name} = ?" for name in values)
    with database(server) as db:
        db.execute(
            f"UPDATE outbox_events SET {columns} WHERE event_id = ?",
            (*values.values(), uuid.UUID(event_id).hex),
        )


def event_row(server: Server, event_id: str) -> dict:
    with database(server) as db:
        db.row_factory = sqlite3.Row
        row = db.execute(
            "SELECT attempts, next_attempt_at, last_error, dead_at, delivered_at FROM outbox_events"
            " WHERE event_id = ?",
            (uuid.UUID(event_id).hex,),
        ).fetchone()
    return dict(row)


def admin_get(desk: Page, path: str) -> dict:
    """What the API says, under the signed-in desk's own session."""
    token = desk.evaluate("() => localStorage.getItem('city.staff_token')")
    answer = desk.request.get(path, headers={"Authorization": f"Bearer {token}"})
    assert answer.ok, answer.text()
    return answer.json()


def test_a_given_up_event_is_shown_with_its_error_and_replayed(
    server: Server, page: Page, desk: Page
) -> None:
    created = new_case(page, "路灯不亮，晚上这一段很黑")
    event_id = submitted_event(server, created["id"])
    now = datetime.now(UTC)
    # What the worker leaves after the last of its attempts failed.
    update_event(
        server, event_id, attempts=8, last_error="HTTP 500", dead_at=stamp(now), next_attempt_at=stamp(now)
    )

    desk_sign_in(desk, server, "admin", "admin-demo")
    desk.locator("[data-test=nav-delivery]").click()
    expect(desk).to_have_url(re.compile(r"/staff/admin/delivery"))
    expect(desk.locator("h1")).to_have_text("投递状况")
    expect(desk).to_have_title("投递状况 · 城市服务 · 受理台")
    counts = admin_get(desk, "/api/v1/admin/outbox?state=dead")["counts"]
    assert counts["dead"] >= 1, counts
    dead = desk.locator("[data-test=count-dead]")
    expect(dead).to_have_text(str(counts["dead"]))
    expect(desk.locator("[data-test=count-pending]")).to_have_text(str(counts["pending"]))
    # Other cases' events are owed (never tried, the server has no platform): their age is said in words.
    expect(desk.locator("[data-test=delivery-oldest]")).to_contain_text("最早一条未投递的事件已等待")

    # The state switch is one tab stop; End moves to its last tab, "已放弃", and shows it.
    selected = desk.get_by_role("tab", selected=True)
    expect(selected).to_have_text("重试中")
    selected.focus()
    desk.keyboard.press("End")
    given_up = desk.get_by_role("tab", name="已放弃")
    expect(given_up).to_have_attribute("aria-selected", "true")
    expect(given_up).to_be_focused()
    expect(desk).to_have_url(re.compile(r"state=dead"))

    row = desk.locator(f'tr[data-event="{event_id}"]')
    expect(row).to_be_visible()
    expect(row.locator("[data-test=last-error]")).to_have_text("HTTP 500")
    expect(row.locator("[data-test=attempts]")).to_have_text("8")
    # The demo admin works no cases (the case page would refuse it): the number, not a link.
    expect(row).to_contain_text(created["tracking_no"])
    expect(row.get_by_role("link")).to_have_count(0)
    # With a row and its replay button on screen: nothing axe-core rates serious or critical.
    assert axe_violations(desk) == []

    news = desk.locator("[data-test=delivery-news]")
    expect(news).to_have_attribute("aria-live", "polite")
    row.get_by_role("button", name=f"重新投递 case.submitted {created['tracking_no']}").click()
    expect(row).to_have_count(0)
    expect(dead).to_have_text(str(counts["dead"] - 1))
    expect(news).to_have_text(f"已安排重新投递 case.submitted {created['tracking_no']}，将尽快发送。")

    stored = event_row(server, event_id)
    assert stored["dead_at"] is None, stored
    assert stored["delivered_at"] is None, stored
    assert stored["attempts"] == 0, stored
    assert parse_stamp(stored["next_attempt_at"]) <= datetime.now(UTC), stored

    # The button went with its row: focus waits on the list's heading, one Tab before the switch.
    expect(desk.get_by_role("heading", name="按投递状态查看事件")).to_be_focused()
    desk.keyboard.press("Tab")
    expect(given_up).to_be_focused()
    # Due again, never tried since: it is pending now, the newest of the owed events (a page of the
    # oldest comes first; "more" brings the next).
    desk.keyboard.press("Home")
    expect(desk.get_by_role("tab", name="待投递")).to_have_attribute("aria-selected", "true")
    expect(desk.get_by_role("region", name="待投递的事件")).to_be_visible()
    replayed = desk.locator(f'tr[data-event="{event_id}"]')
    rows = desk.locator("tr[data-event]")
    while not replayed.count():
        shown = rows.count()
        desk.locator("[data-test=events-more]").click()
        expect(rows).not_to_have_count(shown)
    expect(replayed).to_be_visible()


def test_a_refused_replay_shows_the_problems_detail(server: Server, page: Page, desk: Page) -> None:
    created = new_case(page, "人行道地砖翘起来了")
    event_id = submitted_event(server, created["id"])
    later = datetime.now(UTC) + timedelta(minutes=10)
    update_event(
        server, event_id, attempts=2, last_error="timed out after 10 s", next_attempt_at=stamp(later)
    )

    desk_sign_in(desk, server, "admin", "admin-demo")
    desk.goto("/staff/admin/delivery?state=failed")
    row = desk.locator(f'tr[data-event="{event_id}"]')
    expect(row.locator("[data-test=last-error]")).to_have_text("timed out after 10 s")

    # Meanwhile a worker's retry got through.
    update_event(server, event_id, delivered_at=stamp(datetime.now(UTC)))
    row.get_by_role("button", name=f"重新投递 case.submitted {created['tracking_no']}").click()
    refused = desk.locator("[data-test=replay-failed]")
    expect(refused).to_have_attribute("role", "alert")
    expect(refused).to_have_text(
        f"重新投递 case.submitted {created['tracking_no']} 失败：该事件已送达指挥协调平台，无需重发。"
    )
    # The list is read again: the delivered event is no longer owed.
    expect(row).to_have_count(0)
    assert event_row(server, event_id)["attempts"] == 2


def test_a_waiting_callback_is_listed_with_its_case(server: Server, page: Page, desk: Page) -> None:
    created = new_case(page, "垃圾箱倒了，垃圾散了一地")
    desk_sign_in(desk, server, "admin", "admin-demo")
    desk.goto("/staff/admin/delivery")
    expect(desk.locator("h1")).to_have_text("投递状况")
    if not admin_get(desk, "/api/v1/admin/outbox/callbacks")["items"]:
        expect(desk.locator("[data-test=callbacks-empty]")).to_have_text("没有等待中的回调。")

    # The platform says the work started on a case the desk has not dispatched yet: the callback waits
    # (kept as the server keeps one it received, its refusal's code beside it).
    callback_id = uuid.uuid4()
    now = datetime.now(UTC)
    payload = {
        "type": "started",
        "event_id": str(callback_id),
        "case_id": created["id"],
        "occurred_at": now.isoformat(),
    }
    with database(server) as db:
        db.execute(
            "INSERT INTO coordination_callbacks (event_id, callback_type, case_id, payload, occurred_at,"
            " received_at, applied_at, waiting_for)"
            " VALUES (?, 'started', ?, ?, ?, ?, NULL, 'invalid_transition')",
            (callback_id.hex, uuid.UUID(created["id"]).hex, json.dumps(payload), stamp(now), stamp(now)),
        )

    desk.locator("[data-test=delivery-refresh]").click()
    expect(desk.locator("[data-test=delivery-news]")).to_have_text("已刷新。")
    row = desk.locator(f'tr[data-callback="{callback_id}"]')
    expect(row).to_contain_text("开始处置")
    expect(row).to_contain_text("案件尚未走到相应环节")
    expect(desk.locator("[data-test=callbacks-empty]")).to_have_count(0)
    expect(row).to_contain_text(created["id"])
    expect(row.get_by_role("link")).to_have_count(0)


def test_the_page_is_for_admins_only(server: Server, desk: Page) -> None:
    desk_sign_in(desk, server, "dispatcher", "dispatcher-demo")
    expect(desk.locator("[data-test=nav-delivery]")).to_have_count(0)
    desk.goto("/staff/admin/delivery")
    expect(desk).to_have_url(f"{server.base}/staff")


def test_the_page_reflows_at_200_percent_zoom(server: Server, page: Page, browser: Browser) -> None:
    created = new_case(page, "公交站的座椅坏了")
    event_id = submitted_event(server, created["id"])
    now = datetime.now(UTC)
    error = "HTTP 502: <html><body>upstream connect error or disconnect/reset before headers</body></html>"
    update_event(server, event_id, attempts=8, last_error=error, dead_at=stamp(now))
    # 1366×768 at 200%.
    context = browser.new_context(base_url=server.base, viewport={"width": 683, "height": 384}, locale="en")
    try:
        desk = context.new_page()
        desk_sign_in(desk, server, "admin", "admin-demo")
        desk.goto("/staff/admin/delivery?state=dead")
        expect(desk.locator(f'tr[data-event="{event_id}"] [data-test=last-error]')).to_have_text(error)
        widths = desk.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"
        # The table may be wider than the window: it scrolls in a region that Tab reaches.
        region = desk.get_by_role("region", name="Events: Given up")
        expect(region).to_have_attribute("tabindex", "0")
        expect(region.locator("table")).to_be_visible()
    finally:
        context.close()
