"""Accept-Language negotiation honours q-values: the most wanted supported language wins, q=0 means
"not this one", and anything unusable falls back to zh-CN."""

from __future__ import annotations

import pytest

from backend.i18n import DEFAULT_LOCALE, negotiate

CASES = [
    ("en;q=0.2, zh-CN;q=0.9", "zh-CN"),
    ("zh-CN;q=0.1, en;q=0.8", "en"),
    ("fr, en;q=0.5", "en"),
    ("fr-FR, de;q=0.9, en-GB;q=0.4, zh;q=0.3", "en"),
    ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
    ("zh-TW;q=0.7, en;q=0.6", "zh-CN"),
    ("EN;Q=0.9, zh;q=0.5", "en"),
    ("*", "zh-CN"),
    ("garbage", "zh-CN"),
    (";;;, ,q=,en;q=abc", "zh-CN"),
    ("", "zh-CN"),
    (None, "zh-CN"),
]


@pytest.mark.parametrize(("header", "expected"), CASES, ids=[repr(h) for h, _ in CASES])
def test_negotiate_honours_q_values(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


@pytest.mark.parametrize("header", ["en;q=0", "en;q=0, fr", "en;q=0.0, zh-CN;q=0", "en-GB;q=0"])
def test_q_zero_refuses_a_language(header: str) -> None:
    assert negotiate(header) != "en"
    assert negotiate(header) == DEFAULT_LOCALE
