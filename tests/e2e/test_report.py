"""A citizen reports from the phone: with a photo, and while offline."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import report_through_api

pytestmark = pytest.mark.e2e

SAMPLE = Path(__file__).resolve().parents[2] / "media" / "samples" / "manhole.jpg"


def wait_for_service_worker(page: Page) -> None:
    page.evaluate(
        """async () => {
            const worker = (await navigator.serviceWorker.ready).active;
            if (worker.state !== 'activated') {
                await new Promise((done) => worker.addEventListener('statechange', () => {
                    if (worker.state === 'activated') done();
                }));
            }
        }"""
    )


def fill_report(page: Page, description: str) -> None:
    page.get_by_text("我要报告问题").click()
    expect(page.locator("[data-test=location]")).to_contain_text("30.27410")
    page.locator("[data-test=category]").click()
    page.locator("[data-test=category-option]", has_text="公用设施").click()
    page.locator("[data-test=category-option]", has_text="上水井盖").click()
    page.locator("[data-test=photos] input[type=file]").set_input_files(str(SAMPLE))
    expect(page.locator(".van-uploader__preview")).to_have_count(1)
    page.locator("[data-test=description] textarea").fill(description)


def own_requests(page: Page) -> list[dict]:
    token = page.evaluate("() => localStorage.getItem('city.token')")
    answer = page.request.get("/api/v1/requests", headers={"Authorization": f"Bearer {token}"})
    assert answer.ok
    return answer.json()["items"]


def test_common_categories_are_one_tap_pictograms(page: Page) -> None:
    page.goto("/report")
    parking = page.locator("[data-test=common-categories] [data-code=E0504]")
    expect(parking).to_contain_text("机动车乱停放")
    expect(parking.locator("svg")).to_be_visible()
    parking.click()
    expect(parking).to_have_attribute("aria-pressed", "true")
    expect(page.locator("[data-test=category] button")).to_have_text("街面秩序 / 机动车乱停放")


def test_report_with_a_photo_appears_in_my_requests(page: Page) -> None:
    page.goto("/")
    fill_report(page, "人行道上的井盖松动了")
    page.locator("[data-test=submit]").click()
    expect(page).to_have_url("/requests")
    row = page.locator("[data-test=request]")
    expect(row).to_have_count(1)
    items = own_requests(page)
    assert len(items) == 1
    assert len(items[0]["photos"]) == 1
    assert items[0]["description"] == "人行道上的井盖松动了"
    assert items[0]["category_code"] == "C0101"
    expect(row).to_contain_text(items[0]["tracking_no"])
    display = page.request.get(items[0]["photos"][0]["display_url"])
    assert display.ok and display.headers["content-type"] == "image/jpeg"


def test_a_large_photo_is_made_smaller_on_the_phone(page: Page, tmp_path: Path) -> None:
    big = tmp_path / "big.jpg"
    Image.effect_noise((3000, 2000), 40).convert("RGB").save(big, quality=85)
    page.goto("/")
    page.get_by_text("我要报告问题").click()
    page.locator("[data-test=common-categories] [data-code=E0102]").click()
    page.locator("[data-test=photos] input[type=file]").set_input_files(str(big))
    expect(page.locator(".van-uploader__preview")).to_have_count(1)
    page.locator("[data-test=description] textarea").fill("大照片")
    page.locator("[data-test=submit]").click()
    expect(page.locator("[data-test=request]").first).to_be_visible()
    photo = next(item for item in own_requests(page) if item["description"] == "大照片")["photos"][0]
    # The server keeps what the phone sent as the original: 1600 px long, not 3000.
    assert (photo["width"], photo["height"]) == (1600, 1067)


def test_offline_report_waits_survives_a_reload_and_is_sent_once(page: Page, context: BrowserContext) -> None:
    page.goto("/")
    wait_for_service_worker(page)
    fill_report(page, "离线时提交的井盖问题")
    context.set_offline(True)
    page.locator("[data-test=submit]").click()
    expect(page).to_have_url("/requests")
    expect(page.locator("[data-test=waiting]")).to_have_count(1)

    page.reload()
    waiting = page.locator("[data-test=waiting]")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("离线时提交的井盖问题")
    expect(waiting.locator("[data-test=progress]")).to_contain_text("0/1")
    expect(waiting.locator("[data-test=retry]")).to_be_visible()

    context.set_offline(False)
    expect(page.locator("[data-test=waiting]")).to_have_count(0, timeout=15000)
    expect(page.locator("[data-test=request]")).to_have_count(1)
    items = own_requests(page)
    assert [item["description"] for item in items] == ["离线时提交的井盖问题"]
    assert len(items[0]["photos"]) == 1


def test_map_without_tiles_is_a_coordinate_grid_with_a_movable_marker(page: Page) -> None:
    # The tile server is out of reach here, as on a city network that blocks it: the map must still work.
    page.goto("/report")
    expect(page.locator("[data-test=location]")).to_contain_text("30.27410")
    map_box = page.locator("[data-test=map]")
    expect(map_box).to_have_attribute("data-mode", "grid", timeout=10000)
    expect(page.locator(".city-pin")).to_be_visible()
    assert page.locator(".leaflet-overlay-pane path").count() > 2, "grid lines are drawn"
    box = map_box.bounding_box()
    assert box is not None
    map_box.click(position={"x": box["width"] * 0.8, "y": box["height"] * 0.3})
    expect(page.locator("[data-test=location]")).to_contain_text("已在地图上手动定位")
    expect(page.locator("[data-test=location]")).not_to_contain_text("30.27410, 120.15510")


def test_a_refused_report_is_parked_with_its_reason_and_can_be_deleted(
    page: Page, context: BrowserContext
) -> None:
    context.set_geolocation({"latitude": 31.2304, "longitude": 121.4737, "accuracy": 10})  # outside the city
    page.goto("/report")
    expect(page.locator("[data-test=location]")).to_contain_text("31.23040")
    page.locator("[data-test=common-categories] [data-code=C0101]").click()
    page.locator("[data-test=description] textarea").fill("城外的井盖")
    page.locator("[data-test=submit]").click()
    waiting = page.locator("[data-test=waiting]")
    expect(waiting).to_contain_text("不在本市的服务区域")
    assert own_requests(page) == []
    waiting.locator("[data-test=discard]").click()
    expect(waiting).to_have_count(0)


def test_background_sync_sends_after_the_app_is_closed(page: Page, context: BrowserContext) -> None:
    page.goto("/requests")  # the phone has its device token from here on
    wait_for_service_worker(page)
    page.goto("/")  # now controlled by the service worker
    token = page.evaluate("() => localStorage.getItem('city.token')")
    assert token
    fill_report(page, "关掉应用后由后台同步发送")
    context.set_offline(True)
    page.locator("[data-test=submit]").click()
    expect(page.locator("[data-test=waiting]")).to_have_count(1)
    page.close()  # no page is left to send it: only the service worker can
    context.set_offline(False)

    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + 30
    descriptions: list[str] = []
    while time.monotonic() < deadline:
        answer = context.request.get("/api/v1/requests", headers=headers)
        descriptions = [item["description"] for item in answer.json()["items"]]
        if descriptions:
            break
        time.sleep(0.5)
    assert descriptions == ["关掉应用后由后台同步发送"]


def test_already_reported_nearby_can_be_followed_instead(page: Page) -> None:
    page.goto("/")
    neighbour = page.request.post("/api/v1/auth/device").json()["token"]
    theirs = report_through_api(
        page, neighbour, "河面漂着垃圾", category_code="E0105", location={"lat": 30.27412, "lng": 120.15512}
    )
    page.goto("/report")
    page.locator("[data-test=common-categories] [data-code=E0105]").click()
    nearby = page.locator("[data-test=nearby]")
    expect(nearby).to_contain_text("水域不洁")
    nearby.locator("[data-test=follow]").first.click()
    expect(page).to_have_url("/requests")
    expect(page.locator("[data-test=followed]")).to_contain_text("水域不洁")
    token = page.evaluate("() => localStorage.getItem('city.token')")
    followed = page.request.get("/api/v1/requests/followed", headers={"Authorization": f"Bearer {token}"})
    assert [item["id"] for item in followed.json()["items"]] == [theirs["id"]]
