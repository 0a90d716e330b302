"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from backend.db import create_engine
from backend.migrations import include_object
from backend.models import metadata


async def differences(url: str) -> list[object]:
    engine = create_engine(url)
    async with engine.connect() as connection:
        found = await connection.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(
                    sync, opts={"compare_type": True, "include_object": include_object}
                ),
                metadata,
            )
        )
    await engine.dispose()
    return found


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_models_match_the_migrated_schema(database: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue(f"{database}_url")
    assert asyncio.run(differences(url)) == []


def test_text_search_has_trigram_indexes_on_postgresql(postgresql_url: str) -> None:
    async def index_names() -> set[str]:
        engine = create_engine(postgresql_url)
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT indexname FROM pg_indexes WHERE tablename = 'cases'")
            )
            names = {row[0] for row in rows}
        await engine.dispose()
        return names

    assert {"ix_cases_description_trgm", "ix_cases_address_trgm"} <= asyncio.run(index_names())
