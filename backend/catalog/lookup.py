"""An in-process, read-only copy of the catalog for the hot path of every report.

Categories and unit grids change rarely (a city loads a new file with the CLI, from another process),
yet every report needs one category and one point-in-polygon lookup. Reading them from the database
each time was the largest cost of POST /api/v1/requests (bench/create_request.py), so each process
keeps a snapshot and reloads it once it is older than `catalog_ttl_seconds`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import msgspec
import shapely
from shapely import STRtree
from shapely.geometry import Point, shape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.catalog.models import Category, Grid, ReplyDeadline
from backend.catalog.schemas import AttributeDef
from backend.errors import ApiError


@dataclass(frozen=True, slots=True)
class CategoryRef:
    """Plain values, not ORM rows: a rollback in some request must not expire the shared copy."""

    code: str
    kind: str
    parent_code: str | None
    name_zh: str
    name_en: str
    deadline_hours: int | None
    active: bool
    attributes: tuple[AttributeDef, ...] = ()


@dataclass(frozen=True, slots=True)
class GridRef:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class CatalogSnapshot:
    categories: dict[str, CategoryRef]
    grids: list[GridRef]
    index: STRtree
    # (min_lng, min_lat, max_lng, max_lat) of all grids: the service area's extent.
    bounds: tuple[float, float, float, float] | None
    # 答复时限 in hours per request type the desk answers itself.
    reply_hours: dict[str, int]

    def active_category(self, code: str) -> CategoryRef | None:
        category = self.categories.get(code)
        return category if category is not None and category.active else None

    def known_grids(self, codes: list[str]) -> list[str]:
        """The codes, each once and sorted; 422 `unknown_grid` naming the first that is no grid."""
        known = {grid.code for grid in self.grids}
        unique = sorted(set(codes))
        unknown = [code for code in unique if code not in known]
        if unknown:
            raise ApiError(422, "unknown_grid", code=unknown[0])
        return unique

    def grid_at(self, lat: float, lng: float) -> GridRef | None:
        """The unit grid containing the point; on a shared edge the lowest code wins, so it is stable."""
        point = Point(lng, lat)
        hits = self.index.query(point, predicate="covered_by")
        return min((self.grids[i] for i in hits), key=lambda grid: grid.code, default=None)


class CatalogCache:
    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds
        self._snapshot: CatalogSnapshot | None = None
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()

    async def snapshot(self, session: AsyncSession) -> CatalogSnapshot:
        """Call it outside a transaction: a reload reads in a short transaction of its own."""
        if self._snapshot is None or time.monotonic() - self._loaded_at > self.ttl_seconds:
            async with self._lock:
                if self._snapshot is None or time.monotonic() - self._loaded_at > self.ttl_seconds:
                    async with session.begin():
                        self._snapshot = await load_snapshot(session)
                    self._loaded_at = time.monotonic()
        return self._snapshot

    def invalidate(self) -> None:
        self._snapshot = None


async def load_snapshot(session: AsyncSession) -> CatalogSnapshot:
    categories = {
        c.code: CategoryRef(
            code=c.code,
            kind=c.kind,
            parent_code=c.parent_code,
            name_zh=c.name_zh,
            name_en=c.name_en,
            deadline_hours=c.deadline_hours,
            active=c.active,
            attributes=tuple(msgspec.convert(c.attributes or [], list[AttributeDef])),
        )
        # In the file's order: lists built from the snapshot read as the city wrote them.
        for c in await session.scalars(select(Category).order_by(Category.position))
    }
    rows = list(await session.scalars(select(Grid)))
    shapes = [shape(grid.geometry) for grid in rows]
    shapely.prepare(shapes)
    grids = [GridRef(code=grid.code, name=grid.name) for grid in rows]
    bounds = tuple(float(v) for v in shapely.total_bounds(shapes)) if shapes else None
    return CatalogSnapshot(
        categories=categories,
        grids=grids,
        index=STRtree(shapes),
        bounds=bounds,  # type: ignore[arg-type]
        reply_hours=await stored_reply_hours(session),
    )


async def stored_reply_hours(session: AsyncSession) -> dict[str, int]:
    """答复时限 per request type, as the last category file set them."""
    rows = await session.execute(select(ReplyDeadline.request_type, ReplyDeadline.hours))
    return {request_type: hours for request_type, hours in rows}
