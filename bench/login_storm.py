"""Does a storm of wrong passwords slow everyone else down? GET /api/v1/categories latency alone and
while 8 clients send wrong passwords as fast as they can, with the throttle as shipped and with it
lifted (to see what hashing off the event loop alone buys). Prints figures only.

    .venv/bin/python bench/login_storm.py [--samples 200] [--attackers 8]

The probe that found this: 27 ms alone, a median of 794 ms under 8 guessing clients.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.create_request import _free_port, _wait_up  # noqa: E402


async def _latencies(client: httpx.AsyncClient, url: str, samples: int) -> list[float]:
    found = []
    for _ in range(samples):
        started = time.perf_counter()
        response = await client.get(url)
        response.raise_for_status()
        found.append((time.perf_counter() - started) * 1000)
    return found


async def _storm(base: str, samples: int, attackers: int) -> tuple[list[float], list[float], dict[int, int]]:
    async with httpx.AsyncClient(timeout=60) as client:
        await _latencies(client, base + "/api/v1/categories", 20)  # warm-up
        alone = await _latencies(client, base + "/api/v1/categories", samples)
        statuses: dict[int, int] = {}
        done = asyncio.Event()

        async def attacker() -> None:
            async with httpx.AsyncClient(timeout=60) as own:
                while not done.is_set():
                    answer = await own.post(
                        base + "/api/v1/auth/login",
                        json={"username": f"guess-{uuid.uuid4().hex[:6]}", "password": "wrong"},
                    )
                    statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

        tasks = [asyncio.create_task(attacker()) for _ in range(attackers)]
        await asyncio.sleep(0.5)
        under = await _latencies(client, base + "/api/v1/categories", samples)
        done.set()
        await asyncio.gather(*tasks)
    return alone, under, statuses


def _run(
    data_dir: str, samples: int, attackers: int, throttle: bool
) -> tuple[list[float], list[float], dict[int, int]]:
    port = _free_port()
    env = {
        **os.environ,
        "CITY_DATA_DIR": data_dir,
        "CITY_PORT": str(port),
        "CITY_LOG_LEVEL": "WARNING",
        "CITY_WORKER": "off",
    }
    if not throttle:
        env |= {
            "CITY_LOGIN_MAX_FAILURES_PER_USER": "1000000",
            "CITY_LOGIN_MAX_FAILURES_PER_ADDRESS": "1000000",
        }
    subprocess.run(
        [sys.executable, "-m", "backend", "migrate"], env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL
    )
    subprocess.run(
        [sys.executable, "-m", "backend", "seed-demo"],
        env=env,
        cwd=REPO,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    server = subprocess.Popen([sys.executable, "-m", "backend", "serve"], env=env, cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(_wait_up(base))
        return asyncio.run(_storm(base, samples, attackers))
    finally:
        server.terminate()
        server.wait(10)


def _figures(values: list[float]) -> str:
    ordered = sorted(values)
    return f"median {statistics.median(ordered):7.1f} ms, p95 {ordered[int(len(ordered) * 0.95) - 1]:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--attackers", type=int, default=8)
    args = parser.parse_args()
    print(f"GET /api/v1/categories, {args.samples} sequential calls, SQLite, one uvicorn process")
    for throttle in (True, False):
        with tempfile.TemporaryDirectory() as data_dir:
            alone, under, statuses = _run(data_dir, args.samples, args.attackers, throttle)
        label = "throttle on " if throttle else "throttle off"
        answers = ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items()))
        print(f"  {label} alone                   : {_figures(alone)}")
        print(f"  {label} {args.attackers} clients guessing : {_figures(under)}  (their answers {answers})")


if __name__ == "__main__":
    main()
