"""The one set of message catalogs (../i18n/*.json), shared with the PWA."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from backend.settings import REPO_ROOT

LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"
CATALOG_DIR = REPO_ROOT / "i18n"


@cache
def catalog(locale: str) -> dict[str, Any]:
    return json.loads((CATALOG_DIR / f"{locale}.json").read_text(encoding="utf-8"))


def translate(key: str, locale: str, **values: object) -> str:
    """Look up a dotted key; `{name}` placeholders (vue-i18n's named form) are filled from values."""
    node: Any = catalog(locale if locale in LOCALES else DEFAULT_LOCALE)
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return key
        node = node[part]
    if not isinstance(node, str):
        return key
    for name, value in values.items():
        node = node.replace("{" + name + "}", str(value))
    return node


def negotiate(accept_language: str | None) -> str:
    """Pick a supported locale from an Accept-Language header, honouring q-values."""
    if not accept_language:
        return DEFAULT_LOCALE
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(accept_language.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, index, tag.strip().lower()))
    for negative_quality, _, tag in sorted(ranked):
        if negative_quality >= 0:
            break
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LOCALE
