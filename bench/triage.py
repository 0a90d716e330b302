"""p50/p95 of the triage queue page, the nearby query, the map query and the ranked duplicate
candidates, each against the same query
in raw SQL on the same PostgreSQL, in the same process. Run bench/seed_many.py first.

    .venv/bin/python bench/triage.py [--database city_bench] [--runs 300]

Ours is the service call a route makes (its statement, its transaction and building the answer:
names, thumbnails, overdue flags), without HTTP. The same statement written by hand is timed twice:
on our engine (pool, transaction, rows fetched, nothing built), which is what the query itself costs,
and on one open psycopg connection, the driver's floor.
Goals: queue p95 <= 20 ms, nearby p95 <= 10 ms, each <= 1.5x the hand-written statement; duplicates
(which rank every candidate by words, photo, place and time in Python) p95 <= 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from backend.accounts.tokens import Principal  # noqa: E402
from backend.cases import service, staff_service  # noqa: E402
from backend.catalog.geo import box_around  # noqa: E402
from backend.catalog.lookup import CatalogCache  # noqa: E402
from backend.db import create_engine, session_factory  # noqa: E402
from bench.seed_many import CENTER, KM_LAT, KM_LNG, PG_ADMIN_URL, SIDE_KM  # noqa: E402

DISPATCHER = Principal(user_id=uuid.uuid4(), kind="staff", roles=("dispatcher",))
QUEUE_COLUMNS = ", ".join(
    f"c.{name}"
    for name in (
        "id tracking_no status request_type category_code source grid_code department_code description "
        "address lat lng accuracy_m created_at updated_at deadline_at version"
    ).split()
)
# A hand-written statement and its parameters, for psycopg (%s placeholders).
Statement = tuple[str, tuple[Any, ...]]
OPEN = "('submitted', 'accepted', 'dispatched', 'in_progress', 'handled')"
OWED = "('submitted', 'accepted', 'dispatched', 'in_progress')"


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def timed(runs: int, calls: Sequence[Callable[[int], Awaitable[Any]]]) -> list[list[float]]:
    """Milliseconds per run of each call, the calls taking turns run by run, and a different one going
    first each run: the first to read a run's rows pays for bringing them into the cache (2-3 ms at
    p50 on the map), and the machine's drift should favour none of them either."""
    for warm in range(min(runs, 20)):
        for call in calls:
            await call(warm)
    samples: list[list[float]] = [[] for _ in calls]
    for run in range(runs):
        for turn in range(len(calls)):
            index = (run + turn) % len(calls)
            began = time.perf_counter()
            await calls[index](run)
            samples[index].append((time.perf_counter() - began) * 1000)
    return samples


def random_point(rng: random.Random) -> tuple[float, float]:
    half = SIDE_KM / 2 * 0.8
    return (
        CENTER[0] + rng.uniform(-half, half) * KM_LAT,
        CENTER[1] + rng.uniform(-half, half) * KM_LNG,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="city_bench")
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{args.database}"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    sessions = session_factory(engine)
    raw = await psycopg.AsyncConnection.connect(url, autocommit=True)
    rng = random.Random(11)
    points = [random_point(rng) for _ in range(args.runs + 20)]

    # Cursors for pages 1..5 of the submitted queue, so the runs walk real keyset pages.
    cursors: list[tuple[str | None, tuple[datetime, uuid.UUID] | None]] = [(None, None)]
    async with sessions() as session:
        catalog = await CatalogCache(3600).snapshot(session)
        filters = staff_service.CaseFilter(statuses=("submitted",))
        for _ in range(4):
            page = await staff_service.queue(
                session, catalog, DISPATCHER, filters, "-created_at", cursors[-1][0], 30, "zh-CN"
            )
            last = page.items[-1]
            cursors.append((page.next_cursor, (last.created_at, uuid.UUID(last.id))))

    async def ours_queue(run: int) -> None:
        async with sessions() as session:
            await staff_service.queue(
                session, catalog, DISPATCHER, filters, "-created_at", cursors[run % 5][0], 30, "zh-CN"
            )

    def raw_queue(run: int) -> Statement:
        after = cursors[run % 5][1]
        where = "c.status = 'submitted'" + (" AND (c.created_at, c.id) < (%s, %s)" if after else "")
        sql = (
            f"SELECT {QUEUE_COLUMNS}, d.name_zh, d.name_en, p.id FROM cases c "
            "LEFT JOIN departments d ON d.code = c.department_code "
            "LEFT JOIN photos p ON p.case_id = c.id AND p.position = 0 "
            f"WHERE {where} ORDER BY c.created_at DESC, c.id DESC LIMIT 31"
        )
        return sql, after or ()

    async def ours_nearby(run: int) -> None:
        lat, lng = points[run]
        async with sessions() as session:
            await service.nearby(session, catalog, None, lat, lng, 50, None, "zh-CN")

    def raw_nearby(run: int) -> Statement:
        lat, lng = points[run]
        min_lat, max_lat, min_lng, max_lng = box_around(lat, lng, 50)
        sql = (
            "SELECT c.id, c.request_type, c.category_code, c.status, c.lat, c.lng, c.created_at, "
            "c.updated_at, c.description, c.reporter_id, p.id FROM cases c "
            "LEFT JOIN photos p ON p.case_id = c.id AND p.position = 0 "
            f"WHERE c.lat BETWEEN %s AND %s AND c.lng BETWEEN %s AND %s AND c.status IN {OPEN}"
        )
        return sql, (min_lat, max_lat, min_lng, max_lng)

    async def ours_counts(run: int) -> None:
        async with sessions() as session:
            await staff_service.counts(session, DISPATCHER, staff_service.CaseFilter())

    def raw_counts(run: int) -> Statement:
        sql = (
            f"SELECT status, count(*), count(*) FILTER (WHERE status IN {OWED} "
            "AND deadline_at < now()) FROM cases GROUP BY status"
        )
        return sql, ()

    def box(run: int) -> tuple[float, float, float, float]:
        lat, lng = points[run]
        return lng - 0.75 * KM_LNG, lat - 0.5 * KM_LAT, lng + 0.75 * KM_LNG, lat + 0.5 * KM_LAT

    async def ours_map(run: int) -> None:
        async with sessions() as session:
            await staff_service.geo(session, DISPATCHER, box(run), staff_service.CaseFilter())

    def raw_map(run: int) -> Statement:
        min_lng, min_lat, max_lng, max_lat = box(run)
        sql = (
            "SELECT id, tracking_no, status, category_code, lat, lng, "
            f"(status IN {OWED} AND deadline_at < now()) AS overdue FROM cases "
            f"WHERE lat BETWEEN %s AND %s AND lng BETWEEN %s AND %s AND status IN {OPEN} "
            "ORDER BY created_at DESC LIMIT 2001"
        )
        return sql, (min_lat, max_lat, min_lng, max_lng)

    # Cases waiting for triage, where the desk asks for duplicates.
    waiting = [
        row[0]
        for row in await (
            await raw.execute(
                "SELECT id, lat, lng, created_at FROM cases WHERE status = 'submitted' ORDER BY id LIMIT %s",
                (args.runs + 20,),
            )
        ).fetchall()
    ]
    facts = {
        row[0]: row[1:]
        for row in await (
            await raw.execute("SELECT id, lat, lng, created_at FROM cases WHERE id = ANY(%s)", (waiting,))
        ).fetchall()
    }

    async def ours_duplicates(run: int) -> None:
        async with sessions() as session:
            await staff_service.duplicates(
                session, catalog, DISPATCHER, waiting[run % len(waiting)], 150, 7, False, "zh-CN"
            )

    def raw_duplicates(run: int) -> Statement:
        case_id = waiting[run % len(waiting)]
        lat, lng, created_at = facts[case_id]
        min_lat, max_lat, min_lng, max_lng = box_around(lat, lng, 150)
        sql = (
            f"SELECT {QUEUE_COLUMNS}, d.name_zh, d.name_en, p.id FROM cases c "
            "LEFT JOIN departments d ON d.code = c.department_code "
            "LEFT JOIN photos p ON p.case_id = c.id AND p.position = 0 "
            "WHERE c.id <> %s AND c.lat BETWEEN %s AND %s AND c.lng BETWEEN %s AND %s "
            "AND c.created_at BETWEEN %s - interval '7 days' AND %s + interval '7 days' "
            "AND c.status IN ('submitted', 'accepted', 'dispatched', 'in_progress', 'handled', 'closed') "
            "LIMIT 500"
        )
        return sql, (case_id, min_lat, max_lat, min_lng, max_lng, created_at, created_at)

    total = (await (await raw.execute("SELECT count(*) FROM cases")).fetchone() or (0,))[0]
    print(f"{total:,} cases in {args.database}; {args.runs} runs each; ms; {datetime.now(UTC):%Y-%m-%d}")
    print(f"{'':<8}{'ours':>16}{'same SQL, engine':>20}{'same SQL, psycopg':>20}{'ours / engine':>16}")
    print(f"{'query':<8}" + f"{'p50':>8}{'p95':>8}" * 3 + f"{'p95':>16}")
    # Counts read every case: fewer runs keep the benchmark to a few minutes.
    for name, ours, statement, runs in (
        ("queue", ours_queue, raw_queue, args.runs),
        ("nearby", ours_nearby, raw_nearby, args.runs),
        ("map", ours_map, raw_map, args.runs),
        ("dupes", ours_duplicates, raw_duplicates, args.runs),
        ("counts", ours_counts, raw_counts, min(args.runs, 20)),
    ):

        async def through_engine(run: int, statement: Callable[[int], Statement] = statement) -> None:
            # The hand-written statement on our engine, pool and transaction: what the query costs.
            async with sessions() as session, session.begin():
                (await (await session.connection()).exec_driver_sql(*statement(run))).all()

        async def through_psycopg(run: int, statement: Callable[[int], Statement] = statement) -> None:
            # The driver alone on one open connection: the floor.
            await (await raw.execute(*statement(run))).fetchall()

        figures = await timed(runs, (ours, through_engine, through_psycopg))
        cells = "".join(f"{statistics.median(f):>8.2f}{percentile(f, 0.95):>8.2f}" for f in figures)
        ratio = percentile(figures[0], 0.95) / percentile(figures[1], 0.95)
        print(f"{name:<8}{cells}{ratio:>15.2f}x")
    await raw.close()
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
