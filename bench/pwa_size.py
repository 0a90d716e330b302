"""What the app costs a phone, from the built pwa/dist. Prints figures only.

1. JavaScript the first screen loads, gzip-compressed: the entry script and every module it preloads,
   as listed in the built index.html, and what the staff desk loads on its own. Goal: the first
   screen <= 150 KB.
2. First-visit bytes: everything a phone downloads on its first visit to `/`: index.html, the entry
   script and stylesheet and every module they import statically, the manifest, registerSW.js, sw.js,
   and the service worker's precache (each file once). Raw is what was served before the build
   precompressed the app; brotli (the X.br the build writes, quality 11) is what a browser that
   accepts br gets from now on, gzip (X.gz, level 9) one that accepts only gzip. Pictures are sent as
   they are.

    .venv/bin/python bench/pwa_size.py      (after `make pwa`)
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

DIST = Path(__file__).resolve().parent.parent / "pwa" / "dist"
GOAL_KB = 150
TEXT = {".html", ".js", ".mjs", ".css", ".svg", ".json", ".webmanifest"}


def gzip_kb(path: Path) -> float:
    return len(gzip.compress(path.read_bytes(), compresslevel=9)) / 1024


@dataclass(frozen=True)
class Sizes:
    raw: int
    gzip: int
    brotli: int | None  # None: a text file the build did not precompress


def sizes(path: Path) -> Sizes:
    raw = path.stat().st_size
    if path.suffix not in TEXT:
        return Sizes(raw, raw, raw)  # sent as it is, compressed or not
    gz = path.with_name(path.name + ".gz")
    br = path.with_name(path.name + ".br")
    gz_size = gz.stat().st_size if gz.is_file() else len(gzip.compress(path.read_bytes(), compresslevel=9))
    return Sizes(raw, gz_size, br.stat().st_size if br.is_file() else None)


def static_imports(name: str, seen: set[str] | None = None) -> list[str]:
    """`name` and every module it imports statically (not `import()`), depth first, each once."""
    seen = set() if seen is None else seen
    if name in seen or not (DIST / name).is_file():
        return []
    seen.add(name)
    found = [name]
    code = (DIST / name).read_text(encoding="utf-8")
    base = (DIST / name).parent
    for target in re.findall(r"""(?:\bfrom|\bimport)\s*["'](\.{1,2}/[^"']+)["']""", code):
        found += static_imports((base / target).resolve().relative_to(DIST.resolve()).as_posix(), seen)
    return found


def precache(sw: Path) -> list[str]:
    return list(dict.fromkeys(re.findall(r""""url"\s*:\s*"([^"]+)\"""", sw.read_text(encoding="utf-8"))))


def kb(n: int | None) -> str:
    return f"{n / 1024:8.1f} KB" if n is not None else "       n/a"


def row(s: Sizes, label: str) -> str:
    return f"  {kb(s.raw)} {kb(s.gzip)} {kb(s.brotli)}  {label}"


def print_table(title: str, names: list[str]) -> Sizes:
    print(title)
    print(f"  {'raw':>11} {'gzip':>11} {'brotli':>11}  file")
    for name in names:
        print(row(sizes(DIST / name), name))
    return sizes_sum(names)


def first_visit(html: str) -> None:
    entry = re.findall(r'<script[^>]+type="module"[^>]+src="/([^"]+)"', html)
    preloads = re.findall(r'<link rel="modulepreload"[^>]+href="/([^"]+)"', html)
    styles = re.findall(r'<link rel="stylesheet"[^>]+href="/([^"]+)"', html)
    manifest = re.findall(r'<link rel="manifest" href="/([^"]+)"', html)
    classic = [s for s in re.findall(r'<script[^>]+src="/([^"]+)"', html) if s not in entry]
    modules: list[str] = []
    seen: set[str] = set()
    for name in entry + preloads:
        modules += static_imports(name, seen)
    page = list(dict.fromkeys(["index.html", *modules, *styles, *manifest, *classic, "sw.js"]))
    page = [name for name in page if (DIST / name).is_file()]
    rest = [name for name in precache(DIST / "sw.js") if name not in page and (DIST / name).is_file()]

    screen = print_table("first visit to /: the page and what it loads at once", page)
    extra = sizes_sum(rest)
    print(row(extra, f"+ the service worker's precache beyond these ({len(rest)} files)"))
    both = Sizes(
        screen.raw + extra.raw,
        screen.gzip + extra.gzip,
        None if screen.brotli is None or extra.brotli is None else screen.brotli + extra.brotli,
    )
    print(row(both, f"= first visit, {len(page) + len(rest)} files"))
    if both.brotli is None or screen.brotli is None:
        print("  (brotli n/a: the build did not write the .br copies; run `cd pwa && npm run build`)")
        return
    print(f"first visit before (uncompressed, as served before): {both.raw / 1024:.1f} KB")
    print(
        f"first visit after (brotli, as served from now on):    {both.brotli / 1024:.1f} KB"
        f"  ({100 * (1 - both.brotli / both.raw):.0f}% less; gzip only: {both.gzip / 1024:.1f} KB)"
    )
    print(
        f"  of which the page itself: {screen.raw / 1024:.1f} KB raw -> {screen.brotli / 1024:.1f} KB brotli"
        f" ({screen.gzip / 1024:.1f} KB gzip)"
    )


def sizes_sum(names: list[str]) -> Sizes:
    rows = [sizes(DIST / name) for name in names]
    brotli = None if any(s.brotli is None for s in rows) else sum(s.brotli or 0 for s in rows)
    return Sizes(sum(s.raw for s in rows), sum(s.gzip for s in rows), brotli)


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
    print()
    first_visit(html)
    manifest = DIST / "manifest.webmanifest"
    if manifest.is_file():
        icons = [
            icon["src"].lstrip("/") for icon in json.loads(manifest.read_text(encoding="utf-8"))["icons"]
        ]
        missing = [name for name in icons if name not in precache(DIST / "sw.js")]
        if missing:
            print(f"  (manifest icons outside the precache, fetched when installing: {', '.join(missing)})")


if __name__ == "__main__":
    main()
