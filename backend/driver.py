"""SQLite's hot paths in one call into aiosqlite's thread.

Through SQLAlchemy, each cursor step (open, execute, fetch, close) is a trip to that thread and back,
and each trip waits its turn in a busy event loop while the app's one SQLite connection stays held:
under load, the trips, not the SQL, set how many requests a second SQLite serves. A DriverStatement
is compiled once with the bind and result processors SQLAlchemy would apply, and `call` runs a whole
function of them on the driver's connection in one trip.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backend.db import autocommit, reader

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class DriverStatement:
    """A statement compiled for the driver, with the values of the literals SQLAlchemy bound itself
    (the 1 of last_no + 1)."""

    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    literals: dict[str, Any]
    results: tuple[Callable[[Any], Any] | None, ...]
    # An IN over a list bound whole (expanding) is only written out by SQLAlchemy's own execution.
    expanding: bool

    @classmethod
    def of(cls, statement: Any, dialect: Dialect) -> DriverStatement:
        compiled = statement.compile(dialect=dialect)
        names = tuple(compiled.positiontup or ())
        binds = [compiled.binds[name] for name in names]
        literals = compiled.construct_params(_check=False)
        columns = getattr(statement, "selected_columns", None) or getattr(statement, "_returning", ())
        return cls(
            sql=str(compiled),
            names=names,
            processors=tuple(bind.type.dialect_impl(dialect).bind_processor(dialect) for bind in binds),
            literals={name: value for name, value in literals.items() if value is not None},
            results=tuple(
                column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
            ),
            expanding=any(bind.expanding for bind in compiled.binds.values()),
        )

    def params(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        given = self.literals | dict(values)
        return tuple(
            process(given[name]) if process else given[name]
            for name, process in zip(self.names, self.processors, strict=True)
        )

    def run(self, connection: sqlite3.Connection, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Execute it (in the driver's thread) and return its rows as SQLAlchemy would type them."""
        rows = connection.execute(self.sql, self.params(values)).fetchall()
        return [
            tuple(
                process(value) if process else value for process, value in zip(self.results, row, strict=True)
            )
            for row in rows
        ]


@functools.lru_cache(maxsize=256)
def prepared(statement: Any, dialect: Dialect) -> DriverStatement:
    """Compiled once per statement object (module-level constants) and dialect."""
    return DriverStatement.of(statement, dialect)


async def call(connection: AsyncConnection, fn: Callable[..., T], *args: Any) -> T:
    """fn(sqlite3 connection, *args) in aiosqlite's thread, in one trip. aiosqlite queues its own
    calls the same way, and so does SQLAlchemy's adapter (with the same private names)."""
    driver = (await connection.get_raw_connection()).driver_connection
    try:
        return await driver._execute(fn, driver._conn, *args)  # noqa: SLF001
    except sqlite3.Error as error:
        # As SQLAlchemy would raise it (IntegrityError for a duplicate key, and so on), without the
        # statement or its values.
        raise DBAPIError.instance(None, None, error, sqlite3.Error, hide_parameters=True) from error


async def fetch(
    connection: AsyncConnection, statement: Any, values: Mapping[str, Any]
) -> Sequence[Sequence[Any]]:
    """A read's rows, to unpack by position: in one trip on SQLite, as any statement elsewhere."""
    dialect = connection.dialect
    if dialect.name == "sqlite":
        compiled = prepared(statement, dialect)
        if not compiled.expanding:
            return await call(connection, compiled.run, values)
    return (await connection.execute(statement, dict(values))).all()


async def read_once(
    engine: AsyncEngine, statement: Any, values: Mapping[str, Any]
) -> Sequence[Sequence[Any]]:
    """A read of one statement, outside any transaction: a statement sees one snapshot by itself, so
    BEGIN and COMMIT would be two round trips for nothing (and on SQLite, BEGIN IMMEDIATE would take
    the write lock for a read)."""
    readers = reader(engine)
    async with readers.connect() as connection:
        await connection.execution_options(**autocommit(readers))
        return await fetch(connection, statement, values)
