"""Everyone can use the citizen app (issue 10): no serious or critical axe-core violation on any screen,
in Chinese, in English and in elders' mode (长辈模式); focus visible at every tab stop; a report filed
with the keyboard alone; elders' mode that is remembered and big; no location asked on first load; no
content lost at 200% zoom."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.a11y import axe_violations, tab_stops
from tests.e2e.conftest import PHONE, Server, phone_token, report_through_api

pytestmark = pytest.mark.e2e

SAMPLE = Path(__file__).resolve().parents[2] / "media" / "samples" / "manhole.jpg"
HERE = {"latitude": 30.2741, "longitude": 120.1551, "accuracy": 12}
# A phone at 200% zoom: the 390 px wide phone's CSS pixels halved.
ZOOMED = {"width": 195, "height": 422}
MIN_TARGET_PX = 44
ELDERS_ON = "localStorage.setItem('city.elders', '1')"

# Every control one can aim at; a control drawn over a hidden native one is measured by what is seen.
_SMALL_TARGETS = """(min) => {
    const controls = document.querySelectorAll(
        'a[href], button, input, textarea, select, [role=button], [role=switch], '
        + '[tabindex]:not([tabindex="-1"])'
    );
    const small = [];
    for (const control of controls) {
        if (control.closest('.leaflet-control-attribution')) continue;  // inline text links are exempt
        const target = control.closest('label, .van-field, .van-uploader__upload') || control;
        const box = target.getBoundingClientRect();
        const hidden = getComputedStyle(target).visibility === 'hidden';
        if (box.width === 0 || box.height === 0 || hidden) continue;
        if (box.width < min - 0.5 || box.height < min - 0.5) {
            const size = `${Math.round(box.width)}x${Math.round(box.height)}`;
            small.push(`${control.outerHTML.slice(0, 80)} ${size}`);
        }
    }
    return small;
}"""

# What sticks out of the viewport sideways (the map's own panes excepted: they pan inside it).
_OUTSIDE = """() => {
    const width = document.documentElement.clientWidth;
    const out = [];
    for (const el of document.querySelectorAll('header *, main *, nav *')) {
        if (el.closest('.leaflet-container') || !el.getClientRects().length) continue;
        const box = el.getBoundingClientRect();
        if (box.width && (box.right > width + 1 || box.left < -1)) out.push(`${el.tagName} ${el.className}`);
    }
    return out;
}"""

_COUNT_GEOLOCATION = """
    window.__geolocationCalls = 0;
    for (const name of ['getCurrentPosition', 'watchPosition']) {
        const original = Geolocation.prototype[name];
        Geolocation.prototype[name] = function (...args) {
            window.__geolocationCalls += 1;
            return original.apply(this, args);
        };
    }
"""


def new_phone(browser: Browser, server: Server, **options: object) -> BrowserContext:
    settings: dict[str, object] = {
        "base_url": server.base,
        "viewport": PHONE,
        "is_mobile": True,
        "has_touch": True,
        "locale": "zh-CN",
        "geolocation": HERE,
        "permissions": ["geolocation"],
    }
    return browser.new_context(**(settings | options))


@pytest.fixture(params=["zh-CN", "en", "elders"])
def any_phone(request: pytest.FixtureRequest, browser: Browser, server: Server) -> Iterator[Page]:
    """A phone in Chinese, in English, or in Chinese with elders' mode on."""
    mode = request.param
    context = new_phone(browser, server, locale="en-US" if mode == "en" else "zh-CN")
    if mode == "elders":
        context.add_init_script(ELDERS_ON)
    try:
        yield context.new_page()
    finally:
        context.close()


def report_screen_ready(page: Page) -> None:
    expect(page.locator("[data-test=location]")).to_contain_text("30.27410")
    expect(page.locator("[data-test=common-categories] button")).not_to_have_count(0)
    expect(page.locator("[data-test=types] input")).not_to_have_count(0)


def test_no_serious_axe_violation_on_any_citizen_screen(any_phone: Page) -> None:
    page = any_phone
    found: dict[str, list[str]] = {}

    def check(where: str) -> None:
        page.wait_for_timeout(300)  # let transitions end: axe judges the colours on screen
        found[where] = axe_violations(page)

    page.goto("/")
    mine = phone_token(page)
    neighbour = page.request.post("/api/v1/auth/device").json()["token"]
    own = report_through_api(page, mine, "路灯不亮了，晚上很黑")
    theirs = report_through_api(page, neighbour, "人行道上的井盖松动了")
    followed = page.request.post(
        f"/api/v1/requests/{theirs['id']}/follow", headers={"Authorization": f"Bearer {mine}"}
    )
    assert followed.ok, followed.text()

    page.goto("/")
    expect(page.locator("[data-test=report]")).to_be_visible()
    check("/")
    page.goto("/report")
    report_screen_ready(page)
    check("/report")
    page.locator("[data-test=submit]").click()
    expect(page.locator("[data-test=missing]")).to_be_visible()
    check("/report with the missing fields marked")
    page.locator("[data-test=category] button").click()
    expect(page.locator("[data-test=category-option]")).not_to_have_count(0)
    check("/report, category picker")
    page.locator("[data-test=category-option]").first.click()
    expect(page.locator("[data-test=category-back]")).to_be_visible()
    check("/report, category picker, second step")
    page.goto("/requests")
    expect(page.locator("[data-test=request]")).to_have_count(1)
    check("/requests")
    page.locator("[data-test=followed]").click()
    expect(page.locator("[data-test=followed-sheet]")).to_be_visible()
    check("/requests, followed sheet")
    page.goto(f"/requests/{own['id']}")
    expect(page.locator("[data-test=tracking-no]")).to_contain_text(own["tracking_no"])
    check("/requests/<id>")
    page.goto("/login")
    expect(page.locator("[data-test=phone]")).to_be_visible()
    check("/login")

    failing = {where: violations for where, violations in found.items() if violations}
    assert failing == {}, "\n".join(f"{where}:\n  " + "\n  ".join(v) for where, v in failing.items())


def open_with_a_report(page: Page, path: str, description: str) -> None:
    """The screen at `path` of a phone that has reported once, as it is once drawn."""
    page.goto("/")
    report_through_api(page, phone_token(page), description)
    page.goto(path)
    if path == "/report":
        report_screen_ready(page)
    elif path == "/requests":
        expect(page.locator("[data-test=request]")).to_have_count(1)
    else:
        expect(page.locator("main")).not_to_be_empty()


@pytest.mark.parametrize("path", ["/", "/report", "/requests", "/login"])
def test_focus_is_visible_at_every_tab_stop(page: Page, path: str) -> None:
    open_with_a_report(page, path, "垃圾桶满了")
    stops = tab_stops(page)
    assert len(stops) >= 4, stops
    invisible = [stop.description for stop in stops if not stop.visible]
    assert invisible == [], f"no visible focus at: {invisible}"
    if path == "/report":
        # The walk goes through the whole form: focus never falls back to <body> before the end.
        descriptions = [stop.description for stop in stops]
        assert any(d.startswith("textarea") for d in descriptions), descriptions
        assert any(d.startswith('button "提交"') for d in descriptions), descriptions


def tab_to(page: Page, selector: str, limit: int = 60) -> None:
    """Press Tab until the focus is on `selector`; focus must never fall back to <body> on the way."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        state = page.evaluate(
            "(selector) => ({body: document.activeElement === document.body,"
            " there: document.activeElement.matches(selector)})",
            selector,
        )
        assert not state["body"], f"focus fell back to <body> on the way to {selector}"
        if state["there"]:
            return
    pytest.fail(f"{selector} is not reachable with Tab")


def arrow_to(page: Page, text: str, limit: int = 40) -> None:
    """Move with ArrowDown through the picker's options until the focused one says `text`."""
    for _ in range(limit):
        if text in page.evaluate("() => document.activeElement.textContent"):
            return
        page.keyboard.press("ArrowDown")
    pytest.fail(f"no option {text!r} in the picker")


def test_a_report_filed_with_the_keyboard_alone(page: Page) -> None:
    # Playwright turns on its interception of file choosers without waiting for the browser: a listener
    # from the start has it on long before the key press below.
    page.on("filechooser", lambda _chooser: None)
    page.goto("/")
    token = phone_token(page)
    page.reload()
    tab_to(page, "[data-test=report]")
    page.keyboard.press("Enter")
    expect(page).to_have_url("/report")
    report_screen_ready(page)

    tab_to(page, "[data-test=photos] input[type=file]")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    chooser.value.set_files(str(SAMPLE))
    expect(page.locator(".van-uploader__preview")).to_have_count(1)

    # The request types are one radio group: Tab enters it at the chosen one, the arrows move the choice.
    tab_to(page, "[data-test=types] input:checked")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(page.locator("[data-test=types] input:checked")).to_have_value("help")

    # The full picker opens with Enter, its options take the arrows, Escape closes it.
    tab_to(page, "[data-test=category] button")
    page.keyboard.press("Enter")
    sheet = page.locator("[data-test=category-sheet]")
    expect(sheet).to_be_visible()
    expect(page.locator("[data-test=category-option]").first).to_be_focused()
    page.keyboard.press("Escape")
    expect(sheet).to_be_hidden()
    expect(page.locator("[data-test=category] button")).to_be_focused()
    page.keyboard.press("Space")
    expect(sheet).to_be_visible()
    arrow_to(page, "公用设施")
    page.keyboard.press("Enter")
    expect(page.locator("[data-test=category-back]")).to_be_visible()
    arrow_to(page, "上水井盖")
    page.keyboard.press("Space")
    expect(sheet).to_be_hidden()
    category = page.locator("[data-test=category] button")
    expect(category).to_be_focused()
    expect(category).to_contain_text("公用设施 / 上水井盖")

    tab_to(page, "[data-test=description] textarea")
    page.keyboard.type("井盖松动，用键盘报告")
    tab_to(page, "[data-test=submit]")
    page.keyboard.press("Enter")
    expect(page).to_have_url("/requests")

    items: list[dict] = []
    deadline = time.monotonic() + 15
    while not items and time.monotonic() < deadline:
        answer = page.request.get("/api/v1/requests", headers={"Authorization": f"Bearer {token}"})
        items = answer.json()["items"]
        time.sleep(0.3)
    assert [(item["type"], item["category_code"], item["description"]) for item in items] == [
        ("help", "C0101", "井盖松动，用键盘报告")
    ]
    assert len(items[0]["photos"]) == 1


def test_the_language_switch_and_the_tab_bar_work_with_the_keyboard(page: Page) -> None:
    page.goto("/")
    tab_to(page, "[data-test=language]")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("City Service")
    tab_to(page, "[data-test=tabbar] a[href='/requests']")
    page.keyboard.press("Space")
    expect(page).to_have_url("/requests")
    expect(page.locator("h1")).to_have_text("My requests")
    expect(page.locator("h1")).to_be_focused()


def test_elders_mode_is_remembered_big_and_simple(page: Page) -> None:
    page.goto("/")
    switch = page.locator("[data-test=elders]")
    expect(switch).to_have_attribute("aria-checked", "false")
    expect(page.locator("[data-test=show-nearby]")).to_be_visible()
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "true")
    page.reload()
    expect(switch).to_have_attribute("aria-checked", "true")
    assert page.evaluate("() => document.documentElement.classList.contains('elders')")

    assert page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)") >= 18
    # Only the two things to do on the home page: report, and my requests.
    actions = page.locator("main").locator("a, button, input, [role=button], [tabindex]")
    expect(actions).to_have_count(2)
    expect(actions.nth(0)).to_have_attribute("data-test", "report")
    expect(actions.nth(1)).to_have_attribute("data-test", "mine")
    assert page.evaluate(_SMALL_TARGETS, MIN_TARGET_PX) == []

    page.goto("/report")
    report_screen_ready(page)
    text = page.locator("[data-test=common-categories] .name").first
    assert page.evaluate("(el) => parseFloat(getComputedStyle(el).fontSize)", text.element_handle()) >= 15
    assert page.evaluate(_SMALL_TARGETS, MIN_TARGET_PX) == []

    switch.click()
    expect(switch).to_have_attribute("aria-checked", "false")
    page.reload()
    expect(switch).to_have_attribute("aria-checked", "false")
    assert page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)") < 18


@pytest.mark.parametrize("path", ["/", "/report", "/requests", "/login"])
def test_every_target_is_at_least_44_px_on_the_phone(page: Page, path: str) -> None:
    open_with_a_report(page, path, "树枝挡住了路牌")
    assert page.evaluate(_SMALL_TARGETS, MIN_TARGET_PX) == []


def test_the_home_page_asks_for_the_location_only_after_a_tap(browser: Browser, server: Server) -> None:
    context = new_phone(browser, server)
    context.add_init_script(_COUNT_GEOLOCATION)
    try:
        page = context.new_page()
        page.goto("/")
        expect(page.locator("[data-test=report]")).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert page.evaluate("() => window.__geolocationCalls") == 0
        page.locator("[data-test=show-nearby]").click()
        expect(page.locator("[data-test=nearby-map]")).to_be_visible()
        assert page.evaluate("() => window.__geolocationCalls") == 1
    finally:
        context.close()


@pytest.mark.parametrize("elders", [False, True], ids=["normal", "elders"])
@pytest.mark.parametrize("path", ["/", "/report"])
def test_nothing_is_lost_at_200_percent_zoom(
    browser: Browser, server: Server, path: str, elders: bool
) -> None:
    context = new_phone(browser, server, viewport=ZOOMED)
    if elders:
        context.add_init_script(ELDERS_ON)
    try:
        page = context.new_page()
        page.goto(path)
        if path == "/report":
            report_screen_ready(page)
        else:
            expect(page.locator("[data-test=report]")).to_be_visible()
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the page scrolls sideways by {overflow} px"
        assert page.evaluate(_OUTSIDE) == []
    finally:
        context.close()


def test_the_desk_never_paints_the_citizen_bars(browser: Browser, server: Server) -> None:
    context = new_phone(
        browser, server, viewport={"width": 1366, "height": 768}, is_mobile=False, has_touch=False
    )
    # Whatever appears in the page while it loads, however briefly, is seen by this observer.
    context.add_init_script(
        """window.__citizenBars = 0;
        new MutationObserver(() => {
            if (document.querySelector('header.topbar, [data-test=tabbar]')) window.__citizenBars += 1;
        }).observe(document, {childList: true, subtree: true});"""
    )
    try:
        page = context.new_page()
        page.goto("/staff/login")
        expect(page.locator("input[name=username]")).to_be_visible()
        assert page.evaluate("() => window.__citizenBars") == 0
        page.goto("/")
        expect(page.locator("[data-test=tabbar]")).to_be_visible()
        assert page.evaluate("() => window.__citizenBars") > 0
    finally:
        context.close()
