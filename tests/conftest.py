"""Shared fixtures: a migrated, catalogued database on SQLite and on a real PostgreSQL, and an API
client that talks to the real app over ASGI in the test's own event loop (so concurrent requests
really overlap)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from litestar import Litestar
from sqlalchemy import delete

from backend.app import close_resources, create_app, open_resources
from backend.catalog.service import DEFAULT_CATEGORY_FILE, DEMO_GRID_FILE, import_grids, load_categories
from backend.db import create_engine, session_factory
from backend.departments.service import DEMO_DEPARTMENT_FILE, load_departments
from backend.migrations import upgrade
from backend.models import (
    ApiKey,
    AuditEntry,
    AuthSession,
    Case,
    CaseCount,
    CaseDue,
    CaseFollower,
    CoordinationCallback,
    GridAssignment,
    LiveEvent,
    Notification,
    NotificationPreference,
    NotifyEvent,
    OtpChallenge,
    OutboxEvent,
    Photo,
    PositionCheck,
    PushDelivery,
    PushSubscription,
    QuotaHit,
    ReplyTemplate,
    RollCall,
    RoutingRule,
    Shift,
    SmsOutcome,
    Task,
    TimelineEntry,
    TrackBatch,
    TrackingCounter,
    TrackPoint,
    User,
    VoiceNote,
)
from backend.settings import Settings, load_settings

PG_ADMIN_URL = os.environ.get("CITY_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
# Child tables first, so deleting respects foreign keys on both databases.
MUTABLE_TABLES = (
    SmsOutcome,
    PushDelivery,
    PushSubscription,
    Notification,
    NotifyEvent,
    NotificationPreference,
    RoutingRule,
    ReplyTemplate,
    AuditEntry,
    LiveEvent,
    OutboxEvent,
    CoordinationCallback,
    PositionCheck,
    Task,
    RollCall,
    VoiceNote,
    TrackBatch,
    TrackPoint,
    Shift,
    GridAssignment,
    TimelineEntry,
    CaseFollower,
    Photo,
    Case,
    CaseCount,
    CaseDue,
    TrackingCounter,
    OtpChallenge,
    QuotaHit,
    AuthSession,
    ApiKey,
    User,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest files first (the browser tests, the worker processes): with two workers
    (`make test`), the short API files then fill in at the end instead of one worker finishing the
    long ones alone. The order within a file is kept."""
    long_files = ("test_outbox_processes.py",)
    items.sort(key=lambda item: not ("e2e" in item.path.parts or item.path.name in long_files))


async def _load_catalog(url: str) -> None:
    engine = create_engine(url)
    async with session_factory(engine)() as session, session.begin():
        await load_categories(session, DEFAULT_CATEGORY_FILE.read_bytes())
        await import_grids(session, DEMO_GRID_FILE.read_bytes())
        await load_departments(session, DEMO_DEPARTMENT_FILE.read_bytes())
    await engine.dispose()


def _prepare(url: str) -> str:
    upgrade(url)
    asyncio.run(_load_catalog(url))
    return url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _prepare(f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}")


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """A database of this run's own on the machine's PostgreSQL, dropped afterwards."""
    name = f"city_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield _prepare(f"{base}/{name}")
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # An empty environment: the developer's own CITY_* variables never leak into a test.
    return load_settings(
        {},
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-that-is-long-enough-for-hs256",
        # Tests run the maintenance jobs themselves, when they mean to.
        worker="off",
    )


@pytest.fixture(scope="session")
def built_app(tmp_path_factory: pytest.TempPathFactory) -> Litestar:
    """The app's routes, built once: building them (handlers, signatures, schema) was most of each
    API test's setup. What a test may change lives in its state, made afresh for every test."""
    return create_app(
        load_settings(
            {},
            data_dir=tmp_path_factory.mktemp("app"),
            secret_key="test-secret-that-is-long-enough-for-hs256",
            worker="off",
        )
    )


@pytest.fixture
async def app(built_app: Litestar, settings: Settings) -> AsyncIterator[Litestar]:
    built_app.state.clear()
    built_app.state.settings = settings
    # The startup and shutdown hooks, called directly: pytest-asyncio runs a fixture's setup and
    # teardown in different tasks, which Litestar's lifespan task group does not allow.
    await open_resources(built_app)
    await _empty_tables(built_app)
    yield built_app
    await close_resources(built_app)


async def _empty_tables(application: Litestar) -> None:
    # DELETE, child tables first, on both databases: a test leaves a few rows, and PostgreSQL's
    # TRUNCATE of thirty tables cost 150 ms each time against 30 ms for this.
    async with application.state.sessionmaker() as session, session.begin():
        for model in MUTABLE_TABLES:
            await session.execute(delete(model))


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://city.test") as http:
        yield http
