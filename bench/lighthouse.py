"""Lighthouse on the built app, as a phone and as the desk sees it: performance score, FCP, LCP, total
blocking time and layout shift, the median of three runs each. Prints figures only.

    .venv/bin/python bench/lighthouse.py [--runs 3] [--pwa-dir pwa/dist]    (after `make pwa`)

The server runs as `make run` would (embedded default, demo data) in a data dir of its own. Lighthouse
(pinned in bench/lighthouse/package.json, installed by `make bench`) drives Debian's Chromium with its
default simulated throttling: "mobile" is a mid-range phone on a slow 4G link, "desktop" the desk.
Goals (issue 10): the citizen's first screen scores >= 95 with LCP <= 2.0 s; the desk paints no layout
shift (CLS 0).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LIGHTHOUSE = REPO / "bench" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
sys.path.insert(0, str(REPO))

from tests.e2e.demo_server import start_demo_server  # noqa: E402

CHROMIUM = os.environ.get("CITY_TEST_CHROMIUM", "/usr/bin/chromium")
PAGES = (("/", "mobile"), ("/report", "mobile"), ("/staff/login", "desktop"))
AUDITS = {
    "FCP s": ("first-contentful-paint", 1 / 1000),
    "LCP s": ("largest-contentful-paint", 1 / 1000),
    "TBT ms": ("total-blocking-time", 1),
    "CLS": ("cumulative-layout-shift", 1),
}


def lighthouse(url: str, form_factor: str) -> dict[str, float]:
    preset = ["--preset=desktop"] if form_factor == "desktop" else []
    answer = subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            *preset,
            "--only-categories=performance",
            "--output=json",
            "--output-path=stdout",
            "--quiet",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        ],
        env={**os.environ, "CHROME_PATH": CHROMIUM},
        capture_output=True,
        check=True,
        text=True,
    )
    report = json.loads(answer.stdout)
    figures = {"score": report["categories"]["performance"]["score"] * 100}
    for label, (audit, scale) in AUDITS.items():
        figures[label] = report["audits"][audit]["numericValue"] * scale
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pwa-dir", type=Path, default=REPO / "pwa" / "dist")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        raise SystemExit("Lighthouse is not installed: `make bench` runs `npm ci` in bench/lighthouse")
    with tempfile.TemporaryDirectory(prefix="city-lighthouse-") as data_dir:
        process, base = start_demo_server(args.pwa_dir, Path(data_dir))
        try:
            print(f"Lighthouse, median of {args.runs} runs, {args.pwa_dir}")
            print(f"{'page':<14}{'as':<9}{'score':>7}" + "".join(f"{label:>9}" for label in AUDITS))
            for path, form_factor in PAGES:
                runs = [lighthouse(base + path, form_factor) for _ in range(args.runs)]
                median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
                cells = "".join(f"{median[label]:>9.2f}" for label in AUDITS)
                print(f"{path:<14}{form_factor:<9}{median['score']:>7.0f}{cells}")
        finally:
            process.terminate()
            process.wait(10)


if __name__ == "__main__":
    main()
