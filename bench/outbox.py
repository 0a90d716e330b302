"""Outbox delivery rate: events/s from PostgreSQL to a receiver on loopback that answers at once, with
1 and 2 worker processes, against a bare httpx POST loop to the same receiver. Prints figures only.

    .venv/bin/python bench/outbox.py [--events 5000]

The receiver is a process of its own that answers every POST 204 on a kept-alive connection. Each run
fills a database of its own with cases of five events each, then times the worker's own loop (claim
with SKIP LOCKED, build the envelopes, sign, POST, settle; the next claim while a batch is in flight)
until every event is delivered.
Goals (issue 11): >= 1,000 events/s per worker, and >= 0.5x the bare loop. Each is measured with one
POST in flight and with CITY_COORDINATION_CONCURRENCY's default (what a distant platform needs).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from backend.catalog.service import DEMO_GRID_FILE, import_grids  # noqa: E402
from backend.coordination.delivery import deliver_forever  # noqa: E402
from backend.db import create_engine, session_factory  # noqa: E402
from backend.migrations import upgrade  # noqa: E402
from backend.settings import Settings, load_settings  # noqa: E402
from bench.seed_many import PG_ADMIN_URL, database_url  # noqa: E402
from tests.api.outbox_load import owed, seed  # noqa: E402

DATABASE = "city_bench_outbox"
PER_CASE = 5
ANSWER = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def receive_forever(port: int, answer: bytes = ANSWER) -> None:
    """A receiver that reads each request and answers at once (204), connection kept alive."""

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
                writer.write(answer)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(serve, "127.0.0.1", port, backlog=1024)
        await server.serve_forever()

    asyncio.run(main())


def fill(events: int) -> str:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{DATABASE}"')
    url = database_url(DATABASE)
    upgrade(url.replace("postgresql://", "postgresql+psycopg://", 1))
    asyncio.run(load_grids(url))
    seed(url, cases=events // PER_CASE, per_case=PER_CASE)
    return url


async def load_grids(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    async with session_factory(engine)() as session, session.begin():
        await import_grids(session, DEMO_GRID_FILE.read_bytes())
    await engine.dispose()


def work(url: str, receiver: str, concurrency: int) -> None:
    """One worker process: the worker's own loop (pipelined rounds), until nothing is owed."""
    settings = load_settings(
        {}, database_url=url.replace("postgresql://", "postgresql+psycopg://", 1), coordination_url=receiver,
        coordination_secret="bench", outbox_poll_seconds=0.01, coordination_concurrency=concurrency,
    )  # fmt: skip

    asyncio.run(run_until_done(settings, deliver_forever, lambda: owed(url)))


async def run_until_done(
    settings: Settings,
    forever: Callable[[Settings, async_sessionmaker[AsyncSession]], Awaitable[None]],
    remaining: Callable[[], int],
) -> None:
    """A worker loop of the backend, run until nothing is left for it."""
    engine = create_engine(settings.resolved_database_url)
    loop = asyncio.create_task(forever(settings, session_factory(engine)))
    while await asyncio.to_thread(remaining):
        await asyncio.sleep(0.1)
    loop.cancel()
    await asyncio.gather(loop, return_exceptions=True)
    await engine.dispose()


def delivered_rate(events: int, workers: int, receiver: str, concurrency: int) -> float:
    url = fill(events)
    began = time.perf_counter()
    processes = [
        multiprocessing.Process(target=work, args=(url, receiver, concurrency)) for _ in range(workers)
    ]
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


async def bare_rate(events: int, receiver: str, concurrency: int) -> float:
    """A bare httpx POST loop of a typical envelope's size, `concurrency` requests in flight."""
    body = b'{"case": "' + b"x" * 1500 + b'"}'
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    slots = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(limits=limits) as client:

        async def post() -> None:
            async with slots:
                await client.post(receiver, content=body)

        began = time.perf_counter()
        await asyncio.gather(*(post() for _ in range(events)))
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
    default = load_settings({}).coordination_concurrency
    try:
        bare = {n: asyncio.run(bare_rate(args.events, url, n)) for n in (1, default)}
        best = max(bare.values())
        print(f"outbox delivery to a loopback receiver: {args.events} events, {PER_CASE} per case")
        for n, rate in bare.items():
            print(f"  {'bare httpx POST loop,':<28}{n:2d} in flight : {rate:6.0f} events/s")
        for workers, n in ((1, 1), (1, default), (2, default)):
            rate = delivered_rate(args.events, workers, url, n)
            who = f"{workers} worker process{'es' if workers > 1 else ''},"
            print(f"  {who:<28}{n:2d} in flight : {rate:6.0f} events/s"
                  f"  ({rate / workers:.0f} per worker, {rate / best:.2f}x the faster bare)")  # fmt: skip
    finally:
        receiver.terminate()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


if __name__ == "__main__":
    main()
