"""The inbox and who hears what: each status change reaches the reporter and every follower (merged
duplicates' people too) but not the one who made it; inspectors hear of tasks, roll calls and overdue
tasks; dispatchers of new cases in the grids they chose. Subscriptions: refused unless public https."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from litestar import Litestar
from sqlalchemy import select, update

from backend.accounts.sms import make_sms_sender
from backend.catalog.lookup import CatalogCache
from backend.db import utcnow
from backend.field.models import Task
from backend.field.tasks import announce_overdue
from backend.notify.models import Notification, NotifyEvent, PushSubscription
from backend.notify.vapid import b64url_decode
from backend.settings import Settings, load_settings
from backend.worker import notify_round
from tests.api.conftest import act, advance, device_headers, last_code, staff_headers, submit
from tests.api.notify_helpers import fan_out_all
from tests.api.test_inspectors import clock_in, inspector
from tests.push_service import Browser

INBOX = "/api/v1/notifications"
PUBLIC_ENDPOINT = "https://93.184.216.34/push/abc"


async def inbox(client: httpx.AsyncClient, headers: dict[str, str], **params: str) -> dict:
    answer = await client.get(INBOX, headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def kinds(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    return [item["kind"] for item in (await inbox(client, headers))["items"]]


async def test_the_vapid_public_key_is_a_p256_point_kept_in_the_data_dir(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    answer = await client.get("/api/v1/push/vapid-public-key")
    assert answer.status_code == 200
    key = answer.json()["public_key"]
    point = b64url_decode(key)
    assert len(point) == 65 and point[0] == 4
    assert key == settings.vapid_public_key
    assert (settings.data_dir / "vapid_private_key").read_text().strip() == settings.vapid_private_key
    again = load_settings({}, data_dir=settings.data_dir, secret_key=settings.secret_key)
    assert again.vapid_public_key == key, "the same key after a restart"


REFUSED = [
    ("http://93.184.216.34/push/abc", "not_https"),
    ("https://127.0.0.1/push/abc", "private_address"),
    ("https://10.1.2.3/push/abc", "private_address"),
    ("https://192.168.1.20:8443/push/abc", "private_address"),
    ("https://169.254.169.254/latest", "private_address"),
    ("https://[::1]/push/abc", "private_address"),
    ("https://user:pw@93.184.216.34/push", "not_a_url"),
    ("ftp://93.184.216.34/push", "not_a_url"),
]


async def test_a_subscription_that_is_not_public_https_is_refused_and_nothing_stored(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    device = await device_headers(client)
    for endpoint, reason in REFUSED:
        answer = await client.post(
            "/api/v1/push/subscriptions",
            json=Browser().subscription(endpoint),
            headers={**device, "Accept-Language": "en"},
        )
        assert answer.status_code == 422, (endpoint, answer.text)
        problem = answer.json()
        assert problem["code"] == "push_endpoint_refused" and reason in problem["detail"], endpoint
    async with app.state.sessionmaker() as session:
        assert list(await session.scalars(select(PushSubscription.id))) == []


async def test_subscriptions_are_per_browser_several_per_person_and_only_their_owner_removes_them(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    anonymous = await client.post("/api/v1/push/subscriptions", json=Browser().subscription(PUBLIC_ENDPOINT))
    assert anonymous.status_code == 401
    bad_keys = Browser().subscription(PUBLIC_ENDPOINT) | {"keys": {"p256dh": "not base64!", "auth": "x"}}
    device = await device_headers(client)
    assert (await client.post("/api/v1/push/subscriptions", json=bad_keys, headers=device)).status_code == 422
    good = Browser().keys()
    for keys in ({**good, "p256dh": "A" * 87}, {**good, "auth": "A" * 24}):
        body = Browser().subscription(PUBLIC_ENDPOINT) | {"keys": keys}
        refused = await client.post("/api/v1/push/subscriptions", json=body, headers=device)
        assert refused.status_code == 422 and refused.json()["code"] == "push_keys_invalid", keys
    broken_port = Browser().subscription("https://93.184.216.34:99999/push")
    refused = await client.post("/api/v1/push/subscriptions", json=broken_port, headers=device)
    assert refused.status_code == 422 and refused.json()["code"] == "push_endpoint_refused"

    phone, laptop = Browser(), Browser()
    first = await client.post(
        "/api/v1/push/subscriptions", json=phone.subscription(PUBLIC_ENDPOINT), headers=device
    )
    assert first.status_code == 201
    again = await client.post(
        "/api/v1/push/subscriptions", json=phone.subscription(PUBLIC_ENDPOINT, "en"), headers=device
    )
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    second = await client.post(
        "/api/v1/push/subscriptions", json=laptop.subscription(PUBLIC_ENDPOINT + "2"), headers=device
    )
    assert second.status_code == 201

    stranger = await device_headers(client)
    gone = await client.delete(
        "/api/v1/push/subscriptions", params={"endpoint": PUBLIC_ENDPOINT}, headers=stranger
    )
    assert gone.status_code == 204
    async with app.state.sessionmaker() as session:
        stored = {s.endpoint: s.language for s in await session.scalars(select(PushSubscription))}
    assert stored == {PUBLIC_ENDPOINT: "en", PUBLIC_ENDPOINT + "2": "zh-CN"}, "a stranger removes nothing"

    # Another face of the app on the same browser (an inspector is a citizen too) subscribes as itself.
    shared = await client.post(
        "/api/v1/push/subscriptions", json=phone.subscription(PUBLIC_ENDPOINT), headers=stranger
    )
    assert shared.status_code == 201 and shared.json()["id"] != first.json()["id"]
    mine = await client.delete(
        "/api/v1/push/subscriptions", params={"endpoint": PUBLIC_ENDPOINT}, headers=device
    )
    assert mine.status_code == 204
    async with app.state.sessionmaker() as session:
        left = sorted(s.endpoint for s in await session.scalars(select(PushSubscription)))
    assert left == [PUBLIC_ENDPOINT, PUBLIC_ENDPOINT + "2"], "the other person's stays"


async def test_the_reporter_and_followers_hear_each_step_in_their_language_but_not_whoever_took_it(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    reporter, follower = await device_headers(client), await device_headers(client)
    case = await submit(client, reporter)
    followed = await client.post(f"/api/v1/requests/{case['id']}/follow", headers=follower)
    assert followed.status_code in (200, 201), followed.text
    desk = await staff_headers(app, "dispatcher")
    await advance(
        client,
        desk,
        case["id"],
        [
            ("accept", {}),
            ("dispatch", {"department_code": "SZ-MUNI"}),
            ("start", {}),
            ("handle", {"public_message": "已更换井盖"}),
        ],
    )
    await advance(client, desk, case["id"], [("check_pass", {"public_message": "已更换新井盖"})])
    await fan_out_all(app)

    expected = ["case.closed", "case.handled", "case.dispatched", "case.accepted"]
    assert await kinds(client, reporter) == expected, "started is no news to them"
    assert await kinds(client, follower) == expected
    assert await kinds(client, desk) == [], "the dispatcher took the steps and asked for no news"

    english = await inbox(client, {**reporter, "Accept-Language": "en"})
    closed = english["items"][0]
    assert closed["title"] == "Your request is closed"
    assert case["tracking_no"] in closed["body"] and "已更换新井盖" in closed["body"]
    assert closed["url"] == f"/requests/{case['id']}" and closed["case_id"] == case["id"]
    assert english["unread"] == 4
    chinese = await inbox(client, reporter)
    assert chinese["items"][0]["title"] == "您的诉求已办结"


async def test_a_merged_duplicates_reporter_and_followers_hear_of_the_merge_and_of_the_original(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    first, second, watcher = [await device_headers(client) for _ in range(3)]
    original = await submit(client, first)
    duplicate = await submit(client, second)
    await client.post(f"/api/v1/requests/{duplicate['id']}/follow", headers=watcher)
    desk = await staff_headers(app, "dispatcher")
    merged = await act(client, desk, duplicate["id"], "merge", 1, target_id=original["id"])
    assert merged.status_code == 200, merged.text
    await act(client, desk, original["id"], "accept", 1)
    await fan_out_all(app)

    for headers in (second, watcher):
        items = (await inbox(client, headers))["items"]
        assert [(i["kind"], i["case_id"]) for i in items] == [
            ("case.accepted", original["id"]),
            ("case.merged", duplicate["id"]),
        ]
    assert await kinds(client, first) == ["case.accepted"]


async def test_the_inbox_pages_newest_first_and_marks_read_only_the_callers_own(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    reporter, other = await device_headers(client), await device_headers(client)
    desk = await staff_headers(app, "dispatcher")
    for _ in range(5):
        case = await submit(client, reporter)
        await act(client, desk, case["id"], "accept", 1)
    theirs = await submit(client, other)
    await act(client, desk, theirs["id"], "accept", 1)
    await fan_out_all(app)

    first = await inbox(client, reporter, limit="2")
    second = await inbox(client, reporter, limit="2", cursor=first["next_cursor"])
    third = await inbox(client, reporter, limit="2", cursor=second["next_cursor"])
    pages = first["items"] + second["items"] + third["items"]
    assert len(pages) == 5 and third["next_cursor"] is None
    assert [p["created_at"] for p in pages] == sorted((p["created_at"] for p in pages), reverse=True)
    assert first["unread"] == 5
    bad = await client.get(INBOX, headers=reporter, params={"cursor": "nonsense"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_cursor"

    their_id = (await inbox(client, other))["items"][0]["id"]
    read = await client.post(
        f"{INBOX}/read", json={"ids": [pages[0]["id"], pages[1]["id"], their_id]}, headers=reporter
    )
    assert read.status_code == 200 and read.json() == {"unread": 3}
    assert (await inbox(client, other))["unread"] == 1, "someone else's message stays unread"
    assert (await inbox(client, reporter))["items"][0]["read_at"] is not None
    everything = await client.post(f"{INBOX}/read", json={"all": True}, headers=reporter)
    assert everything.json() == {"unread": 0}
    empty = await client.post(f"{INBOX}/read", json={}, headers=reporter)
    assert empty.status_code == 422


async def test_inspectors_hear_of_their_tasks_roll_calls_and_overdue_tasks_once(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    desk = await staff_headers(app, "dispatcher")
    headers, inspector_id = await inspector(app, "insp-notify")
    await clock_in(client, headers)
    case = await submit(client, await device_headers(client))
    task = await client.post(f"/api/v1/staff/cases/{case['id']}/tasks", json={"kind": "verify"}, headers=desk)
    assert task.status_code == 201, task.text
    called = await client.post(
        "/api/v1/staff/roll-calls", json={"inspector_id": str(inspector_id)}, headers=desk
    )
    assert called.status_code == 201
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(update(Task).values(due_at=utcnow() - timedelta(minutes=1)))

    async def overdue_round() -> int:
        async with app.state.sessionmaker() as session, session.begin():
            return await announce_overdue(session, utcnow())

    told = await asyncio.gather(overdue_round(), overdue_round())
    assert sorted(told) == [0, 1], "two workers at once tell the inspector once"
    assert await overdue_round() == 0
    # The worker's own round, from a cold start (its catalog not loaded yet).
    settings: Settings = app.state.settings
    await notify_round(settings, app.state.sessionmaker, CatalogCache(60), make_sms_sender(settings))

    items = (await inbox(client, {**headers, "Accept-Language": "en"}))["items"]
    by_kind = {item["kind"]: item for item in items}
    assert sorted(by_kind) == ["roll_call.sent", "task.assigned", "task.overdue"] and len(items) == 3
    task_id = task.json()["id"]
    assert by_kind["task.assigned"]["url"] == f"/field/tasks/{task_id}"
    assert by_kind["task.assigned"]["title"] == "New task: verify"
    assert by_kind["task.overdue"]["task_id"] == task_id
    assert by_kind["roll_call.sent"]["url"] == "/field"


async def test_dispatchers_hear_of_new_cases_only_in_the_grids_they_chose(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    everywhere = await staff_headers(app, "dispatcher")
    elsewhere = await staff_headers(app, "supervisor")
    silent = await staff_headers(app, "dispatcher")
    inspector_only = await staff_headers(app, "inspector")
    assert (await client.get(f"{INBOX}/preferences", headers=everywhere)).json() == {
        "new_cases": False,
        "grid_codes": [],
    }
    chosen = await client.put(f"{INBOX}/preferences", json={"new_cases": True}, headers=everywhere)
    assert chosen.status_code == 200 and chosen.json() == {"new_cases": True, "grid_codes": []}
    unknown = await client.put(
        f"{INBOX}/preferences", json={"new_cases": True, "grid_codes": ["NOPE"]}, headers=elsewhere
    )
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_grid"
    denied = await client.put(f"{INBOX}/preferences", json={"new_cases": True}, headers=inspector_only)
    assert denied.status_code == 403

    case = await submit(client, await device_headers(client))
    async with app.state.sessionmaker() as session:
        grids = await app.state.catalog.snapshot(session)
    other_grid = next(g.code for g in grids.grids if g.code != case["grid_code"])
    await client.put(
        f"{INBOX}/preferences", json={"new_cases": True, "grid_codes": [other_grid]}, headers=elsewhere
    )
    await client.put(f"{INBOX}/preferences", json={"new_cases": False}, headers=silent)
    second = await submit(client, await device_headers(client))
    await fan_out_all(app)

    items = (await inbox(client, everywhere))["items"]
    assert [i["case_id"] for i in items] == [second["id"], case["id"]]
    assert items[0]["url"] == f"/staff/cases/{second['id']}" and second["tracking_no"] in items[0]["body"]
    assert await kinds(client, elsewhere) == []
    assert await kinds(client, silent) == []


async def test_an_event_fanned_out_twice_at_once_gives_one_message(
    client: httpx.AsyncClient, app: Litestar, database_url: str
) -> None:
    reporter = await device_headers(client)
    desk = await staff_headers(app, "dispatcher")
    for _ in range(3):
        case = await submit(client, reporter)
        await act(client, desk, case["id"], "accept", 1)
    await asyncio.gather(fan_out_all(app), fan_out_all(app))
    async with app.state.sessionmaker() as session:
        messages = list(await session.scalars(select(Notification.event_id)))
        pending = list(
            await session.scalars(select(NotifyEvent.id).where(NotifyEvent.fanned_out_at.is_(None)))
        )
    assert len(messages) == 3 == len(set(messages)) and pending == []


async def test_signing_in_with_a_phone_keeps_the_devices_inbox_and_subscriptions(
    client: httpx.AsyncClient, app: Litestar, settings: Settings
) -> None:
    device = await device_headers(client)
    await client.post(
        "/api/v1/push/subscriptions", json=Browser().subscription(PUBLIC_ENDPOINT), headers=device
    )
    case = await submit(client, device)
    await act(client, await staff_headers(app, "dispatcher"), case["id"], "accept", 1)
    await fan_out_all(app)

    await client.post("/api/v1/auth/otp", json={"phone": "13700004001"})
    verified = await client.post(
        "/api/v1/auth/otp/verify",
        json={"phone": "13700004001", "code": last_code(settings, "13700004001")},
        headers=device,
    )
    citizen = {"Authorization": f"Bearer {verified.json()['token']}"}
    assert [i["case_id"] for i in (await inbox(client, citizen))["items"]] == [case["id"]]
    async with app.state.sessionmaker() as session:
        owner = await session.scalar(select(PushSubscription.user_id))
    assert str(owner) == verified.json()["user_id"]


async def test_a_person_keeps_their_ten_newest_browsers(client: httpx.AsyncClient, app: Litestar) -> None:
    device = await device_headers(client)
    for n in range(11):
        answer = await client.post(
            "/api/v1/push/subscriptions",
            json=Browser().subscription(f"{PUBLIC_ENDPOINT}/{n}"),
            headers=device,
        )
        assert answer.status_code == 201
    async with app.state.sessionmaker() as session:
        kept = set(await session.scalars(select(PushSubscription.endpoint)))
    assert len(kept) == 10 and f"{PUBLIC_ENDPOINT}/0" not in kept and f"{PUBLIC_ENDPOINT}/10" in kept
