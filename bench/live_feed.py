"""What open staff live feeds cost the server: its CPU while 0, 100 and 500 streams sit open with
nothing happening, and the median of another route (GET /api/v1/categories) meanwhile. One uvicorn
process on SQLite, as `make run` serves. Prints figures only.

    .venv/bin/python bench/live_feed.py [--seconds 10] [--streams 0,100,500]

Goal (issue 15): 500 open streams cost under 10% of a core. Before one reader served every stream,
each stream polled the database once a second: 500 took 79% of a core and slowed other routes' p50
from 7 to 21 ms.
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
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.create_request import _free_port, _wait_up  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system time the process has used (/proc/PID/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def hold(client: httpx.AsyncClient, token: str, opened: asyncio.Event, count: list[int]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with client.stream("GET", "/api/v1/staff/stream", headers=headers) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if line.startswith("event: ready"):
                count[0] += 1
                opened.set()


async def measure(base: str, pid: int, token: str, streams: int, seconds: float) -> tuple[float, float]:
    limits = httpx.Limits(max_connections=streams + 10, max_keepalive_connections=streams + 10)
    async with httpx.AsyncClient(base_url=base, timeout=None, limits=limits) as client:
        ready = [0]
        opened = asyncio.Event()
        tasks = [asyncio.create_task(hold(client, token, opened, ready)) for _ in range(streams)]
        while ready[0] < streams:
            await asyncio.sleep(0.1)
        await asyncio.sleep(2)  # settled: every stream waiting
        began, cpu = time.perf_counter(), cpu_seconds(pid)
        await asyncio.sleep(seconds)
        share = (cpu_seconds(pid) - cpu) / (time.perf_counter() - began)
        async with httpx.AsyncClient(base_url=base, timeout=30) as probe:
            latencies = []
            for _ in range(100):
                started = time.perf_counter()
                (await probe.get("/api/v1/categories")).raise_for_status()
                latencies.append((time.perf_counter() - started) * 1000)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return share, statistics.median(latencies)


async def sign_in(base: str) -> str:
    async with httpx.AsyncClient(base_url=base) as client:
        answer = await client.post(
            "/api/v1/auth/login", json={"username": "dispatcher", "password": "dispatcher-demo"}
        )
        answer.raise_for_status()
        return str(answer.json()["token"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--streams", default="0,100,500")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        port = _free_port()
        env = {
            **os.environ,
            "CITY_DATA_DIR": data_dir,
            "CITY_PORT": str(port),
            "CITY_LOG_LEVEL": "WARNING",
            "CITY_WORKER": "off",
        }
        for command in ("migrate", "seed-demo"):
            subprocess.run(
                [sys.executable, "-m", "backend", command], env=env, cwd=REPO, check=True, capture_output=True
            )
        server = subprocess.Popen([sys.executable, "-m", "backend", "serve"], env=env, cwd=REPO)
        base = f"http://127.0.0.1:{port}"
        try:
            asyncio.run(_wait_up(base))
            token = asyncio.run(sign_in(base))
            print(f"open live feeds, idle, one uvicorn process on SQLite ({args.seconds:.0f} s each)")
            for streams in (int(n) for n in args.streams.split(",")):
                share, p50 = asyncio.run(measure(base, server.pid, token, streams, args.seconds))
                print(
                    f"  {streams:4d} streams: server CPU {share * 100:5.1f}% of a core, "
                    f"GET /api/v1/categories p50 {p50:5.1f} ms"
                )
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
