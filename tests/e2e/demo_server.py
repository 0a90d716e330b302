"""The app as `make run` serves it (embedded default, demo data) in a data dir of its own, on a free
loopback port: for the browser tests and for bench/lighthouse.py."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_demo_server(
    pwa_dir: Path, data_dir: Path, serve_args: Sequence[str] = ()
) -> tuple[subprocess.Popen[bytes], str]:
    """Migrate, seed the demo data and serve (with `serve_args`); returns the process and its base URL
    once it answers /healthz. Raises RuntimeError (the process stopped) when it does not within 30 s."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITY_")}
    env |= {
        "CITY_DATA_DIR": str(data_dir),
        "CITY_PORT": str(port),
        "CITY_LOG_LEVEL": "WARNING",
        "CITY_PWA_DIR": str(pwa_dir),
        # Every phone, desk and inspector of the whole browser suite comes from 127.0.0.1: the quotas
        # per address are meant for a city's worth of them (their own tests are in tests/api).
        "CITY_DEVICES_PER_ADDRESS_PER_HOUR": "10000",
        "CITY_UPLOADS_PER_ADDRESS_PER_MINUTE": "10000",
    }
    for command in ("migrate", "seed-demo"):
        subprocess.run(
            [sys.executable, "-m", "backend", command], env=env, cwd=REPO, check=True, capture_output=True
        )
    process = subprocess.Popen([sys.executable, "-m", "backend", "serve", *serve_args], env=env, cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return process, base
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.terminate()
    process.wait(10)
    raise RuntimeError("the server did not start")
