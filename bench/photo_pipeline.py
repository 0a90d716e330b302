"""Our photo pipeline against bare Pillow doing the same steps, on a generated 12-megapixel JPEG.

    .venv/bin/python bench/photo_pipeline.py [--runs 10]

Prints the median time of each, their ratio (goal <= 1.3) and the peak memory one upload adds to a
fresh process (goal <= 200 MB). Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image, ImageOps

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from backend.uploads.pipeline import process_image  # noqa: E402


def sample_jpeg() -> bytes:
    """4000×3000, noisy enough not to compress trivially, EXIF orientation 6 and GPS, quality 90."""
    noise = Image.effect_noise((4000, 3000), 48).convert("RGB")
    gradient = Image.linear_gradient("L").resize((4000, 3000)).convert("RGB")
    image = Image.blend(noise, gradient, 0.5)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif.get_ifd(0x8825).update({1: "N", 2: (30.0, 16.0, 26.76), 3: "E", 4: (120.0, 9.0, 18.36)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def ours(data: bytes) -> None:
    process_image(data, max_pixels=80_000_000, tz=ZoneInfo("Asia/Shanghai"))


def bare(data: bytes) -> None:
    """The same work written straight against Pillow, with the same settings."""
    image = Image.open(io.BytesIO(data))
    image.draft("RGB", (1600, 1200))
    image = ImageOps.exif_transpose(image)
    image.thumbnail((1600, 1600), Image.Resampling.LANCZOS, reducing_gap=3.0)
    image.info = {}
    display = io.BytesIO()
    image.save(display, "JPEG", quality=82, optimize=True, progressive=True)
    image.thumbnail((320, 320), Image.Resampling.LANCZOS, reducing_gap=2.0)
    image.save(io.BytesIO(), "JPEG", quality=75, optimize=True)


VARIANTS = {"ours": ours, "bare": bare}


def peak_memory_mb(variant: str, path: Path) -> float:
    """Peak RSS one upload adds to a fresh process, after its imports and after reading the file.

    VmHWM, not ru_maxrss: the latter survives exec and would report this (large) parent's peak."""
    code = (
        "import re, sys\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from bench.photo_pipeline import VARIANTS\n"
        "def hwm():\n"
        "    return int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"
        f"data = open({str(path)!r}, 'rb').read()\n"
        "before = hwm()\n"
        f"VARIANTS[{variant!r}](data)\n"
        "print(hwm() - before)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(result.stdout.strip()) / 1024  # kB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    data = sample_jpeg()
    with tempfile.NamedTemporaryFile(suffix=".jpg") as sample:
        sample.write(data)
        sample.flush()
        path = Path(sample.name)
        timings: dict[str, list[float]] = {name: [] for name in VARIANTS}
        for _ in range(args.runs):
            for name, run in VARIANTS.items():
                started = time.perf_counter()
                run(data)
                timings[name].append((time.perf_counter() - started) * 1000)
        memory = {name: peak_memory_mb(name, path) for name in VARIANTS}
    median = {name: statistics.median(values) for name, values in timings.items()}
    print(f"photo pipeline on a 4000x3000 JPEG ({len(data) / 1e6:.1f} MB), {args.runs} runs")
    for name in VARIANTS:
        print(f"  {name:5}: median {median[name]:7.1f} ms   peak memory per upload {memory[name]:6.1f} MB")
    print(f"  ratio ours/bare: {median['ours'] / median['bare']:.2f}  (goal <= 1.3)")
    print(f"  peak memory ours: {memory['ours']:.1f} MB  (goal <= 200 MB)")


if __name__ == "__main__":
    main()
