"""Requests/s of POST /api/v1/requests against a bare Litestar endpoint doing one INSERT on the same
database, both served the same way (uvicorn, one worker, in a child process). Prints figures only.

    .venv/bin/python bench/create_request.py [--requests 2000] [--concurrency 16] [--postgresql]
        [--worker off|inline] [--rounds 3]

Goal: ours / bare >= 0.6. By default the request path alone, as a city runs it (its workers in
processes of their own); --worker inline is the embedded default, whose worker shares the process
(and, on SQLite, the one connection). On PostgreSQL it also prints how many connections wait on a
lock meanwhile (the day's tracking counter row, mostly).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import msgspec
import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
PG_ADMIN_URL = os.environ.get("CITY_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


class BareBody(msgspec.Struct):
    client_id: uuid.UUID
    description: str
    lat: float
    lng: float


def bare_app(database_url: str):  # noqa: ANN201 - a Litestar app, built in the child process
    """The yardstick: parse a Struct, one INSERT, commit, answer."""
    from litestar import Litestar, post
    from sqlalchemy import text

    from backend.db import create_engine, session_factory

    engine = create_engine(database_url)
    sessions = session_factory(engine)

    @post("/bare", status_code=201)
    async def create(data: BareBody) -> dict[str, str]:
        async with sessions() as session, session.begin():
            await session.execute(
                text("INSERT INTO bench_bare (id, description, lat, lng) VALUES (:id, :d, :lat, :lng)"),
                {"id": str(data.client_id), "d": data.description, "lat": data.lat, "lng": data.lng},
            )
        return {"id": str(data.client_id)}

    return Litestar([create], on_shutdown=[engine.dispose])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(kind: str, database_url: str, data_dir: str, port: int, worker: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CITY_DATABASE_URL": database_url,
        "CITY_DATA_DIR": data_dir,
        "CITY_LOG_LEVEL": "WARNING",
        "CITY_WORKER": worker,
        "PYTHONPATH": str(REPO),
    }
    code = (
        "import sys, uvicorn\n"
        "from bench.create_request import bare_app\n"
        "from backend.app import create_app\n"
        f"app = bare_app({database_url!r}) if {kind!r} == 'bare' else create_app()\n"
        f"uvicorn.run(app, host='127.0.0.1', port={port}, log_level='warning', access_log=False)\n"
    )
    return subprocess.Popen([sys.executable, "-c", code], env=env, cwd=REPO)


async def _wait_up(base: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                await client.get(base + "/healthz")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    raise RuntimeError(f"{base} did not start")


async def _load(url: str, bodies: list[dict], headers: dict[str, str], concurrency: int) -> float:
    queue = iter(bodies)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:

        async def worker() -> None:
            for body in queue:
                response = await client.post(url, json=body, headers=headers)
                if response.status_code != 201:
                    raise RuntimeError(f"{url}: {response.status_code} {response.text[:200]}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return len(bodies) / (time.perf_counter() - started)


async def _lock_waiters(database: str, stop: asyncio.Event) -> float:
    """The mean number of the database's connections waiting on a lock (the day's counter row, mostly),
    sampled every 20 ms while the load runs."""
    samples: list[int] = []
    async with await psycopg.AsyncConnection.connect(PG_ADMIN_URL, autocommit=True) as connection:
        while not stop.is_set():
            row = await (
                await connection.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
                    (database,),
                )
            ).fetchone()
            samples.append(row[0] if row else 0)
            await asyncio.sleep(0.02)
    return sum(samples) / max(1, len(samples))


async def _measure(
    kind: str, database_url: str, data_dir: str, requests: int, concurrency: int, worker: str
) -> tuple[float, float | None]:
    """Requests/s, and on PostgreSQL the mean number of connections waiting on a lock meanwhile."""
    port = _free_port()
    server = _serve(kind, database_url, data_dir, port, worker)
    base = f"http://127.0.0.1:{port}"
    try:
        await _wait_up(base)
        if kind == "bare":
            bodies = [
                {"client_id": str(uuid.uuid4()), "description": "井盖松动", "lat": 30.2741, "lng": 120.1551}
                for _ in range(requests)
            ]
            headers: dict[str, str] = {}
            url = base + "/bare"
        else:
            async with httpx.AsyncClient() as client:
                token = (await client.post(base + "/api/v1/auth/device")).json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            bodies = [
                {
                    "client_id": str(uuid.uuid4()),
                    "type": "complaint",
                    "category_code": "C0101",
                    "description": "井盖松动",
                    "location": {"lat": 30.2741, "lng": 120.1551},
                }
                for _ in range(requests)
            ]
            url = base + "/api/v1/requests"
        await _load(url, bodies[: requests // 10], headers, concurrency)  # warm-up
        if not database_url.startswith("postgresql"):
            return await _load(url, bodies[requests // 10 :], headers, concurrency), None
        stop = asyncio.Event()
        waiters = asyncio.create_task(_lock_waiters(database_url.rsplit("/", 1)[1], stop))
        rate = await _load(url, bodies[requests // 10 :], headers, concurrency)
        stop.set()
        return rate, await waiters
    finally:
        server.terminate()
        server.wait(10)


def _prepare(database_url: str, data_dir: str) -> None:
    env = {**os.environ, "CITY_DATABASE_URL": database_url, "CITY_DATA_DIR": data_dir}
    for command in ("migrate", "seed-demo"):
        subprocess.run(
            [sys.executable, "-m", "backend", command],
            env=env,
            cwd=REPO,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    sync_url = database_url.replace("+aiosqlite", "")
    from sqlalchemy import create_engine, text

    engine = create_engine(sync_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE bench_bare (id VARCHAR(36) PRIMARY KEY, description TEXT, lat FLOAT, lng FLOAT)"
            )
        )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--postgresql", action="store_true", help="run on a temporary PostgreSQL database")
    parser.add_argument("--worker", choices=["off", "inline"], default="off")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        pg_name = f"city_bench_{uuid.uuid4().hex[:8]}"
        if args.postgresql:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{pg_name}"')
            database_url = (
                PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
                + "/"
                + pg_name
            )
        else:
            database_url = f"sqlite+aiosqlite:///{data_dir}/bench.db"
        try:
            _prepare(database_url, data_dir)
            # Alternated, medians kept: the machine's own drift hits both alike.
            runs: dict[str, list[tuple[float, float | None]]] = {"bare": [], "ours": []}
            for round_no in range(args.rounds):
                # Each goes first in turn.
                for kind in sorted(runs, reverse=bool(round_no % 2)):
                    runs[kind].append(
                        asyncio.run(
                            _measure(
                                kind, database_url, data_dir, args.requests, args.concurrency, args.worker
                            )
                        )
                    )
        finally:
            if args.postgresql:
                with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    database = "PostgreSQL" if args.postgresql else "SQLite"
    bare = statistics.median(rate for rate, _ in runs["bare"])
    ours = statistics.median(rate for rate, _ in runs["ours"])
    print(
        f"create_request on {database}, {args.requests} requests, concurrency {args.concurrency}, "
        f"worker {args.worker}, median of {args.rounds} alternated rounds"
    )
    print(f"  bare Litestar + one INSERT : {bare:8.1f} req/s")
    print(f"  POST /api/v1/requests      : {ours:8.1f} req/s")
    print(f"  ratio ours/bare            : {ours / bare:8.2f}  (goal >= 0.6)")
    if args.postgresql:
        waiting = {kind: statistics.mean(w or 0.0 for _, w in figures) for kind, figures in runs.items()}
        print(
            f"  connections waiting on a lock, mean: bare {waiting['bare']:.1f}, ours {waiting['ours']:.1f}"
        )


if __name__ == "__main__":
    main()
