"""/api/v1/stats: evaluation indicators as JSON, and as CSV for a spreadsheet."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.tokens import Principal
from backend.settings import Settings
from backend.stats import service
from backend.stats.schemas import GroupBy, Overview

FromDate = Annotated[date | None, QueryParameter(name="from")]
ToDate = Annotated[date | None, QueryParameter(name="to")]


class StatsController(Controller):
    path = "/api/v1/stats"
    tags = ["stats"]

    @get("/overview", summary="Indicators of the cases reported in a period (city days, both ends included)")
    async def overview(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        locale: NamedDependency[str],
        date_from: FromDate = None,
        date_to: ToDate = None,
        group_by: Annotated[GroupBy, QueryParameter()] = "none",
    ) -> Overview:
        return await service.overview(db_session, settings, principal, date_from, date_to, group_by, locale)

    @get("/overview.csv", summary="The same indicators as CSV (UTF-8 with BOM)")
    async def overview_csv(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        locale: NamedDependency[str],
        date_from: FromDate = None,
        date_to: ToDate = None,
        group_by: Annotated[GroupBy, QueryParameter()] = "none",
    ) -> Response[str]:
        report = await service.overview(db_session, settings, principal, date_from, date_to, group_by, locale)
        filename = f"indicators-{report.date_from}-{report.date_to}-{group_by}.csv"
        return Response(
            service.overview_csv(report),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
