"""The catalog snapshot as a dependency, for the parts whose handlers need it."""

from __future__ import annotations

from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from backend.catalog.lookup import CatalogSnapshot


async def provide_catalog(state: State, db_session: NamedDependency[AsyncSession]) -> CatalogSnapshot:
    snapshot: CatalogSnapshot = await state.catalog.snapshot(db_session)
    return snapshot


CATALOG_DEPENDENCIES = {"catalog": Provide(provide_catalog)}
