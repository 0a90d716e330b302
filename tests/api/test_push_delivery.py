"""Web Push from outbox rows to a push service: what arrives is signed (VAPID) and encrypted
(aes128gcm) for the browser, speaks the subscriber's language, holds nothing personal, and the
service's answers are honoured (410 removes, 503 with Retry-After retries, a slow one holds no other)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest
from litestar import Litestar
from sqlalchemy import select, update

from backend.db import utcnow
from backend.notify.models import PushDelivery, PushSubscription, SmsOutcome
from backend.settings import Settings
from tests.api.conftest import act, device_headers, sms_codes, staff_headers, submit
from tests.api.notify_helpers import fan_out_all, phone_citizen, push_all, send_sms
from tests.push_service import Browser, PushService, Reply, vapid_claims

PHONE = "13700001111"
CONTACT = "13912345678"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The stand-in listens on loopback over http; retries come quickly.
    return msgspec.structs.replace(
        settings,
        push_allow_private=True,
        push_retry_base_seconds=0.2,
        push_retry_cap_seconds=0.5,
        sms_outcome_wait_seconds=0,
    )


@pytest.fixture
async def service() -> AsyncIterator[PushService]:
    async with PushService() as running:
        yield running


async def subscribe(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    browser: Browser,
    endpoint: str,
    language: str = "zh-CN",
) -> None:
    response = await client.post(
        "/api/v1/push/subscriptions", json=browser.subscription(endpoint, language), headers=headers
    )
    assert response.status_code == 201, response.text


async def reported_and_accepted(
    client: httpx.AsyncClient, app: Litestar, citizen: dict[str, str]
) -> dict[str, object]:
    case = await submit(client, citizen, description="井盖破损", contact_phone=CONTACT)
    desk = await staff_headers(app, "dispatcher")
    accepted = await act(client, desk, case["id"], "accept", 1)
    assert accepted.status_code == 200, accepted.text
    return case


async def test_a_status_change_arrives_signed_encrypted_and_in_the_subscribers_language(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, service: PushService
) -> None:
    citizen = await phone_citizen(client, settings, PHONE)
    chinese, english = Browser(), Browser()
    await subscribe(client, citizen, chinese, service.endpoint("zh"))
    await subscribe(client, citizen, english, service.endpoint("en"), "en")
    case = await reported_and_accepted(client, app, citizen)

    await fan_out_all(app)
    await push_all(app)

    [zh], [en] = service.received["zh"], service.received["en"]
    for message in (zh, en):
        claims = vapid_claims(message.headers["Authorization"], audience=service.origin)
        assert claims["sub"] == settings.vapid_subject
        assert time.time() < claims["exp"] <= time.time() + 24 * 3600
        assert message.headers["Authorization"].endswith("k=" + settings.vapid_public_key)
        assert message.headers["Content-Encoding"] == "aes128gcm"
        assert message.headers["TTL"] == str(settings.push_ttl_case_seconds)
        assert message.headers["Urgency"] == "normal"
        assert len(message.headers["Topic"]) <= 32
    zh_payload = msgspec.json.decode(chinese.decrypt(zh.body))
    en_payload = msgspec.json.decode(english.decrypt(en.body))
    assert zh_payload["title"] == "您的诉求已立案"
    assert en_payload["title"] == "Your request was accepted"
    for payload in (zh_payload, en_payload):
        assert case["tracking_no"] in payload["body"]
        assert payload["url"] == f"/requests/{case['id']}"
        assert payload["tag"] == f"case-{case['id']}"
        assert payload["case_id"] == case["id"] and payload["kind"] == "case.accepted"
    for body in (chinese.decrypt(zh.body), english.decrypt(en.body)):
        text = body.decode()
        assert PHONE not in text and CONTACT not in text and "井盖破损" not in text
    async with app.state.sessionmaker() as session:
        delivered = list(await session.scalars(select(PushDelivery.delivered_at)))
    assert len(delivered) == 2 and all(delivered)


async def test_gone_410_removes_the_subscription(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, service: PushService
) -> None:
    citizen = await phone_citizen(client, settings, PHONE)
    old = Browser()
    await subscribe(client, citizen, old, service.endpoint("old"))
    await subscribe(client, citizen, Browser(), service.endpoint("new"))
    # The same browser carries a second person (another face of the app): the endpoint is dead for both.
    await subscribe(client, await device_headers(client), old, service.endpoint("old"))
    service.answer("old", Reply(410))
    await reported_and_accepted(client, app, citizen)

    await fan_out_all(app)
    await push_all(app)

    assert len(service.received["old"]) == 1 and len(service.received["new"]) == 1
    async with app.state.sessionmaker() as session:
        endpoints = list(await session.scalars(select(PushSubscription.endpoint)))
        owed = list(await session.scalars(select(PushDelivery.id).where(PushDelivery.delivered_at.is_(None))))
    assert endpoints == [service.endpoint("new")]
    assert owed == []


async def test_503_with_retry_after_then_201_delivers_once(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, service: PushService
) -> None:
    citizen = await phone_citizen(client, settings, PHONE)
    browser = Browser()
    await subscribe(client, citizen, browser, service.endpoint("busy"))
    service.answer("busy", Reply(503, retry_after="1"))
    await reported_and_accepted(client, app, citizen)
    await fan_out_all(app)

    await push_all(app)
    assert len(service.received["busy"]) == 1
    async with app.state.sessionmaker() as session:
        first = await session.scalar(select(PushDelivery))
        assert first is not None and first.delivered_at is None and first.last_status == 503
        # The service's Retry-After (1 s) is longer than our own backoff here (at most 0.5 s).
        assert (first.next_attempt_at - utcnow()).total_seconds() >= 0.8

    await push_all(app)
    assert len(service.received["busy"]) == 1, "not before Retry-After"
    await asyncio.sleep((first.next_attempt_at - utcnow()).total_seconds() + 0.05)
    await push_all(app)

    [once, twice] = service.received["busy"]
    assert twice.at - once.at >= 0.9
    assert browser.decrypt(once.body) != b"" and browser.decrypt(twice.body) != b""
    async with app.state.sessionmaker() as session:
        delivery = await session.scalar(select(PushDelivery))
    assert delivery is not None and delivery.delivered_at is not None and delivery.attempts == 2


async def test_a_slow_push_service_holds_no_other_deliveries(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, service: PushService
) -> None:
    async with PushService() as slow:
        people = []
        for index in range(4):
            citizen = await phone_citizen(client, settings, f"1370000{index:04d}")
            await subscribe(client, citizen, Browser(), slow.endpoint(f"s{index}"))
            await subscribe(client, citizen, Browser(), service.endpoint(f"f{index}"))
            slow.answer(f"s{index}", then=Reply(201, delay=2.0))
            people.append(citizen)
        for citizen in people:
            await reported_and_accepted(client, app, citizen)
        await fan_out_all(app)

        quick = msgspec.structs.replace(settings, push_concurrency=8, push_per_service=2)
        started = time.monotonic()
        sending = asyncio.create_task(push_all(app, quick))
        while sum(len(v) for v in service.received.values()) < 4 and time.monotonic() - started < 5:
            await asyncio.sleep(0.05)
        fast_done = time.monotonic() - started
        await sending

    assert sum(len(v) for v in service.received.values()) == 4
    # Four slow answers two at a time take 4 s; the quick service's four were all in at once.
    assert fast_done < 1.5, fast_done
    assert sum(len(v) for v in slow.received.values()) == 4


def outcome_texts(settings: Settings, phone: str) -> list[str]:
    """The outcome SMS sent to a phone (the sign-in codes went to the same file)."""
    return [m["text"] for m in sms_codes(settings) if m["to"] == phone and "验证码" not in m["text"]]


async def rejected(client: httpx.AsyncClient, app: Litestar, reporter: dict[str, str]) -> dict[str, object]:
    case = await submit(client, reporter)
    desk = await staff_headers(app, "dispatcher")
    answer = await act(client, desk, case["id"], "reject", 1, public_message="不属于城市管理范围")
    assert answer.status_code == 200, answer.text
    return case


async def test_the_outcome_sms_goes_once_and_only_where_no_push_reached_the_reporter(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, service: PushService
) -> None:
    unsubscribed = await phone_citizen(client, settings, "13700002001")
    reached = await phone_citizen(client, settings, "13700002002")
    gone = await phone_citizen(client, settings, "13700002003")
    await subscribe(client, reached, Browser(), service.endpoint("reached"))
    await subscribe(client, gone, Browser(), service.endpoint("gone"))
    service.answer("gone", Reply(410))
    anonymous = await device_headers(client)
    follower = await phone_citizen(client, settings, "13700002004")

    silent = await rejected(client, app, unsubscribed)
    await client.post(f"/api/v1/requests/{silent['id']}/follow", headers=follower)
    await rejected(client, app, reached)
    lost = await rejected(client, app, gone)
    await rejected(client, app, anonymous)
    await fan_out_all(app)
    await push_all(app)
    assert await send_sms(app) == 2
    assert await send_sms(app) == 0, "never twice"

    [text] = outcome_texts(settings, "13700002001")
    assert silent["tracking_no"] in text and "不属于城市管理范围" in text
    [lost_text] = outcome_texts(settings, "13700002003")
    assert lost["tracking_no"] in lost_text
    assert outcome_texts(settings, "13700002002") == [], "the push reached them"
    assert outcome_texts(settings, "13700002004") == [], "a follower did not report it"
    async with app.state.sessionmaker() as session:
        states = sorted((s.state, s.reason) for s in await session.scalars(select(SmsOutcome)))
    assert states == [("sent", None), ("sent", None), ("skipped", "push_delivered")]


async def test_the_outcome_sms_waits_for_a_push_still_being_tried_and_is_limited_per_phone(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, service: PushService
) -> None:
    citizen = await phone_citizen(client, settings, "13700003001")
    await subscribe(client, citizen, Browser(), service.endpoint("down"))
    service.answer("down", then=Reply(503))
    await rejected(client, app, citizen)
    await fan_out_all(app)
    await push_all(app)
    assert await send_sms(app) == 0, "the push is still being retried"

    limited = msgspec.structs.replace(
        settings, sms_outcome_max_wait_seconds=0, sms_outcome_per_phone_per_day=1
    )
    app.state.settings = limited
    await rejected(client, app, citizen)
    await fan_out_all(app)
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(update(SmsOutcome).values(due_at=utcnow()))
    assert await send_sms(app) == 1, "the push had its time; one a day to this phone"
    assert len(outcome_texts(settings, "13700003001")) == 1
    async with app.state.sessionmaker() as session:
        reasons = sorted(str(s.reason) for s in await session.scalars(select(SmsOutcome)))
    assert reasons == ["None", "rate_limited"]
