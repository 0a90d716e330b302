"""Accessibility checks for the browser tests: axe-core (from the PWA's own npm packages) and a walk
through the tab stops that sees, by screenshot, whether each one shows where focus is."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[2] / "pwa" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")
# Around the focused element: an outline drawn outside it (outline-offset) must fall in the picture.
RING_MARGIN = 6


def axe_violations(page: Page, impacts: tuple[str, ...] = BLOCKING_IMPACTS) -> list[str]:
    """axe-core's violations of the given impacts on the page as it is now, one line each."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not
        # govern (an injected <script> it would refuse).
        page.evaluate(AXE.read_text(encoding="utf-8"))
    results: dict[str, Any] = page.evaluate(
        "async () => await window.axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        f"{rule['id']} ({rule['impact']}): {', '.join(_targets(rule))} - {rule['help']}"
        for rule in results["violations"]
        if rule["impact"] in impacts
    ]


def _targets(rule: dict[str, Any]) -> list[str]:
    return [str(target) for node in rule["nodes"] for target in node["target"]]


@dataclass(frozen=True)
class TabStop:
    description: str
    visible: bool


# The focused element, scrolled into view, described, with its place on the page (not on the screen:
# scrolling must not make one stop look like another); null when focus left the page. Two frames
# later, so that what the screen shows is what the focus looks like.
_FOCUSED = """async () => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    el.scrollIntoView({block: 'center', inline: 'nearest'});
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    const r = el.getBoundingClientRect();
    const name = el.getAttribute('aria-label') || el.getAttribute('name') || (el.textContent || '').trim();
    return {
        description: `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${name.slice(0, 40)}"`,
        x: r.x, y: r.y, width: r.width, height: r.height,
        page_x: r.x + window.scrollX, page_y: r.y + window.scrollY,
    };
}"""
_BLUR = """async () => {
    window.__stop = document.activeElement;
    window.__stop.blur();
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
}"""


def _clip(box: dict[str, float], page: Page) -> dict[str, float]:
    viewport = page.viewport_size or {"width": 1366, "height": 768}
    x = max(0.0, box["x"] - RING_MARGIN)
    y = max(0.0, box["y"] - RING_MARGIN)
    return {
        "x": x,
        "y": y,
        "width": max(1.0, min(viewport["width"] - x, box["width"] + 2 * RING_MARGIN)),
        "height": max(1.0, min(viewport["height"] - y, box["height"] + 2 * RING_MARGIN)),
    }


def tab_stops(page: Page, limit: int = 80) -> list[TabStop]:
    """Press Tab from where focus is until it leaves the page or comes round again (at most `limit`
    stops); for each stop, whether the screen differs with the element focused and with it blurred.
    Carets are hidden and motion reduced first, so that only a focus style can make the difference."""
    page.emulate_media(reduced_motion="reduce")
    page.add_style_tag(content="* { caret-color: transparent !important; }")
    stops: list[TabStop] = []
    seen: set[str] = set()
    for _ in range(limit):
        page.keyboard.press("Tab")
        box = page.evaluate(_FOCUSED)
        if box is None:
            break
        key = f"{box['description']}@{round(box['page_x'])},{round(box['page_y'])}"
        if key in seen:
            break
        seen.add(key)
        clip = _clip(box, page)
        # Transitions finished, not caught half way: the ring as it ends up, and its absence.
        focused = page.screenshot(clip=clip, animations="disabled")
        page.evaluate(_BLUR)
        blurred = page.screenshot(clip=clip, animations="disabled")
        page.evaluate("() => window.__stop.focus()")
        stops.append(TabStop(description=box["description"], visible=focused != blurred))
    return stops
