"""The one backoff every retrying job uses."""

from __future__ import annotations

import random


def backoff_seconds(base: float, cap: float, attempts: int) -> float:
    """Exponential backoff with jitter: between half and all of base * 2^(attempts-1), at most the cap,
    so that workers that failed together do not all come back together."""
    ceiling = min(cap, base * 2 ** (attempts - 1))
    return random.uniform(ceiling / 2, ceiling)
