"""Outbox delivery rate: events/s from PostgreSQL to a receiver on loopback that answers at once, with
1 and 2 worker processes, against a bare httpx POST loop to the same receiver. Prints figures only.

    .venv/bin/python bench/outbox.py [--events 5000]

The receiver is a process of its own that answers every POST 204 on a kept-alive connection. Each run
fills a database of its own with events of distinct cases (whose rows are left out: the envelope reads
its case from the event), then times the workers' rounds (claim with SKIP LOCKED, build the envelopes,
sign, POST, settle) until every event is delivered.
Goals (issue 11): >= 1,000 events/s per worker, and >= 0.5x the bare loop.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import msgspec
import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from backend.coordination.delivery import HttpTransport, deliver_due  # noqa: E402
from backend.db import create_engine, session_factory  # noqa: E402
from backend.migrations import upgrade  # noqa: E402
from backend.settings import load_settings  # noqa: E402
from bench.seed_many import PG_ADMIN_URL, database_url  # noqa: E402

DATABASE = "city_bench_outbox"
CONCURRENCY = 100
ANSWER = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def receive_forever(port: int) -> None:
    """A receiver that reads each request and answers 204 at once, connection kept alive."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ),
                    0,
                )
                await reader.readexactly(length)
                writer.write(ANSWER)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(serve, "127.0.0.1", port, backlog=1024)
        await server.serve_forever()

    asyncio.run(main())


def snapshot(case_id: uuid.UUID, number: int) -> dict[str, object]:
    now = datetime.now(UTC).isoformat()
    return {
        "id": str(case_id),
        "tracking_no": f"20261126{number:05d}",
        "source": "citizen",
        "request_type": "complaint",
        "category_code": None,
        "description": "人行道上的污水井盖松动，踩上去会翻动，很危险。",
        "location": {"lat": 30.2745, "lng": 120.1548, "accuracy_m": 8.0},
        "address": "示范路 12 号门前",
        "grid_code": "330102001002003",
        "status": "submitted",
        "version": 1,
        "department_code": None,
        "deadline_at": None,
        "photo_ids": [],
        "created_at": now,
    }


def fill(events: int) -> str:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{DATABASE}"')
    url = database_url(DATABASE)
    upgrade(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        now = datetime.now(UTC)
        with cursor.copy(
            "COPY outbox_events (event_id, event_type, payload, occurred_at, next_attempt_at, attempts) "
            "FROM STDIN"
        ) as copy:
            for number in range(events):
                payload = {"case": snapshot(uuid.uuid4(), number), "action": "submit"}
                copy.write_row(
                    (uuid.uuid4(), "case.submitted", msgspec.json.encode(payload).decode(), now, now, 0)
                )
    return url


def work(url: str, receiver: str) -> None:
    """One worker process: rounds until a round finds nothing due."""
    settings = load_settings(
        {}, database_url=url.replace("postgresql://", "postgresql+psycopg://", 1), coordination_url=receiver,
        coordination_secret="bench", outbox_batch_size=CONCURRENCY,
    )  # fmt: skip

    async def rounds() -> None:
        engine = create_engine(settings.resolved_database_url)
        sessions = session_factory(engine)
        limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
        async with httpx.AsyncClient(limits=limits) as client:
            transport = HttpTransport(settings, client)
            while await deliver_due(settings, sessions, transport):
                pass
        await engine.dispose()

    asyncio.run(rounds())


def delivered_rate(events: int, workers: int, receiver: str) -> float:
    url = fill(events)
    began = time.perf_counter()
    processes = [multiprocessing.Process(target=work, args=(url, receiver)) for _ in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - began
    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM outbox_events WHERE delivered_at IS NOT NULL"
        ).fetchone()
    assert row is not None and row[0] == events, f"{row} of {events} delivered"
    return events / elapsed


async def bare_rate(events: int, receiver: str) -> float:
    body = msgspec.json.encode({"case": snapshot(uuid.uuid4(), 0)})
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(limits=limits) as client:
        began = time.perf_counter()
        for start in range(0, events, CONCURRENCY):
            batch = range(start, min(events, start + CONCURRENCY))
            await asyncio.gather(*(client.post(receiver, content=body) for _ in batch))
        return events / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    args = parser.parse_args()
    port = free_port()
    receiver = multiprocessing.Process(target=receive_forever, args=(port,), daemon=True)
    receiver.start()
    url = f"http://127.0.0.1:{port}/events"
    time.sleep(0.5)
    try:
        bare = asyncio.run(bare_rate(args.events, url))
        print(f"outbox delivery to a loopback receiver, {args.events} events, batches of {CONCURRENCY}")
        print(f"  bare httpx POST loop   : {bare:8.0f} events/s")
        for workers in (1, 2):
            rate = delivered_rate(args.events, workers, url)
            print(f"  {workers} worker process{'es' if workers > 1 else '  '} : {rate:8.0f} events/s"
                  f"  ({rate / workers:.0f} per worker, {rate / bare:.2f}x bare)")  # fmt: skip
    finally:
        receiver.terminate()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


if __name__ == "__main__":
    main()
