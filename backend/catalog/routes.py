"""GET /api/v1/categories."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from backend.catalog import service
from backend.catalog.schemas import CatalogOut


class CatalogController(Controller):
    path = "/api/v1/categories"
    tags = ["catalog"]

    @get("/", summary="Request types and the GB/T 30428.2 component and event classes with their deadlines")
    async def categories(
        self, db_session: NamedDependency[AsyncSession], locale: NamedDependency[str]
    ) -> Response[CatalogOut]:
        async with db_session.begin():
            body = await service.catalog(db_session, locale)
        return Response(body, headers={"Cache-Control": "public, max-age=300", "Vary": "Accept-Language"})
