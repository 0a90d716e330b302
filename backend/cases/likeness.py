"""How alike two reports are, for the desk's duplicate candidates: place, time, category, words and
photos. The photo counts most: the same pothole photographed twice is the surest sign of a duplicate,
and the one the other signs miss when two people describe and categorise it differently."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from difflib import SequenceMatcher
from typing import Any

from backend.cases.staff_schemas import LikenessReason
from backend.catalog.lookup import CatalogSnapshot

# Bits (of 64) in which two perceptual hashes may differ and still be the same picture, or the same
# scene taken again from about the same spot.
SAME_PHOTO_BITS = 6
SIMILAR_PHOTO_BITS = 14
# Only the start of a description is compared: enough to judge, and SequenceMatcher is quadratic.
TEXT_CHARS = 300
SIMILAR_TEXT = 0.5
NEAR_M = 20.0
SAME_TIME = timedelta(days=1)
WEIGHTS = {"photo": 0.5, "text": 0.15, "distance": 0.15, "category": 0.1, "time": 0.1}


@dataclass(frozen=True, slots=True)
class Report:
    category_code: str | None
    major_code: str | None
    created_at: datetime
    text: str
    hashes: tuple[int, ...]

    @classmethod
    def of(
        cls, case: Any, catalog: CatalogSnapshot, hashes: list[int], description: str | None = None
    ) -> Report:
        """From a Case or a queue row (whose own description is shortened: pass the full one)."""
        category = catalog.categories.get(case.category_code) if case.category_code else None
        text = description if description is not None else case.description
        return cls(
            category_code=case.category_code,
            major_code=category.parent_code if category else None,
            created_at=case.created_at,
            text=" ".join(text.split())[:TEXT_CHARS],
            hashes=tuple(hashes),
        )


@dataclass(frozen=True, slots=True)
class Match:
    score: float
    reasons: tuple[LikenessReason, ...]


def compare(subject: Report, other: Report, distance_m: float, radius_m: float, window: timedelta) -> Match:
    reasons: list[LikenessReason] = []
    bits = min((_differing_bits(a, b) for a in subject.hashes for b in other.hashes), default=None)
    photo = 0.0
    if bits is not None:
        photo = max(0.0, 1 - bits / (2 * SIMILAR_PHOTO_BITS))
        if bits <= SAME_PHOTO_BITS:
            reasons.append("same_photo")
        elif bits <= SIMILAR_PHOTO_BITS:
            reasons.append("similar_photo")
    category = 0.0
    if subject.category_code is not None and subject.category_code == other.category_code:
        category = 1.0
        reasons.append("same_category")
    elif subject.major_code is not None and subject.major_code == other.major_code:
        category = 0.5
    text = SequenceMatcher(None, subject.text, other.text, autojunk=False).ratio()
    if text >= SIMILAR_TEXT:
        reasons.append("similar_text")
    if distance_m <= NEAR_M:
        reasons.append("near")
    apart = abs(subject.created_at - other.created_at)
    if apart <= SAME_TIME:
        reasons.append("same_time")
    score = (
        WEIGHTS["photo"] * photo
        + WEIGHTS["text"] * text
        + WEIGHTS["distance"] * max(0.0, 1 - distance_m / radius_m)
        + WEIGHTS["category"] * category
        + WEIGHTS["time"] * max(0.0, 1 - apart / window)
    )
    return Match(score=min(1.0, score), reasons=tuple(reasons))


def _differing_bits(a: int, b: int) -> int:
    return (a ^ b).bit_count()
