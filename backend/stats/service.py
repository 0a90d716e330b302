"""Indicators computed in the database from the cases reported in a period (city calendar days)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Row, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.guards import STAFF_ROLES, require_role
from backend.accounts.tokens import Principal
from backend.cases.models import Case
from backend.catalog.models import Category, Grid
from backend.catalog.service import category_name
from backend.departments.models import Department
from backend.errors import ApiError
from backend.i18n import translate
from backend.settings import Settings
from backend.stats.schemas import GroupBy, Indicators, Overview

MAX_DAYS = 366
_GROUP_COLUMN = {
    "grid": Case.grid_code,
    "category": Case.category_code,
    "department": Case.department_code,
    "request_type": Case.request_type,
}
_AGGREGATES = (
    func.count().label("reported"),
    func.count(Case.accepted_at).label("accepted"),
    func.count(Case.handled_at).label("handled"),
    func.count().filter(Case.handled_at <= Case.deadline_at).label("on_time"),
    func.count().filter(and_(Case.handled_at.is_not(None), Case.rework_count > 0)).label("reworked"),
    func.count().filter(Case.status == "closed").label("closed"),
    func.count(Case.rating_score).label("rated"),
    # The sum, not the mean: the total's mean is then derived from its groups' sums.
    func.sum(Case.rating_score).label("rating_sum"),
    func.count(Case.replied_at).label("replied"),
    func.count()
    .filter(
        and_(
            Case.replied_at.is_not(None), or_(Case.deadline_at.is_(None), Case.replied_at <= Case.deadline_at)
        )
    )
    .label("replied_on_time"),
)


async def overview(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    date_from: date | None,
    date_to: date | None,
    group_by: GroupBy,
    locale: str,
) -> Overview:
    require_role(principal, *STAFF_ROLES, "admin")
    date_from, date_to, start, end = city_days(settings, date_from, date_to)
    period = and_(Case.created_at >= start, Case.created_at < end)
    async with session.begin():
        groups: list[Indicators] = []
        if group_by == "none":
            total = tuple((await session.execute(select(*_AGGREGATES).where(period))).one())
        else:
            # One pass over the period: the total is the sum of its groups, not a second scan.
            column = _GROUP_COLUMN[group_by]
            rows = (await session.execute(select(column, *_AGGREGATES).where(period).group_by(column))).all()
            total = tuple(sum(r[i] or 0 for r in rows) for i in range(1, len(_AGGREGATES) + 1))
            names = await _names(session, group_by, {r[0] for r in rows if r[0]}, locale)
            groups = sorted(
                (_indicators(r[0], names.get(r[0]) or _unset(locale), r[1:]) for r in rows),
                key=lambda g: (-g.reported, g.key or ""),
            )
    return Overview(
        date_from=date_from,
        date_to=date_to,
        timezone=settings.timezone,
        group_by=group_by,
        total=_indicators(None, translate("ui.stats_total", locale), total),
        groups=groups,
    )


def city_days(
    settings: Settings, date_from: date | None, date_to: date | None
) -> tuple[date, date, datetime, datetime]:
    """The period (the last 30 days unless given) and its ends as instants: calendar days of the city,
    both ends included."""
    date_to = date_to or datetime.now(settings.tz).date()
    date_from = date_from or date_to - timedelta(days=29)
    if date_from > date_to or (date_to - date_from).days >= MAX_DAYS:
        raise ApiError(400, "invalid_period", max_days=MAX_DAYS)
    start = datetime.combine(date_from, time(), settings.tz)
    end = datetime.combine(date_to + timedelta(days=1), time(), settings.tz)
    return date_from, date_to, start, end


def _unset(locale: str) -> str:
    return translate("ui.stats_unassigned", locale)


async def _names(session: AsyncSession, group_by: GroupBy, keys: set[str], locale: str) -> dict[str, str]:
    if not keys:
        return {}
    if group_by == "request_type":
        return {key: translate(f"request_type.{key}", locale) for key in keys}
    if group_by == "grid":
        grids = await session.scalars(select(Grid).where(Grid.code.in_(keys)))
        return {g.code: (g.name_en or g.name) if locale == "en" else g.name for g in grids}
    model = Category if group_by == "category" else Department
    return {
        r.code: category_name(r, locale)
        for r in await session.scalars(select(model).where(model.code.in_(keys)))
    }


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _indicators(key: str | None, name: str, row: Row[Any] | tuple[Any, ...]) -> Indicators:
    reported, accepted, handled, on_time, reworked, closed, rated, rating_sum, replied, replied_on_time = row
    return Indicators(
        key=key,
        name=name,
        reported=reported,
        accepted=accepted,
        acceptance_rate=rate(accepted, reported),
        handled=handled,
        on_time=on_time,
        on_time_rate=rate(on_time, handled),
        reworked=reworked,
        rework_rate=rate(reworked, handled),
        closed=closed,
        closure_rate=rate(closed, accepted),
        rated=rated,
        satisfaction=round(rating_sum / rated, 2) if rated else None,
        replied=replied,
        replied_on_time=replied_on_time,
        reply_on_time_rate=rate(replied_on_time, replied),
    )


CSV_COLUMNS = (
    "key", "name", "reported", "accepted", "acceptance_rate", "handled", "on_time", "on_time_rate",
    "reworked", "rework_rate", "closed", "closure_rate", "rated", "satisfaction",
    "replied", "replied_on_time", "reply_on_time_rate",
)  # fmt: skip


def overview_csv(report: Overview) -> str:
    """One row per group, then the total; a BOM so that spreadsheet programs read the Chinese names."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in [*report.groups, report.total]:
        writer.writerow(["" if (v := getattr(row, c)) is None else v for c in CSV_COLUMNS])
    return buffer.getvalue()
