"""Track points stored per second through POST /api/v1/field/shifts/{id}/points in batches of 1,000
on PostgreSQL (the API served by uvicorn, one process), against a bare psycopg executemany of the same
rows; then the desk's map of inspectors (GET /api/v1/staff/inspectors) with 500 inspectors on shift
and a month of their tracks stored. Prints figures only.

    .venv/bin/python bench/track_ingest.py [--points 40000] [--month-points 3600000]

Goals (issue 12): >= 20,000 points/s per process, >= 0.5x the bare executemany; the map's p95 <= 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.create_request import _free_port, _serve, _wait_up  # noqa: E402
from bench.seed_many import PG_ADMIN_URL, database_url  # noqa: E402

DATABASE = "city_bench_track"
BATCH = 1000
WALKERS = 4  # inspectors uploading at once, each to a shift of their own
INSPECTORS = 500
POINT = {"lat": 30.2741, "lng": 120.1551}


def prepare(data_dir: str) -> str:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{DATABASE}"')
    url = database_url(DATABASE)
    env = {
        "CITY_DATABASE_URL": url.replace("postgresql://", "postgresql+psycopg://", 1),
        "CITY_DATA_DIR": data_dir,
    }
    for command in (["migrate"], ["seed-demo"]):
        subprocess.run(
            [sys.executable, "-m", "backend", *command],
            env=env,
            cwd=REPO,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    for index in range(WALKERS):
        subprocess.run(
            [sys.executable, "-m", "backend", "create-user", "--username", f"walker{index}", "--password",
             "walker-password", "--role", "inspector"],
            env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    return url


def batches(start: datetime, points: int) -> list[dict[str, object]]:
    """One walker's points, 5 ms apart (all within the shift's window), cut in batches of 1,000."""
    rows = [
        {
            "at": (start + timedelta(milliseconds=5 * i)).isoformat(),
            "lat": POINT["lat"] + i * 1e-7,
            "lng": POINT["lng"],
            "accuracy_m": 5.0,
            "speed_mps": 1.2,
        }
        for i in range(points)
    ]
    return [{"batch_id": str(uuid.uuid4()), "points": rows[i : i + BATCH]} for i in range(0, points, BATCH)]


async def api_rate(base: str, points: int) -> float:
    per_walker = points // WALKERS
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        walkers = []
        for index in range(WALKERS):
            login = {"username": f"walker{index}", "password": "walker-password"}
            token = (await client.post("/api/v1/auth/login", json=login)).json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            shift = (
                await client.post("/api/v1/field/shifts", json={"location": POINT}, headers=headers)
            ).json()
            start = datetime.now(UTC) - timedelta(seconds=100)
            walkers.append((headers, shift["id"], batches(start, per_walker)))

        async def walk(headers: dict[str, str], shift_id: str, work: list[dict[str, object]]) -> None:
            for batch in work:
                answer = await client.post(
                    f"/api/v1/field/shifts/{shift_id}/points", json=batch, headers=headers
                )
                if answer.status_code != 200 or answer.json()["stored"] != len(batch["points"]):  # type: ignore[arg-type]
                    raise RuntimeError(f"{answer.status_code} {answer.text[:200]}")

        began = time.perf_counter()
        await asyncio.gather(*(walk(*w) for w in walkers))
        return per_walker * WALKERS / (time.perf_counter() - began)


def bare_rate(url: str, points: int) -> float:
    """The same rows, the same batches, straight into a table shaped like track_points."""
    start = datetime.now(UTC)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            "CREATE TABLE bare_points (shift_id uuid, recorded_at timestamptz, lat float8, lng float8, "
            "accuracy_m float8, speed_mps float8, PRIMARY KEY (shift_id, recorded_at))"
        )
        shift = uuid.uuid4()
        rows = [
            (shift, start + timedelta(milliseconds=5 * i), POINT["lat"] + i * 1e-7, POINT["lng"], 5.0, 1.2)
            for i in range(points)
        ]
        began = time.perf_counter()
        with connection.cursor() as cursor:
            for i in range(0, points, BATCH):
                with connection.transaction():
                    cursor.executemany(
                        "INSERT INTO bare_points VALUES (%s, %s, %s, %s, %s, %s)", rows[i : i + BATCH]
                    )
        return points / (time.perf_counter() - began)


def fill_month(url: str, month_points: int) -> None:
    """500 inspectors, each on shift now, and a month of day shifts with their track points."""
    now = datetime.now(UTC)
    per_shift = max(1, month_points // (INSPECTORS * 30))
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        ids = [uuid.uuid4() for _ in range(INSPECTORS)]
        with cursor.copy("COPY users (id, kind, username, roles, is_active, created_at) FROM STDIN") as copy:
            for n, user_id in enumerate(ids):
                copy.write_row((user_id, "staff", f"patrol{n:03d}", '["inspector"]', True, now))
        for day in range(30, -1, -1):
            with cursor.copy(
                "COPY shifts (id, inspector_id, started_at, start_lat, start_lng, ended_at, distance_m, "
                "points, last_point_at, last_lat, last_lng) FROM STDIN"
            ) as shifts:
                day_shifts = []
                for user_id in ids:
                    shift_id, began = uuid.uuid4(), now - timedelta(days=day, hours=8)
                    ended = None if day == 0 else began + timedelta(hours=8)
                    last = began + timedelta(seconds=120 * per_shift)
                    shifts.write_row((shift_id, user_id, began, POINT["lat"], POINT["lng"], ended, 1000.0,
                                      per_shift, last, POINT["lat"], POINT["lng"]))  # fmt: skip
                    day_shifts.append((shift_id, began))
            with cursor.copy("COPY track_points (shift_id, recorded_at, lat, lng) FROM STDIN") as track:
                for shift_id, began in day_shifts:
                    for i in range(per_shift):
                        track.write_row(
                            (shift_id, began + timedelta(seconds=120 * i), POINT["lat"], POINT["lng"])
                        )
        connection.commit()
    # As autovacuum would soon after such a load; done now, so that it does not run during the timing.
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE) users, shifts, track_points")


async def map_p95(base: str, requests: int = 200) -> tuple[float, float, int]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        login = {"username": "dispatcher", "password": "dispatcher-demo"}
        headers = {
            "Authorization": f"Bearer {(await client.post('/api/v1/auth/login', json=login)).json()['token']}"
        }
        shown = len((await client.get("/api/v1/staff/inspectors", headers=headers)).json()["items"])
        times = []
        for _ in range(requests):
            began = time.perf_counter()
            answer = await client.get("/api/v1/staff/inspectors", headers=headers)
            times.append((time.perf_counter() - began) * 1000)
            answer.raise_for_status()
    return statistics.median(times), statistics.quantiles(times, n=20)[18], shown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=40_000)
    parser.add_argument("--month-points", type=int, default=3_600_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        url = prepare(data_dir)
        port = _free_port()
        server = _serve("ours", url.replace("postgresql://", "postgresql+psycopg://", 1), data_dir, port)
        base = f"http://127.0.0.1:{port}"
        try:
            asyncio.run(_wait_up(base))
            ours = asyncio.run(api_rate(base, args.points))
            bare = bare_rate(url, args.points)
            print(
                f"track ingest on PostgreSQL, {args.points} points in batches of {BATCH}, "
                f"{WALKERS} phones at once"
            )
            print(f"  through the API (1 process): {ours:8.0f} points/s  ({ours / bare:.2f}x bare)")
            print(f"  bare executemany           : {bare:8.0f} points/s")
            fill_month(url, args.month_points)
            median, p95, shown = asyncio.run(map_p95(base))
            print(
                f"desk map of inspectors: {shown} listed, "
                f"a month of tracks ({args.month_points} points) stored"
            )
            print(f"  GET /api/v1/staff/inspectors: median {median:.1f} ms, p95 {p95:.1f} ms")
        finally:
            server.terminate()
            server.wait(10)
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


if __name__ == "__main__":
    main()
