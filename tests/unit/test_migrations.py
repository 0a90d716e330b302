"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from backend.db import create_engine
from backend.migrations import alembic_config, include_object
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


def test_old_notes_split_into_public_messages_and_internal_notes(tmp_path: Path) -> None:
    """Rejection reasons and the department's feedback were written for the citizen; every other note
    stays with staff, since nobody can tell now whether its writer meant it for the public."""
    database = tmp_path / "old.db"
    config = alembic_config(f"sqlite+aiosqlite:///{database}")
    command.upgrade(config, "0005")
    notes = {
        "reject": "不属于城市管理范围",
        "handle": "已更换井盖",
        "accept": "属实，内部核对过",
        "check_fail": "仍松动",
    }
    user, case, at = uuid.uuid4().hex, uuid.uuid4().hex, "2026-11-25 00:00:00.000000"
    with sqlite3.connect(database) as connection:
        connection.execute(
            "INSERT INTO users (id, kind, roles, is_active, created_at) VALUES (?, 'device', '[]', 1, ?)",
            (user, at),
        )
        connection.execute(
            "INSERT INTO grids (code, name, geometry, min_lat, max_lat, min_lng, max_lng)"
            " VALUES ('G1', 'G1', '{}', 0, 1, 0, 1)"
        )
        connection.execute(
            "INSERT INTO cases (id, tracking_no, client_id, source, request_type, description, lat, lng,"
            " grid_code, status, version, reporter_id, created_at, updated_at, rework_count)"
            " VALUES (?, '2026112500001', ?, 'citizen', 'complaint', 'x', 0.5, 0.5, 'G1', 'closed', 5, ?,"
            " ?, ?, 0)",
            (case, uuid.uuid4().hex, user, at, at),
        )
        connection.executemany(
            "INSERT INTO timeline_entries"
            " (id, case_id, action, status, actor_role, note, photo_ids, occurred_at)"
            " VALUES (?, ?, ?, 'submitted', 'dispatcher', ?, '[]', ?)",
            [(uuid.uuid4().hex, case, action, note, at) for action, note in notes.items()],
        )
    command.upgrade(config, "head")
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT action, public_message, internal_note FROM timeline_entries"
        ).fetchall()
    assert {action: (public, internal) for action, public, internal in rows} == {
        "reject": (notes["reject"], None),
        "handle": (notes["handle"], None),
        "accept": (None, notes["accept"]),
        "check_fail": (None, notes["check_fail"]),
    }
