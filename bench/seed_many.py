"""Fill a PostgreSQL database of its own with a year of cases over a city, for bench/triage.py.

    .venv/bin/python bench/seed_many.py [--cases 1000000] [--database city_bench] [--if-missing]

The city is 30 km x 30 km around Hangzhou, cut into 900 square unit grids of 1 km; a third of the
cases fall around twenty hot spots (markets, stations), the rest anywhere. Statuses follow a
working city's mix: most cases closed, a few thousand waiting for triage. Rows go in with COPY.
Prints what it made and how long it took.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from backend.cases import tally  # noqa: E402
from backend.catalog.service import DEFAULT_CATEGORY_FILE, import_grids, load_categories  # noqa: E402
from backend.db import create_engine, session_factory  # noqa: E402
from backend.departments.service import DEMO_DEPARTMENT_FILE, load_departments  # noqa: E402
from backend.migrations import upgrade  # noqa: E402

PG_ADMIN_URL = os.environ.get("CITY_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
CENTER = (30.27, 120.15)
SIDE_KM = 30
KM_LAT = 1 / 110.574
KM_LNG = 1 / (111.320 * math.cos(math.radians(CENTER[0])))
SOUTH = CENTER[0] - SIDE_KM / 2 * KM_LAT
WEST = CENTER[1] - SIDE_KM / 2 * KM_LNG
STATUS_MIX = (
    ("closed", 0.70),
    ("submitted", 0.05),
    ("accepted", 0.05),
    ("dispatched", 0.08),
    ("in_progress", 0.04),
    ("handled", 0.03),
    ("rejected", 0.03),
    ("merged", 0.02),
)
COLUMNS = (
    "id", "tracking_no", "client_id", "source", "request_type", "category_code", "description", "lat", "lng",
    "accuracy_m", "grid_code", "status", "version", "reporter_id", "department_code", "deadline_at",
    "accepted_at", "dispatched_at", "handled_at", "closed_at", "rework_count", "rating_score", "created_at",
    "updated_at",
)  # fmt: skip


def database_url(name: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def grid_code(row: int, col: int) -> str:
    return f"330100{row:03d}{col:03d}001"


def grid_file() -> bytes:
    features = []
    for row in range(SIDE_KM):
        for col in range(SIDE_KM):
            s, w = SOUTH + row * KM_LAT, WEST + col * KM_LNG
            ring = [[w, s], [w + KM_LNG, s], [w + KM_LNG, s + KM_LAT], [w, s + KM_LAT], [w, s]]
            features.append(
                {
                    "type": "Feature",
                    "properties": {"code": grid_code(row, col), "name": f"基准网格 {row:02d}-{col:02d}"},
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                }
            )
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


async def load_reference_data(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    async with session_factory(engine)() as session, session.begin():
        await load_categories(session, DEFAULT_CATEGORY_FILE.read_bytes())
        await load_departments(session, DEMO_DEPARTMENT_FILE.read_bytes())
        await import_grids(session, grid_file())
    await engine.dispose()


async def recount(url: str) -> None:
    """The kept counts, counted from the cases COPY wrote around the workflow."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    async with session_factory(engine)() as session, session.begin():
        await tally.recount(session)
    await engine.dispose()


def point(rng: random.Random, hotspots: list[tuple[float, float]]) -> tuple[float, float]:
    if hotspots and rng.random() < 0.33:
        lat, lng = rng.choice(hotspots)
        lat, lng = rng.gauss(lat, 0.4 * KM_LAT), rng.gauss(lng, 0.4 * KM_LNG)
    else:
        lat, lng = SOUTH + rng.random() * SIDE_KM * KM_LAT, WEST + rng.random() * SIDE_KM * KM_LNG
    lat = min(max(lat, SOUTH + 1e-6), SOUTH + SIDE_KM * KM_LAT - 1e-6)
    lng = min(max(lng, WEST + 1e-6), WEST + SIDE_KM * KM_LNG - 1e-6)
    return lat, lng


def rows(  # noqa: ANN201 - a generator of tuples
    count: int, reporters: list[uuid.UUID], categories: list[tuple[str, int]], seed: int = 7
):
    rng = random.Random(seed)
    departments = [d["code"] for d in json.loads(DEMO_DEPARTMENT_FILE.read_text(encoding="utf-8"))]
    statuses = [s for s, _ in STATUS_MIX]
    weights = [w for _, w in STATUS_MIX]
    hotspots = [point(rng, []) for _ in range(20)]
    now = datetime.now(UTC)
    start = now - timedelta(days=365)
    moments = sorted(start + timedelta(seconds=rng.random() * 365 * 86400) for _ in range(count))
    per_day: dict[str, int] = {}
    for created_at in moments:
        day = (created_at + timedelta(hours=8)).strftime("%Y%m%d")
        per_day[day] = per_day.get(day, 0) + 1
        status = rng.choices(statuses, weights)[0]
        category, hours = rng.choice(categories)
        lat, lng = point(rng, hotspots)
        row_index = int((lat - SOUTH) / KM_LAT)
        col_index = int((lng - WEST) / KM_LNG)
        accepted = created_at + timedelta(minutes=rng.randint(5, 240))
        dispatched = accepted + timedelta(minutes=rng.randint(5, 120))
        deadline = dispatched + timedelta(hours=hours)
        handled = dispatched + timedelta(hours=rng.uniform(0.2, hours * 1.3))
        closed = handled + timedelta(hours=rng.uniform(0.5, 24))
        reached = statuses.index(status)
        owed = status in ("dispatched", "in_progress", "handled", "closed")
        yield (
            uuid.uuid4(),
            f"{day}{per_day[day]:05d}",
            uuid.uuid4(),
            "citizen" if rng.random() < 0.6 else "inspector",
            "complaint",
            category,
            "基准测试案件：井盖松动、垃圾堆放或路灯不亮。",
            lat,
            lng,
            rng.uniform(3, 30),
            grid_code(row_index, col_index),
            status,
            1 + reached,
            rng.choice(reporters),
            rng.choice(departments) if owed else None,
            deadline if owed else None,
            accepted if status not in ("submitted", "rejected", "merged") else None,
            dispatched if owed else None,
            handled if status in ("handled", "closed") else None,
            closed if status == "closed" else None,
            1 if status == "closed" and rng.random() < 0.06 else 0,
            rng.choice((3, 4, 4, 5, 5, 5)) if status == "closed" and rng.random() < 0.3 else None,
            created_at,
            closed if status == "closed" else created_at,
        )


def existing_cases(name: str) -> int:
    try:
        with psycopg.connect(database_url(name)) as connection:
            return connection.execute("SELECT count(*) FROM cases").fetchone()[0]  # type: ignore[index]
    except psycopg.Error:
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--database", default="city_bench")
    parser.add_argument(
        "--if-missing", action="store_true", help="keep a database that has the cases already"
    )
    args = parser.parse_args()
    if args.if_missing and existing_cases(args.database) >= args.cases:
        print(f"{args.database} already holds {args.cases:,} cases or more: kept")
        return
    began = time.perf_counter()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{args.database}"')
    url = database_url(args.database)
    upgrade(url.replace("postgresql://", "postgresql+psycopg://", 1))
    asyncio.run(load_reference_data(url))

    with psycopg.connect(url) as connection:
        categories = connection.execute(
            "SELECT code, deadline_hours FROM categories WHERE parent_code IS NOT NULL AND active"
        ).fetchall()
        reporters = [uuid.uuid4() for _ in range(max(1, args.cases // 50))]
        with connection.cursor().copy(
            "COPY users (id, kind, roles, is_active, created_at) FROM STDIN"
        ) as copy:
            for reporter in reporters:
                copy.write_row((reporter, "device", "[]", True, datetime.now(UTC)))
        with connection.cursor().copy(f"COPY cases ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows(args.cases, reporters, categories):
                copy.write_row(row)
        connection.commit()
    asyncio.run(recount(url))
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
        open_count = connection.execute(
            "SELECT count(*) FROM cases WHERE status NOT IN ('closed', 'rejected', 'merged')"
        ).fetchone()
        size = connection.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()
    assert open_count is not None and size is not None
    print(
        f"seeded {args.cases:,} cases ({open_count[0]:,} open) from {len(reporters):,} reporters over "
        f"{SIDE_KM * SIDE_KM} grids into {args.database} ({size[0]}) in {time.perf_counter() - began:.0f} s"
    )


if __name__ == "__main__":
    main()
