"""The one set of catalogs is complete: both languages have the same keys, and every error code the
API raises, every status and action, and every key the app names has a text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from backend.cases.workflow import EVENT_OF_ACTION, STEPS
from backend.errors import wait_text

REPO = Path(__file__).resolve().parents[2]
CATALOGS = {
    name: json.loads((REPO / "i18n" / f"{name}.json").read_text(encoding="utf-8")) for name in ("zh-CN", "en")
}


def flat(tree: dict, prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in tree.items():
        keys |= flat(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}"}
    return keys


def test_both_languages_have_the_same_keys() -> None:
    zh, en = (flat(CATALOGS[name]) for name in ("zh-CN", "en"))
    assert zh - en == set() and en - zh == set()


def test_every_error_code_raised_has_a_title_and_detail() -> None:
    codes = set()
    for path in (REPO / "backend").rglob("*.py"):
        codes |= set(re.findall(r'ApiError\(\s*\d{3},\s*"([a-z_]+)"', path.read_text(encoding="utf-8")))
    assert len(codes) > 20
    missing = {code for code in codes if f"error.{code}.title" not in flat(CATALOGS["en"])}
    assert not missing


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_every_status_and_action_has_a_name(locale: str) -> None:
    catalog = CATALOGS[locale]
    assert {step.target for step in STEPS.values()} | {"submitted"} <= set(catalog["status"])
    assert set(EVENT_OF_ACTION) <= set(catalog["action"])
    desk_actions = {a for a, step in STEPS.items() if {"dispatcher", "supervisor"} & set(step.roles)}
    assert {f"do_{action}" for action in desk_actions} <= set(catalog["staff"])


def test_every_key_the_app_names_exists() -> None:
    keys = flat(CATALOGS["zh-CN"])
    named: set[str] = set()
    for path in (REPO / "pwa" / "src").rglob("*"):
        if path.suffix in (".vue", ".ts"):
            named |= set(re.findall(r"""\bt\(\s*'([a-z_]+\.[a-z_.]+)'""", path.read_text(encoding="utf-8")))
    assert len(named) > 50
    assert named - keys == set()


@pytest.mark.parametrize(
    ("seconds", "zh", "en"),
    [
        (40, "40 秒", "40 seconds"),
        (60, "约 1 分钟", "about a minute"),
        (3540, "约 59 分钟", "about 59 minutes"),
        (3541, "约 60 分钟", "about 60 minutes"),
        (3600, "约 1 小时", "about an hour"),
        (86400, "约 24 小时", "about 24 hours"),
    ],
)
def test_waits_are_said_in_words(seconds: int, zh: str, en: str) -> None:
    assert (wait_text(seconds, "zh-CN"), wait_text(seconds, "en")) == (zh, en)


def test_the_citizen_app_names_only_the_sections_it_ships() -> None:
    """The phone's script carries only some sections of the catalogs (CITIZEN_SECTIONS in
    pwa/vite.config.ts); a key from another one would show as its own name on the phone."""
    config = (REPO / "pwa" / "vite.config.ts").read_text(encoding="utf-8")
    listed = re.search(r"CITIZEN_SECTIONS = \[([^\]]*)\]", config)
    assert listed is not None
    shipped = set(re.findall(r"'([a-z_]+)'", listed.group(1)))
    assert {"ui", "app"} <= shipped
    named: set[str] = set()
    # The desk (src/staff) and the field app (src/field) load the catalogs' other sections themselves.
    own_catalogs = {"staff", "field"}
    for path in (REPO / "pwa" / "src").rglob("*"):
        if path.suffix in (".vue", ".ts") and not own_catalogs & set(
            path.relative_to(REPO / "pwa" / "src").parts
        ):
            named |= set(re.findall(r"""\bt\(\s*['`]([a-z_]+)\.""", path.read_text(encoding="utf-8")))
    assert named and named <= shipped, named - shipped
