"""The staff desk for someone who cannot use a mouse or does not see well (issue 10): no serious or
critical axe-core violation on any desk route in either language, focus visible at every tab stop,
the whole triage of a case by keyboard alone, and the queue and case page at 200% zoom. The
inspectors' page and the tasks page (issue 12) are checked with the demo inspector on shift, their
track drawn, a roll call and a task listed."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.e2e.a11y import axe_violations, tab_stops
from tests.e2e.conftest import Server, api_login, api_token, desk_sign_in, phone_token, report_through_api
from tests.e2e.test_desk_field import inspector_on_shift  # noqa: F401 (a fixture)

pytestmark = pytest.mark.e2e
DESK = {"width": 1366, "height": 768}
# 1366×768 at 200% zoom.
ZOOMED = {"width": 683, "height": 384}


@pytest.fixture
def open_desk(browser: Browser, server: Server) -> Iterator[Callable[..., Page]]:
    """A fresh desk window (a context of its own) in the given language and size."""
    contexts: list[BrowserContext] = []

    def make(locale: str = "zh-CN", viewport: dict[str, int] = DESK) -> Page:
        context = browser.new_context(base_url=server.base, viewport=viewport, locale=locale)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def new_case(page: Page, description: str) -> dict:
    """A citizen's report, waiting on the desk (submitted), with a category the routing table knows."""
    page.goto("/")
    return report_through_api(page, phone_token(page), description, category_code="C0101")


def field_work(page: Page, case_id: str) -> None:
    """What the inspectors' pages show besides the inspector on shift: a roll call put to them and the
    case sent to them to verify."""
    headers = api_login(page, "dispatcher", "dispatcher-demo")
    inspectors = page.request.get("/api/v1/staff/inspectors", headers=headers).json()["items"]
    inspector_id = next(item["id"] for item in inspectors if item["username"] == "inspector")
    asked = page.request.post(
        "/api/v1/staff/roll-calls", headers=headers, data={"inspector_id": inspector_id}
    )
    assert asked.status == 201, asked.text()
    sent = page.request.post(f"/api/v1/staff/cases/{case_id}/tasks", headers=headers, data={"kind": "verify"})
    assert sent.status == 201, sent.text()


def open_inspectors(desk: Page) -> None:
    """The inspectors' page with the first inspector on shift selected and their track drawn."""
    desk.goto("/staff/inspectors")
    expect(desk.locator(".inspectors-map .leaflet-control-zoom")).to_be_visible()
    desk.locator("[data-inspector] [data-test=inspector-pick]").first.click()
    expect(desk.locator("[data-test=inspector-detail]")).to_be_visible()


def check_page(desk: Page, found: dict[str, list[str]], route: str) -> None:
    """axe-core's serious and critical findings on the screen as it is, plus the structure axe only
    rates moderate: one h1 and one main landmark."""
    problems = axe_violations(desk)
    if desk.locator("h1").count() != 1:
        problems.append(f"{desk.locator('h1').count()} h1 elements, not one")
    if desk.locator("main").count() != 1:
        problems.append(f"{desk.locator('main').count()} main landmarks, not one")
    if problems:
        found[route] = problems


def tab_to(desk: Page, target: Locator, limit: int = 120) -> None:
    """Press Tab until `target` has focus, as a keyboard user moving through the page would."""
    for _ in range(limit):
        desk.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{target} was not reached in {limit} presses of Tab")


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.usefixtures("inspector_on_shift")
def test_no_serious_axe_violation_on_any_desk_route(
    open_desk: Callable[..., Page], server: Server, page: Page, locale: str
) -> None:
    created = new_case(page, "井盖松动，走过去会晃")
    field_work(page, created["id"])
    desk = open_desk(locale)
    found: dict[str, list[str]] = {}

    desk.goto("/staff")
    expect(desk.locator("input[name=username]")).to_be_visible()
    check_page(desk, found, "/staff/login")

    desk_sign_in(desk, server, "dispatcher", "dispatcher-demo")
    expect(desk.locator(f'tr[data-case="{created["id"]}"]')).to_be_visible(timeout=15_000)
    expect(desk.locator(".live.on")).to_be_visible()
    check_page(desk, found, "/staff")

    desk.goto(f"/staff/cases/{created['id']}")
    desk.locator("[data-action=accept]").click()
    expect(desk.locator(".action-form textarea[name=public_message]")).to_be_visible()
    expect(desk.locator(".case-map.leaflet-container")).to_be_visible()
    check_page(desk, found, "/staff/cases/{id} (accept form open)")

    desk.goto("/staff/map")
    expect(desk.locator(".staff-map .leaflet-control-zoom")).to_be_visible()
    expect(desk.locator(".map-bar")).to_contain_text(" ")
    check_page(desk, found, "/staff/map")

    desk.goto("/staff/dashboard")
    expect(desk.locator(".chart canvas")).to_be_visible()
    expect(desk.locator("table.figures tbody tr").first).to_be_visible()
    expect(desk.locator("[data-test=inspector-figures] tbody tr").first).to_be_visible()
    check_page(desk, found, "/staff/dashboard")

    open_inspectors(desk)
    expect(desk.locator(".inspectors-map path.track-line").first).to_be_attached()
    expect(desk.locator("tr[data-roll-call]").first).to_be_visible()
    expect(desk.locator("table.coverage, [data-test=coverage-empty]").first).to_be_visible()
    check_page(desk, found, "/staff/inspectors (an inspector on shift selected)")

    desk.goto("/staff/tasks")
    expect(desk.locator("tr[data-task]").first).to_be_visible()
    check_page(desk, found, "/staff/tasks")

    desk.goto(f"/staff/cases/{created['id']}")
    expect(desk.locator("[data-test=case-tasks] li[data-task]")).to_be_visible()
    check_page(desk, found, "/staff/cases/{id} (a verify task open)")

    desk.locator("[data-test=sign-out]").click()
    expect(desk.locator("input[name=username]")).to_be_visible()
    desk_sign_in(desk, server, "admin", "admin-demo")
    desk.goto("/staff/inspectors")
    desk.locator("select[name=grid_inspector]").select_option(label="inspector")
    expect(desk.locator(".grid-assignment fieldset")).to_be_visible()
    check_page(desk, found, "/staff/inspectors (admin, assigning grids)")

    desk.goto("/staff/admin/templates")
    desk.locator("[data-template] .row-actions button").first.click()
    expect(desk.locator("textarea[name=text_zh]")).to_be_visible()
    check_page(desk, found, "/staff/admin/templates (editing)")

    desk.goto("/staff/admin/routing")
    expect(desk.locator("[data-rule]").first).to_be_visible()
    check_page(desk, found, "/staff/admin/routing")

    # The case reported above is owed to the platform (the server has none): a row in the table.
    desk.goto("/staff/admin/delivery?state=pending")
    expect(desk.locator("tr[data-event]").first).to_be_visible()
    expect(desk.locator("[data-test=callbacks-empty], tr[data-callback]").first).to_be_visible()
    check_page(desk, found, "/staff/admin/delivery (pending events)")

    assert found == {}, "\n".join(f"{route}:\n  " + "\n  ".join(lines) for route, lines in found.items())


@pytest.mark.usefixtures("inspector_on_shift")
def test_focus_is_visible_at_every_stop_of_the_desk(
    open_desk: Callable[..., Page], server: Server, page: Page
) -> None:
    created = new_case(page, "垃圾桶满了好几天没人清")
    field_work(page, created["id"])
    desk = open_desk()
    failing: dict[str, list[str]] = {}

    def walk(name: str) -> None:
        stops = tab_stops(desk)
        assert len(stops) > 3, f"{name}: only {len(stops)} tab stops"
        if not all(s.visible for s in stops):
            failing[name] = [s.description for s in stops if not s.visible]

    desk.goto("/staff")
    expect(desk.locator("input[name=username]")).to_be_visible()
    walk("sign-in")

    desk.goto("/staff/login?next=/staff")
    desk_sign_in(desk, server, "dispatcher", "dispatcher-demo")
    expect(desk.locator(f'tr[data-case="{created["id"]}"]')).to_be_visible(timeout=15_000)
    desk.reload()
    expect(desk.locator("tr[data-case]").first).to_be_visible()
    # From the top: the top bar's links and buttons too.
    desk.locator(".staff-title").click()
    walk("queue")

    desk.goto(f"/staff/cases/{created['id']}")
    desk.locator("[data-action=accept]").click()
    expect(desk.locator(".action-form")).to_be_visible()
    # Start the walk at the top of the page, the open form included.
    desk.locator(".staff-title").click()
    walk("case page with the accept form")

    desk.goto("/staff/map")
    expect(desk.locator(".staff-map .leaflet-control-zoom")).to_be_visible()
    desk.locator(".staff-title").click()
    walk("map")

    desk.goto("/staff/dashboard")
    expect(desk.locator(".chart canvas")).to_be_visible()
    desk.locator(".staff-title").click()
    walk("indicators")

    open_inspectors(desk)
    expect(desk.locator("tr[data-roll-call]").first).to_be_visible()
    desk.locator(".staff-title").click()
    walk("inspectors")

    desk.goto("/staff/tasks")
    expect(desk.locator("tr[data-task]").first).to_be_visible()
    desk.locator(".staff-title").click()
    walk("tasks")

    desk.locator("[data-test=sign-out]").click()
    expect(desk.locator("input[name=username]")).to_be_visible()
    desk_sign_in(desk, server, "admin", "admin-demo")
    desk.goto("/staff/admin/delivery?state=pending")
    expect(desk.locator("tr[data-event]").first).to_be_visible()
    desk.locator(".staff-title").click()
    walk("delivery health")

    assert failing == {}, "no visible focus at:\n" + "\n".join(
        f"{name}: {', '.join(stops)}" for name, stops in failing.items()
    )


def test_a_dispatcher_accepts_and_dispatches_a_case_by_keyboard_alone(
    open_desk: Callable[..., Page], server: Server, page: Page
) -> None:
    created = new_case(page, "人行道上的井盖缺了一块，晚上很危险")
    desk = open_desk()
    desk.goto("/staff")
    expect(desk).to_have_url(f"{server.base}/staff/login?next=/staff")

    tab_to(desk, desk.locator("input[name=username]"))
    desk.keyboard.type("dispatcher")
    desk.keyboard.press("Tab")
    expect(desk.locator("input[name=password]")).to_be_focused()
    desk.keyboard.type("dispatcher-demo")
    desk.keyboard.press("Enter")
    expect(desk).to_have_url(f"{server.base}/staff")
    # Where a keyboard user lands: the page's heading, not wherever the sign-in button was; the
    # window's title names the screen.
    expect(desk.locator("h1")).to_be_focused()
    expect(desk).to_have_title("案件队列 · 城市服务 · 受理台")

    # Find the case by its number in the search box, then open it from its row.
    tab_to(desk, desk.locator("input[type=search]"))
    desk.keyboard.type(created["tracking_no"])
    link = desk.locator(f'tr[data-case="{created["id"]}"] a')
    expect(desk.locator("tr[data-case]")).to_have_count(1)
    tab_to(desk, link)
    desk.keyboard.press("Enter")
    status = desk.locator("[data-test=case-status]")
    expect(status).to_have_text("待受理")

    # Escape closes a form and gives focus back to the button that opened it.
    reject = desk.locator("[data-action=reject]")
    tab_to(desk, reject)
    desk.keyboard.press("Enter")
    expect(desk.locator(".action-form")).to_be_visible()
    desk.keyboard.press("Escape")
    expect(desk.locator(".action-form")).to_have_count(0)
    expect(reject).to_be_focused()

    tab_to(desk, desk.locator("[data-action=accept]"))
    desk.keyboard.press("Enter")
    # The form takes focus at its first field.
    expect(desk.locator(".action-form select[name=category]")).to_be_focused()
    tab_to(desk, desk.locator("textarea[name=public_message]"))
    desk.keyboard.type("已受理，我们会尽快处理。")
    tab_to(desk, desk.locator(".action-form button[type=submit]"))
    desk.keyboard.press("Enter")
    expect(status).to_have_text("已立案")
    # After the step: focus on the case's status, and the result said in a live region.
    expect(desk.locator("[data-test=case-heading]")).to_be_focused()
    expect(desk.locator("[data-test=action-result]")).to_contain_text("已立案")

    tab_to(desk, desk.locator("[data-action=dispatch]"))
    desk.keyboard.press("Enter")
    department = desk.locator("select[name=department]")
    expect(department).to_be_focused()
    # The demo's dispatch template, picked with the arrow key, fills in the public message.
    template = desk.locator("select[name=template]")
    expect(template).to_be_visible()
    tab_to(desk, template)
    desk.keyboard.press("ArrowDown")
    expect(desk.locator("textarea[name=public_message]")).not_to_have_value("")
    tab_to(desk, desk.locator(".action-form button[type=submit]"))
    desk.keyboard.press("Enter")
    expect(status).to_have_text("已派遣")

    token = api_token(desk, "dispatcher", "dispatcher-demo")
    case = desk.request.get(
        f"/api/v1/staff/cases/{created['id']}", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert case["summary"]["status"] == "dispatched", case["summary"]
    assert case["suggested_department"] is not None
    assert case["summary"]["department_code"] == case["suggested_department"]["code"], case["summary"]


def test_new_cases_are_announced_politely_and_motion_can_be_reduced(
    open_desk: Callable[..., Page], server: Server, page: Page
) -> None:
    desk = open_desk("en")
    desk.emulate_media(reduced_motion="reduce")
    desk_sign_in(desk, server, "dispatcher", "dispatcher-demo")
    expect(desk.locator(".live.on")).to_be_visible()
    announcer = desk.locator("[data-test=queue-news]")
    expect(announcer).to_have_attribute("aria-live", "polite")

    created = new_case(page, "Street light out at the corner")
    row = desk.locator(f'tr[data-case="{created["id"]}"]')
    expect(row).to_have_class("fresh", timeout=15_000)
    expect(announcer).to_have_text("1 new case")
    # The highlight comes without its fade (a near-zero duration, not none: see desk.css).
    duration = row.evaluate("el => parseFloat(getComputedStyle(el).transitionDuration)")
    assert duration < 0.01, f"the new row still fades in over {duration} s"


@pytest.mark.parametrize("screen", ["queue", "case", "dashboard", "inspectors"])
def test_desk_screens_reflow_at_200_percent_zoom(
    open_desk: Callable[..., Page], server: Server, page: Page, screen: str
) -> None:
    created = new_case(page, "路边的树枝断了挂在电线上")
    desk = open_desk(viewport=ZOOMED)
    desk_sign_in(desk, server, "dispatcher", "dispatcher-demo")
    expect(desk.locator(f'tr[data-case="{created["id"]}"]')).to_be_visible(timeout=15_000)
    if screen == "case":
        desk.goto(f"/staff/cases/{created['id']}")
        desk.locator("[data-action=accept]").click()
        expect(desk.locator(".action-form")).to_be_visible()
    if screen == "dashboard":
        desk.goto("/staff/dashboard")
        expect(desk.locator("table.figures tbody tr").first).to_be_visible()
    if screen == "inspectors":
        desk.goto("/staff/inspectors")
        expect(desk.locator("[data-inspector]").first).to_be_visible()
        expect(desk.locator("table.coverage, [data-test=coverage-empty]").first).to_be_visible()

    overflow = desk.evaluate(
        "() => ({scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth})"
    )
    assert overflow["scroll"] <= overflow["inner"], f"the page scrolls sideways: {overflow}"
    # Whatever is wider than the window sits in a region that scrolls (and Tab can reach).
    clipped = desk.evaluate(
        """() => [...document.querySelectorAll('main *, header *')].filter((el) => {
            const r = el.getBoundingClientRect();
            // A map's panes run past its edge by design.
            if (r.width === 0 || r.right <= window.innerWidth + 1) return false;
            if (el.closest('.leaflet-container')) return false;
            for (let p = el.parentElement; p; p = p.parentElement) {
                const scrolls = ['auto', 'scroll'].includes(getComputedStyle(p).overflowX);
                if (scrolls && p.tabIndex >= 0) return false;
            }
            return true;
        }).map((el) => `${el.tagName.toLowerCase()}.${el.className}`).slice(0, 10)"""
    )
    assert clipped == [], f"cut off at 683 px: {clipped}"


def test_escape_closes_the_template_editor_and_focus_returns_to_its_button(
    open_desk: Callable[..., Page], server: Server
) -> None:
    desk = open_desk()
    desk_sign_in(desk, server, "admin", "admin-demo")
    tab_to(desk, desk.locator("[data-test=nav-templates]"))
    desk.keyboard.press("Enter")
    edit = desk.locator("[data-template] .row-actions button").first
    tab_to(desk, edit)
    desk.keyboard.press("Enter")
    # The editor takes focus at its first field; Escape from there closes it.
    expect(desk.locator("select[name=action]")).to_be_focused()
    desk.keyboard.press("Escape")
    expect(desk.locator("textarea[name=text_zh]")).to_have_count(0)
    expect(edit).to_be_focused()
