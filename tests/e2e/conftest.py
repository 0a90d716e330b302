"""Browser end-to-end tests: the real server on a free loopback port with a data dir of its own,
driven through Debian's Chromium by Playwright. A failing test leaves a screenshot in test-results/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from tests.e2e.demo_server import start_demo_server

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CITY_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RESULTS = REPO / "test-results"
PHONE = {"width": 360, "height": 640}
DESK = {"width": 1280, "height": 800}


@dataclass(frozen=True)
class Server:
    base: str
    data_dir: Path


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # A build of one's own (CITY_TEST_PWA_DIR) lets two checkouts' worth of work test side by side.
    pwa_dir = Path(os.environ.get("CITY_TEST_PWA_DIR", REPO / "pwa" / "dist"))
    if not (pwa_dir / "index.html").exists():
        pytest.fail(f"{pwa_dir} is not built: run `make test`, which builds it")
    data_dir = tmp_path_factory.mktemp("e2e-data")
    try:
        process, base = start_demo_server(pwa_dir, data_dir)
    except RuntimeError as failed:
        pytest.fail(str(failed))
    try:
        yield Server(base=base, data_dir=data_dir)
    finally:
        process.terminate()
        process.wait(10)


# Module scope, not session: sync Playwright keeps an event loop running on this thread while it is
# open, which the asyncio tests of other modules must not find.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def desk_context(browser: Browser, server: Server) -> Iterator[BrowserContext]:
    """A staff desk's browser: a desktop window, in Chinese."""
    context = browser.new_context(base_url=server.base, viewport=DESK, locale="zh-CN")
    yield context
    context.close()


@pytest.fixture
def desk(desk_context: BrowserContext) -> Page:
    return desk_context.new_page()


CSP_MARK = "Content Security Policy"


class CspWatch:
    """Every page of the test, the ones it opens in contexts of its own included: each console message
    and page error that mentions the Content Security Policy. The server sends the policy on the app's
    pages; a violation anywhere fails the test at teardown."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def watch_page(self, page: Page) -> None:
        def on_console(message: ConsoleMessage) -> None:
            if CSP_MARK.lower() in message.text.lower():
                self.problems.append(f"{page.url}: console {message.type}: {message.text}")

        def on_error(error: Error) -> None:
            if CSP_MARK.lower() in f"{error.name} {error.message}".lower():
                self.problems.append(f"{page.url}: page error: {error.message}")

        page.on("console", on_console)
        page.on("pageerror", on_error)

    def watch(self, context: BrowserContext) -> BrowserContext:
        for page in context.pages:
            self.watch_page(page)
        context.on("page", self.watch_page)
        return context


@pytest.fixture(autouse=True)
def csp_watch(browser: Browser, monkeypatch: pytest.MonkeyPatch) -> Iterator[CspWatch]:
    watch = CspWatch()
    new_context = browser.new_context
    monkeypatch.setattr(
        browser, "new_context", lambda *args, **kwargs: watch.watch(new_context(*args, **kwargs))
    )
    yield watch
    assert watch.problems == [], "the Content Security Policy blocked something:\n" + "\n".join(
        watch.problems
    )


@pytest.fixture
def context(browser: Browser, server: Server, csp_watch: CspWatch) -> Iterator[BrowserContext]:
    context = browser.new_context(
        base_url=server.base,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        geolocation={"latitude": 30.2741, "longitude": 120.1551, "accuracy": 12},
        permissions=["geolocation", "background-sync"],
    )
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and not page.is_closed():
        RESULTS.mkdir(exist_ok=True)
        page.screenshot(path=str(RESULTS / f"{request.node.name}.png"), full_page=True)


def phone_token(page: Page) -> str:
    """Give the app in `page` a device token of its own, as its first start would."""
    return page.evaluate(
        """async () => {
            const answer = await (await fetch('/api/v1/auth/device', {method: 'POST'})).json();
            localStorage.setItem('city.token', answer.token);
            return answer.token;
        }"""
    )


def report_through_api(page: Page, token: str, description: str, **fields: object) -> dict:
    """A request stored straight through the API, as some phone reported it earlier."""
    body = {
        "client_id": page.evaluate("() => crypto.randomUUID()"),
        "type": "complaint",
        "category_code": "C0101",
        "description": description,
        "location": {"lat": 30.2741, "lng": 120.1551},
        **fields,
    }
    answer = page.request.post("/api/v1/requests", headers={"Authorization": f"Bearer {token}"}, data=body)
    assert answer.status == 201, answer.text()
    return answer.json()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # noqa: ANN201
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def close_through_api(page: Page, case_id: str) -> None:
    """Take a case through the whole workflow as the demo supervisor would, up to closed."""
    login = page.request.post(
        "/api/v1/auth/login", data={"username": "supervisor", "password": "supervisor-demo"}
    )
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    steps = [
        {"action": "accept"},
        {"action": "dispatch", "department_code": "SZ-MUNI"},
        {"action": "start"},
        {"action": "handle", "public_message": "已修复"},
        {"action": "check_pass"},
    ]
    version = 1
    for step in steps:
        answer = page.request.post(
            f"/api/v1/staff/cases/{case_id}/actions",
            headers=headers,
            data={**step, "expected_version": version},
        )
        assert answer.status == 200, answer.text()
        version = answer.json()["summary"]["version"]


def desk_sign_in(desk: Page, server: Server, username: str, password: str) -> None:
    """Sign in to the staff desk from its sign-in page (where /staff sends anyone not signed in)."""
    if "/staff/login" not in desk.url:
        desk.goto("/staff")
        expect(desk).to_have_url(f"{server.base}/staff/login?next=/staff")
    desk.locator("input[name=username]").fill(username)
    desk.locator("input[name=password]").fill(password)
    desk.locator("button[type=submit]").click()
    expect(desk).to_have_url(f"{server.base}/staff")


def open_queued_case(desk: Page, case_id: str) -> None:
    """Wait for a new case's row in the queue (it comes by the live feed) and open it."""
    row = desk.locator(f'tr[data-case="{case_id}"]')
    expect(row).to_be_visible(timeout=15_000)
    row.locator("a").click()
    expect(desk.locator("[data-test=case-status]")).to_have_text("待受理")


def api_token(page: Page, username: str, password: str) -> str:
    """A staff or inspector token, signed in through the API (no screen involved)."""
    answer = page.request.post("/api/v1/auth/login", data={"username": username, "password": password})
    assert answer.ok, answer.text()
    return str(answer.json()["token"])


def api_login(page: Page, username: str, password: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(page, username, password)}"}


def answer_open_roll_calls(page: Page, where: dict[str, float]) -> None:
    """Roll calls a test left unanswered would cover the field app of the tests after it (the server
    is shared): the demo inspector answers them from `where`."""
    headers = api_login(page, "inspector", "inspector-demo")
    for call in page.request.get("/api/v1/field/roll-calls?state=open", headers=headers).json()["items"]:
        answered = page.request.post(
            f"/api/v1/field/roll-calls/{call['id']}/answer", headers=headers, data={"location": where}
        )
        assert answered.ok, answered.text()


def handled_case(page: Page, description: str, location: dict[str, float] | None = None) -> dict[str, Any]:
    """A citizen's report taken by the desk up to handled (已处置), awaiting its 核查."""
    page.goto("/")
    case = report_through_api(
        page, phone_token(page), description, **({"location": location} if location else {})
    )
    headers = api_login(page, "supervisor", "supervisor-demo")
    version = 1
    for step in (
        {"action": "accept"},
        {"action": "dispatch", "department_code": "SZ-MUNI"},
        {"action": "start"},
        {"action": "handle", "public_message": "已修复"},
    ):
        answer = page.request.post(
            f"/api/v1/staff/cases/{case['id']}/actions",
            headers=headers,
            data={**step, "expected_version": version},
        )
        assert answer.status == 200, answer.text()
        version = answer.json()["summary"]["version"]
    return case
