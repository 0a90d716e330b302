"""The worker sends pushes only to public addresses, whatever a name resolves to by then."""

from __future__ import annotations

import tempfile
from pathlib import Path

import aiohttp
import pytest

from backend.notify.addresses import PublicResolver, is_public
from backend.notify.push import Message, PushSender, Verdict, judge, topic
from backend.settings import load_settings


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.0.0.8", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("224.0.0.1", False),
    ],
)
def test_only_global_unicast_addresses_are_public(address: str, public: bool) -> None:
    assert is_public(address) is public


async def test_the_resolver_refuses_a_name_with_no_public_address_and_keeps_public_ones() -> None:
    resolver = PublicResolver()
    try:
        with pytest.raises(OSError):
            await resolver.resolve("localhost", 443)
        [found] = await resolver.resolve("93.184.216.34", 443)
        assert found["host"] == "93.184.216.34"
    finally:
        await resolver.close()


def test_push_service_answers_are_judged_as_rfc_8030_says() -> None:
    assert judge(201, None).verdict is Verdict.DELIVERED
    assert judge(410, None).verdict is Verdict.GONE and judge(404, None).verdict is Verdict.GONE
    busy = judge(429, "120")
    assert busy.verdict is Verdict.RETRY and busy.retry_after == 120
    dated = judge(503, "Wed, 21 Oct 2015 07:28:00 GMT")
    assert dated.verdict is Verdict.RETRY and dated.retry_after == 0, "a date in the past: now"
    assert judge(500, "soon").retry_after is None
    assert judge(413, None).verdict is Verdict.FAILED and judge(403, None).verdict is Verdict.FAILED


def test_a_topic_is_short_url_safe_and_the_same_for_the_same_tag() -> None:
    first = topic("case-4f7c1d9e-8a57-4a55-9d1a-0c1d2e3f4a5b")
    assert len(first) <= 32 and first == topic("case-4f7c1d9e-8a57-4a55-9d1a-0c1d2e3f4a5b")
    assert set(first) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert first != topic("case-other")


async def test_keys_no_browser_would_make_fail_the_push_for_good_without_sending() -> None:
    settings = load_settings({}, data_dir=Path(tempfile.mkdtemp()), secret_key="k" * 32)
    async with aiohttp.ClientSession() as http:
        sender = PushSender(settings, http)
        message = Message("http://127.0.0.1:9/push/x", "A" * 87, "A" * 22, b"{}", 60, "normal", "case-x")
        assert (await sender.send(message)).verdict is Verdict.FAILED
