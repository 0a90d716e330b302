"""Engine, session factory and the column types shared by every part (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
import weakref
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Stable constraint names keep Alembic migrations identical on both databases.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both databases (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JsonDoc = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def create_engine(url: str, pool_size: int = 20, **kwargs: Any) -> AsyncEngine:
    """`pool_size`: PostgreSQL's connections kept open (settings.db_pool_size); SQLite keeps one."""
    # Errors never carry the statement's parameters: they hold citizens' text and phone numbers.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        # One connection, handed over in turn: SQLite has one writer anyway, and a queue in the pool
        # wakes the next request at once where competing connections would sleep in busy_timeout.
        engine = create_async_engine(
            url,
            connect_args={"timeout": 30},
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
            # Reset below, only when needed.
            pool_reset_on_return=None,
            **kwargs,
        )
        _tune_sqlite(engine)
        return engine
    return create_async_engine(
        url, pool_size=pool_size, max_overflow=pool_size // 2, pool_pre_ping=True, **kwargs
    )


def _tune_sqlite(engine: AsyncEngine, *, reader: bool = False) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control so that BEGIN IMMEDIATE can be issued below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if reader:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "reset")
    def _on_reset(dbapi_connection: Any, _record: Any, state: Any) -> None:
        if state.terminate_only:
            return  # about to be closed, which ends any transaction
        # A connection comes back with a transaction open only when its user failed or was cut off,
        # and a statement of that user's may still wait in the driver's queue. The rollback joins the
        # queue behind it, before the next user's statements, without waiting for it here: waiting
        # was a trip to the driver's thread per checkout, for nothing almost every time. (aiosqlite
        # runs queued calls in order; SQLAlchemy's adapter queues on the same private names.)
        driver = dbapi_connection.driver_connection
        connection = driver._conn  # noqa: SLF001
        driver._tx.put_nowait((None, lambda: connection.in_transaction and connection.rollback()))  # noqa: SLF001

    if reader:
        return

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A deferred transaction that reads and then writes fails at once with SQLITE_BUSY
        # when another writer got there first; IMMEDIATE waits its turn (busy_timeout) instead.
        # Not for a connection in autocommit (see autocommit() below).
        if not connection.get_execution_options().get("autocommit"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")


# SQLite's readers, by the engine that writes: made when first asked for (migrations never do).
_readers: weakref.WeakKeyDictionary[AsyncEngine, AsyncEngine] = weakref.WeakKeyDictionary()
# In WAL mode a reader never waits for the writer: a sign-in check or a queue page no longer queues
# behind a report being written on the one writing connection.
READERS = 4


def reader(engine: AsyncEngine) -> AsyncEngine:
    """The engine for reads of one statement in autocommit: on PostgreSQL the engine itself, on SQLite
    a pool of read-only connections beside its one writer."""
    if engine.dialect.name != "sqlite":
        return engine
    if engine not in _readers:
        readers = create_async_engine(
            engine.url,
            connect_args={"timeout": 30},
            pool_size=READERS,
            max_overflow=0,
            pool_timeout=60,
            pool_reset_on_return=None,
            hide_parameters=True,
        )
        _tune_sqlite(readers, reader=True)
        _readers[engine] = readers
    return _readers[engine]


async def dispose(engine: AsyncEngine) -> None:
    """Close the engine's connections, its readers' too."""
    readers = _readers.pop(engine, None)
    if readers is not None:
        await readers.dispose()
    await engine.dispose()


def autocommit(engine: AsyncEngine) -> dict[str, Any]:
    """Execution options for a connection whose statements each commit by themselves: a single read or
    a single atomic write without BEGIN and COMMIT round trips. SQLite's driver runs in autocommit
    already (isolation_level None above): the option only keeps _on_begin from beginning."""
    if engine.dialect.name == "postgresql":
        return {"isolation_level": "AUTOCOMMIT"}
    return {"autocommit": True}


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
