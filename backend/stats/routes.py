"""/api/v1/stats: evaluation indicators as JSON, and as CSV for a spreadsheet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from litestar import Controller, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.tokens import Principal
from backend.edge.caching import NO_STORE
from backend.settings import Settings
from backend.stats import service
from backend.stats.inspectors import inspector_overview
from backend.stats.schemas import GroupBy, InspectorOverview, Overview


@dataclass(frozen=True, slots=True)
class Period:
    date_from: date | None
    date_to: date | None
    group_by: GroupBy


def period(
    date_from: Annotated[date | None, QueryParameter(name="from")] = None,
    date_to: Annotated[date | None, QueryParameter(name="to")] = None,
    group_by: Annotated[GroupBy, QueryParameter()] = "none",
) -> Period:
    return Period(date_from, date_to, group_by)


class StatsController(Controller):
    path = "/api/v1/stats"
    tags = ["stats"]
    cache_control = NO_STORE
    dependencies = {"period": Provide(period, sync_to_thread=False)}

    @get("/overview", summary="Indicators of the cases reported in a period (city days, both ends included)")
    async def overview(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        locale: NamedDependency[str],
        period: NamedDependency[Period],
    ) -> Overview:
        return await service.overview(
            db_session, settings, principal, period.date_from, period.date_to, period.group_by, locale
        )

    @get("/overview.csv", summary="The same indicators as CSV (UTF-8 with BOM)", media_type="text/csv")
    async def overview_csv(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        locale: NamedDependency[str],
        period: NamedDependency[Period],
    ) -> Response[str]:
        report = await service.overview(
            db_session, settings, principal, period.date_from, period.date_to, period.group_by, locale
        )
        filename = f"indicators-{report.date_from}-{report.date_to}-{report.group_by}.csv"
        return Response(
            service.overview_csv(report),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    @get("/inspectors", summary="Inspector indicators of a period: reports, on-time tasks, patrol")
    async def inspectors(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        period: NamedDependency[Period],
    ) -> InspectorOverview:
        return await inspector_overview(db_session, settings, principal, period.date_from, period.date_to)
