"""JavaScript the first screen loads, gzip-compressed: the entry script and every module it
preloads, as listed in the built index.html, and what the staff desk loads on its own. Goal: the
first screen <= 150 KB. Prints figures only.

    .venv/bin/python bench/pwa_size.py      (after `make pwa`)
"""

from __future__ import annotations

import gzip
import re
import sys
from pathlib import Path

DIST = Path(__file__).resolve().parent.parent / "pwa" / "dist"
GOAL_KB = 150


def gzip_kb(path: Path) -> float:
    return len(gzip.compress(path.read_bytes(), compresslevel=9)) / 1024


def main() -> None:
    index = DIST / "index.html"
    if not index.exists():
        sys.exit("pwa/dist is not built: run `make pwa` first")
    html = index.read_text(encoding="utf-8")
    scripts = re.findall(r'<script[^>]+src="/([^"]+\.js)"', html)
    preloads = re.findall(r'<link rel="modulepreload"[^>]+href="/([^"]+\.js)"', html)
    styles = re.findall(r'<link rel="stylesheet"[^>]+href="/([^"]+\.css)"', html)
    first = list(dict.fromkeys(scripts + preloads))
    print("first screen, gzip:")
    for name in first + styles:
        print(f"  {gzip_kb(DIST / name):7.1f} KB  {name}")
    total_js = sum(gzip_kb(DIST / name) for name in first)
    lazy = [p for p in (DIST / "assets").glob("*.js") if f"assets/{p.name}" not in first]
    print(f"JavaScript for the first screen: {total_js:.1f} KB gzip (goal <= {GOAL_KB} KB)")
    print(f"CSS for the first screen:        {sum(gzip_kb(DIST / s) for s in styles):.1f} KB gzip")
    print(f"loaded later: {len(lazy)} chunks, {sum(gzip_kb(p) for p in lazy):.1f} KB gzip")
    # The staff desk: never precached on phones, loaded only under /staff.
    desk = sorted((DIST / "assets" / "staff").glob("*.js"), key=gzip_kb, reverse=True)
    print(f"staff desk (not precached): {len(desk)} chunks, {sum(gzip_kb(p) for p in desk):.1f} KB gzip")
    for path in desk[:3]:
        print(f"  {gzip_kb(path):7.1f} KB  assets/staff/{path.name}")


if __name__ == "__main__":
    main()
