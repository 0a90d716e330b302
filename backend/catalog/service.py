"""Categories and unit grids: loading a city's files, listing, and the point-in-grid lookup."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import msgspec
import shapely
from shapely.geometry import shape
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.catalog.lookup import stored_reply_hours
from backend.catalog.models import Category, Grid, ReplyDeadline
from backend.catalog.schemas import (
    KIND_PREFIX,
    REQUEST_TYPES,
    TYPES_NEEDING_CATEGORY,
    TYPES_THE_DESK_ANSWERS,
    CatalogOut,
    CategoryFile,
    CategoryOut,
    GridFile,
    Names,
    RequestTypeOut,
)
from backend.i18n import translate

T = TypeVar("T")
DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_CATEGORY_FILE = DATA_DIR / "categories.json"
DEMO_GRID_FILE = DATA_DIR / "demo-grids.geojson"


class CatalogFileError(ValueError):
    """A city's file that cannot be loaded as it is; nothing was written."""


@dataclass(frozen=True, slots=True)
class LoadReport:
    loaded: int
    retired: int


def _decode(data: bytes, shape_of: type[T]) -> T:
    try:
        return msgspec.json.decode(data, type=shape_of)
    except msgspec.DecodeError as exc:  # not JSON, or JSON of the wrong shape
        raise CatalogFileError(str(exc)) from exc


@dataclass(frozen=True, slots=True)
class ParsedCategories:
    rows: list[Category]
    reply_hours: dict[str, int] | None


def parse_category_file(data: bytes) -> ParsedCategories:
    parsed = _decode(data, CategoryFile)
    if parsed.reply_hours and (stray := sorted(set(parsed.reply_hours) - TYPES_THE_DESK_ANSWERS)):
        raise CatalogFileError(f"reply_hours for types the desk does not answer: {', '.join(stray)}")
    rows: list[Category] = []
    position = 0
    for kind, majors in (("component", parsed.component), ("event", parsed.event)):
        prefix = KIND_PREFIX[kind]
        for major in majors:
            major_code = prefix + major.code
            rows.append(
                Category(
                    code=major_code,
                    kind=kind,
                    gb_code=major.code,
                    parent_code=None,
                    name_zh=major.zh,
                    name_en=major.en,
                    deadline_hours=None,
                    icon=None,
                    position=position,
                    active=True,
                    attributes=None,
                )
            )
            position += 1
            for minor in major.minors:
                if not minor.code.startswith(major.code) or minor.code == major.code:
                    raise CatalogFileError(
                        f"{kind} minor class {minor.code} is not under major class {major.code}"
                    )
                rows.append(
                    Category(
                        code=prefix + minor.code,
                        kind=kind,
                        gb_code=minor.code,
                        parent_code=major_code,
                        name_zh=minor.zh,
                        name_en=minor.en,
                        deadline_hours=minor.deadline_hours,
                        icon=minor.icon,
                        position=position,
                        active=True,
                        attributes=msgspec.to_builtins(minor.attributes) or None,
                    )
                )
                position += 1
    codes = [row.code for row in rows]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise CatalogFileError(f"duplicate codes: {', '.join(duplicates)}")
    return ParsedCategories(rows, dict(parsed.reply_hours) if parsed.reply_hours is not None else None)


async def load_categories(session: AsyncSession, data: bytes) -> LoadReport:
    """Upsert a city's categories; codes missing from the file are retired, never deleted. Its reply
    deadlines, if it has any, replace the stored ones."""
    parsed = parse_category_file(data)
    codes = {row.code for row in parsed.rows}
    # Majors before minors so the parent key exists when a minor arrives.
    for row in parsed.rows:
        await session.merge(row)
    result = await session.execute(
        update(Category).where(Category.code.not_in(codes), Category.active.is_(True)).values(active=False)
    )
    if parsed.reply_hours is not None:
        await session.execute(delete(ReplyDeadline))
        session.add_all(ReplyDeadline(request_type=t, hours=h) for t, h in parsed.reply_hours.items())
    return LoadReport(loaded=len(parsed.rows), retired=result.rowcount or 0)


async def catalog(session: AsyncSession, locale: str) -> CatalogOut:
    rows = list(
        await session.scalars(select(Category).where(Category.active.is_(True)).order_by(Category.position))
    )
    minors_of: dict[str, list[CategoryOut]] = {}
    for row in rows:
        if row.parent_code is not None:
            minors_of.setdefault(row.parent_code, []).append(_category_out(row, locale))
    majors = [
        msgspec.structs.replace(_category_out(row, locale), minors=minors_of.get(row.code, []))
        for row in rows
        if row.parent_code is None
    ]
    reply_hours = await stored_reply_hours(session)
    types = [
        RequestTypeOut(
            code=code,
            name=translate(f"request_type.{code}", locale),
            needs_category=code in TYPES_NEEDING_CATEGORY,
            reply_hours=reply_hours.get(code),
        )
        for code in REQUEST_TYPES
    ]
    return CatalogOut(request_types=types, categories=majors)


def _category_out(row: Category, locale: str) -> CategoryOut:
    return CategoryOut(
        code=row.code,
        kind=row.kind,  # type: ignore[arg-type]
        gb_code=row.gb_code,
        name=category_name(row, locale),
        names=Names(zh_cn=row.name_zh, en=row.name_en),
        deadline_hours=row.deadline_hours,
        icon=row.icon,
        parent_code=row.parent_code,
    )


class Named(Protocol):
    name_zh: str
    name_en: str


def category_name(category: Named, locale: str) -> str:
    return category.name_en if locale == "en" else category.name_zh


def parse_grid_file(data: bytes) -> list[Grid]:
    parsed = _decode(data, GridFile)
    grids: list[Grid] = []
    seen: set[str] = set()
    for feature in parsed.features:
        props = feature.properties
        if props.code in seen:
            raise CatalogFileError(f"grid {props.code} appears twice")
        seen.add(props.code)
        try:
            geometry = shape(feature.geometry)
        except (ValueError, TypeError, KeyError, shapely.errors.GEOSException) as exc:
            raise CatalogFileError(f"grid {props.code}: unreadable geometry ({exc})") from exc
        if (
            geometry.geom_type not in ("Polygon", "MultiPolygon")
            or not geometry.is_valid
            or geometry.is_empty
        ):
            raise CatalogFileError(f"grid {props.code}: geometry must be a valid Polygon or MultiPolygon")
        min_lng, min_lat, max_lng, max_lat = geometry.bounds
        if not (-90 <= min_lat <= max_lat <= 90 and -180 <= min_lng <= max_lng <= 180):
            raise CatalogFileError(f"grid {props.code}: coordinates are not WGS84 [lng, lat]")
        grids.append(
            Grid(
                code=props.code,
                name=props.name,
                name_en=props.name_en,
                street=props.street,
                community=props.community,
                geometry=shapely.geometry.mapping(geometry),
                min_lat=min_lat,
                max_lat=max_lat,
                min_lng=min_lng,
                max_lng=max_lng,
            )
        )
    return grids


async def import_grids(session: AsyncSession, data: bytes) -> int:
    """Upsert grids by code. Grids absent from the file stay: cases keep pointing at them."""
    grids = parse_grid_file(data)
    for grid in grids:
        await session.merge(grid)
    return len(grids)
