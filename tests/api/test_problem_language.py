"""A problem answer speaks the language the caller ranks highest (Accept-Language q-values), says so in
Content-Language, and falls back to zh-CN."""

from __future__ import annotations

import httpx
import pytest

from backend.i18n import translate

CASES = [
    ("en;q=0.2, zh-CN;q=0.9", "zh-CN"),
    ("zh-CN;q=0.1, en;q=0.8", "en"),
    ("fr, en;q=0.5", "en"),
    ("*", "zh-CN"),
    ("garbage", "zh-CN"),
    ("en;q=0", "zh-CN"),
]


@pytest.mark.parametrize(("header", "expected"), CASES, ids=[h for h, _ in CASES])
async def test_problem_language_follows_q_values(
    client: httpx.AsyncClient, header: str, expected: str
) -> None:
    # The two texts differ, so the answer shows which catalog was used.
    assert translate("error.unauthorized.title", "en") != translate("error.unauthorized.title", "zh-CN")

    response = await client.get("/api/v1/requests", headers={"Accept-Language": header})

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "unauthorized"
    assert response.headers["content-language"] == expected
    assert body["title"] == translate("error.unauthorized.title", expected)
    assert body["detail"] == translate("error.unauthorized.detail", expected)
