"""Web Push rate: notifications/s encrypted (aes128gcm), signed (VAPID) and sent by one worker from
PostgreSQL to a push-service stand-in on loopback, against a bare loop of pywebpush calls to the same
stand-in. Prints figures only.

    .venv/bin/python bench/push.py [--notifications 5000] [--subscriptions 500]

The stand-in is a process of its own that answers every POST 201 on a kept-alive connection. The
database holds one owed push per notification, spread over the subscriptions (each with keys of its
own, as browsers make them); the worker's own loop (claim with SKIP LOCKED, render in the device's
language, encrypt, sign, POST, settle) runs until none is owed.
Goals (issue 13): >= 500 notifications/s per worker, and >= 0.7x the bare loop.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import psycopg
from psycopg.types.json import Jsonb
from pywebpush import webpush_async

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from backend.migrations import upgrade  # noqa: E402
from backend.notify.sending import push_forever  # noqa: E402
from backend.notify.vapid import new_private_key  # noqa: E402
from backend.settings import load_settings  # noqa: E402
from bench.outbox import free_port, receive_forever, run_until_done  # noqa: E402
from bench.seed_many import PG_ADMIN_URL, database_url  # noqa: E402
from tests.push_service import Browser  # noqa: E402

DATABASE = "city_bench_push"
ANSWER = b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"
PARAMS = {"tracking_no": "2026112600042", "subject": {"zh-CN": "井盖破损", "en": "Damaged manhole cover"}}


def fill(notifications: int, browsers: list[Browser], endpoint: str) -> str:
    """A database of its own: a user per subscription, and one owed push per notification."""
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{DATABASE}"')
    url = database_url(DATABASE)
    upgrade(url.replace("postgresql://", "postgresql+psycopg://", 1))
    now = datetime.now(UTC)
    users = [uuid.uuid4() for _ in browsers]
    subscriptions = [uuid.uuid4() for _ in browsers]
    origin = endpoint.rsplit("/", 1)[0]
    owed_to = [(uuid.uuid4(), n % len(browsers)) for n in range(notifications)]
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        with cursor.copy("COPY users (id, kind, roles, is_active, created_at) FROM STDIN") as copy:
            for user in users:
                copy.write_row((user, "device", Jsonb(["citizen"]), True, now))
        with cursor.copy(
            "COPY push_subscriptions (id, user_id, endpoint, origin, p256dh, auth, language, created_at)"
            " FROM STDIN"
        ) as copy:
            for i, (sid, user, browser) in enumerate(zip(subscriptions, users, browsers, strict=True)):
                keys = browser.keys()
                language = "zh-CN" if i % 2 else "en"
                copy.write_row(
                    (sid, user, f"{endpoint}/{i}", origin, keys["p256dh"], keys["auth"], language, now)
                )
        with cursor.copy(
            "COPY notifications (id, event_id, user_id, kind, audience, params, created_at) FROM STDIN"
        ) as copy:
            for nid, who in owed_to:
                copy.write_row(
                    (nid, uuid.uuid4(), users[who], "case.accepted", "citizen", Jsonb(PARAMS), now)
                )
        with cursor.copy(
            "COPY push_deliveries (id, notification_id, subscription_id, urgency, ttl_seconds, created_at,"
            " next_attempt_at, attempts) FROM STDIN"
        ) as copy:
            for nid, who in owed_to:
                copy.write_row((uuid.uuid4(), nid, subscriptions[who], "normal", 86400, now, now, 0))
    return url


def owed(url: str) -> int:
    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM push_deliveries WHERE delivered_at IS NULL AND failed_at IS NULL"
        ).fetchone()
    return int(row[0]) if row else 0


def work(url: str, private_key: str) -> None:
    """One worker process: the worker's push loop until nothing is owed."""
    settings = load_settings(
        {},
        database_url=url.replace("postgresql://", "postgresql+psycopg://", 1),
        vapid_private_key=private_key,
        push_allow_private=True,
        push_poll_seconds=0.1,
    )

    asyncio.run(run_until_done(settings, push_forever, lambda: owed(url)))


def worker_rate(notifications: int, browsers: list[Browser], endpoint: str, private_key: str) -> float:
    url = fill(notifications, browsers, endpoint)
    began = time.perf_counter()
    process = multiprocessing.Process(target=work, args=(url, private_key))
    process.start()
    process.join()
    elapsed = time.perf_counter() - began
    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM push_deliveries WHERE delivered_at IS NOT NULL"
        ).fetchone()
    assert row is not None and row[0] == notifications, f"{row} of {notifications} delivered"
    return notifications / elapsed


async def bare_rate(
    notifications: int, browsers: list[Browser], endpoint: str, private_key: str, in_flight: int
) -> float:
    """pywebpush's own webpush_async, `in_flight` at once, a payload of the worker's size."""
    case_id = str(uuid.uuid4())
    message = {
        "id": str(uuid.uuid4()),
        "kind": "case.accepted",
        "title": "Your request was accepted",
        "body": "2026112600042 (Damaged manhole cover) is accepted and goes to the department that fixes it.",
        "url": f"/requests/{case_id}",
        "tag": f"case-{case_id}",
        "case_id": case_id,
        "task_id": None,
    }
    data = json.dumps(message)
    claims = {"sub": "mailto:city-service@example.org"}
    slots = asyncio.Semaphore(in_flight)
    connector = aiohttp.TCPConnector(limit=in_flight)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def push(n: int) -> None:
            browser = browsers[n % len(browsers)]
            info = {"endpoint": f"{endpoint}/{n % len(browsers)}", "keys": browser.keys()}
            async with slots:
                await webpush_async(info, data, private_key, dict(claims), ttl=86400, aiohttp_session=session)

        began = time.perf_counter()
        await asyncio.gather(*(push(n) for n in range(notifications)))
        return notifications / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notifications", type=int, default=5000)
    parser.add_argument("--subscriptions", type=int, default=500)
    args = parser.parse_args()
    port = free_port()
    receiver = multiprocessing.Process(target=receive_forever, args=(port, ANSWER), daemon=True)
    receiver.start()
    endpoint = f"http://127.0.0.1:{port}/push"
    browsers = [Browser() for _ in range(args.subscriptions)]
    private_key = new_private_key()
    in_flight = load_settings({}).push_concurrency
    time.sleep(0.5)
    try:
        print(f"web push to a loopback stand-in: {args.notifications} notifications,", end=" ")
        print(f"{args.subscriptions} subscriptions")
        bare = {}
        for n in (1, in_flight):
            bare[n] = asyncio.run(bare_rate(args.notifications, browsers, endpoint, private_key, n))
            print(f"  {'bare webpush_async loop,':<26}{n:3d} in flight : {bare[n]:6.0f} notifications/s")
        rate = worker_rate(args.notifications, browsers, endpoint, private_key)
        print(f"  {'1 worker process,':<26}{in_flight:3d} in flight : {rate:6.0f} notifications/s"
              f"  ({rate / max(bare.values()):.2f}x the faster bare)")  # fmt: skip
    finally:
        receiver.terminate()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


if __name__ == "__main__":
    main()
