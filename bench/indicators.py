"""Median time of GET /api/v1/stats/overview's service call over a year of cases, per grouping, on the
PostgreSQL that bench/seed_many.py filled. Prints figures only.

    .venv/bin/python bench/indicators.py [--database city_bench] [--runs 8]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from backend.accounts.tokens import Principal  # noqa: E402
from backend.db import create_engine, session_factory  # noqa: E402
from backend.settings import load_settings  # noqa: E402
from backend.stats import service  # noqa: E402
from bench.seed_many import PG_ADMIN_URL  # noqa: E402

SUPERVISOR = Principal(user_id=uuid.uuid4(), kind="staff", roles=("supervisor",))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="city_bench")
    parser.add_argument("--runs", type=int, default=8)
    args = parser.parse_args()
    url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{args.database}".replace(
        "postgresql://", "postgresql+psycopg://"
    )
    engine = create_engine(url)
    sessions = session_factory(engine)
    settings = load_settings({}, data_dir=Path(tempfile.mkdtemp()))
    date_to = datetime.now(settings.tz).date()
    date_from = date_to - timedelta(days=365)
    print(f"indicators over {date_from} .. {date_to} in {args.database}; median of {args.runs} runs")
    for group_by in ("none", "department", "category", "grid"):
        samples = []
        for _ in range(args.runs + 2):
            began = time.perf_counter()
            async with sessions() as session:
                report = await service.overview(
                    session, settings, SUPERVISOR, date_from, date_to, group_by, "zh-CN"
                )
            samples.append((time.perf_counter() - began) * 1000)
        print(
            f"  group_by={group_by:<11}{statistics.median(samples[2:]):8.1f} ms"
            f"   {report.total.reported:,} cases, {len(report.groups)} groups"
        )
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
