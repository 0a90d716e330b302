"""A new case stored in one go: its tracking number, the case, the rows its first step writes (timeline
entry, outbox row, live-feed row, notify event), its photos claimed and its status (and deadline)
counted.

One statement on PostgreSQL, one call into the driver's thread on SQLite. The day's counter row is
then locked only while that one statement runs, not across a round trip per row through a busy event
loop: with sixteen concurrent reports, thirteen connections used to wait on it (bench/create_request.py).
Called by the workflow alone (workflow.submit), which builds the rows.
"""

from __future__ import annotations

import functools
import sqlite3
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import (
    Column,
    Select,
    Table,
    TextClause,
    Uuid,
    bindparam,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from backend import driver
from backend.cases import tally
from backend.cases.models import Case, TimelineEntry, TrackingCounter
from backend.coordination.models import OutboxEvent
from backend.db import Base, autocommit
from backend.driver import DriverStatement
from backend.notify.models import LiveEvent, NotifyEvent
from backend.uploads.models import Photo

_CASES = Case.__table__
_COUNTER = TrackingCounter.__table__
_PHOTOS = Photo.__table__
# The rows a first step writes besides the case, in this order, and where in each one's JSON payload
# the tracking number goes once the counter has given it.
ROW_TABLES: tuple[Table, ...] = (
    TimelineEntry.__table__,
    OutboxEvent.__table__,
    LiveEvent.__table__,
    NotifyEvent.__table__,
)
_NUMBER_AT: dict[str, tuple[str, ...]] = {
    "outbox_events": ("case", "tracking_no"),
    "live_events": ("tracking_no",),
    "notify_events": ("tracking_no",),
}


@dataclass(frozen=True, slots=True)
class NewCase:
    """What to store: the case's columns (without its number) and one row per table of ROW_TABLES."""

    case: dict[str, Any]
    rows: Sequence[dict[str, Any]]
    photo_ids: Sequence[uuid.UUID]
    owner_id: uuid.UUID
    day: str
    # Its case_counts and case_dues keys (tally.counted_as).
    counted: tally.Counted


def values_of(row: Base) -> dict[str, Any]:
    """A new ORM object's column values, with the defaults its flush would have filled in."""
    values = {}
    for column in _written(row.__table__):
        value = getattr(row, column.key)
        default = column.default
        if value is None and default is not None:
            value = default.arg if default.is_scalar else default.arg(None)  # type: ignore[attr-defined]
        values[column.key] = value
    return values


def tracking_no(day: str, number: int) -> str:
    """YYYYMMDD (city time) + a 5-digit daily sequence, e.g. 2026112500042."""
    return f"{day}{number:05d}"


async def store(session: AsyncSession, new: NewCase) -> str | None:
    """Store it and return its tracking number; None when one of the photos cannot be claimed (nothing
    is stored then). In the session's transaction if it has one; else on a connection of its own in
    autocommit, the statement atomic by itself. A client_id already stored raises IntegrityError,
    nothing stored either."""
    if session.in_transaction():
        return await _store(await session.connection(), new)
    engine = session.bind
    async with engine.connect() as connection:
        await connection.execution_options(**autocommit(engine))
        return await _store(connection, new)


async def _store(connection: AsyncConnection, new: NewCase) -> str | None:
    dialect = connection.dialect
    if dialect.name == "postgresql":
        number = (await connection.execute(_pg_statement(), _pg_values(new))).scalar_one_or_none()
    else:
        # In autocommit, the writer begins and commits itself, in the same call.
        number = await driver.call(connection, _sqlite_writer(dialect), new)
    if number is None and await driver.fetch(connection, _STORED, {"client_id": new.case["client_id"]}):
        # A retry of a report whose photos it claimed: the same answer as any retry's.
        raise IntegrityError(None, None, ValueError("client_id stored already"))
    return number


_STORED = select(literal(True)).where(
    _CASES.c.client_id == bindparam("client_id", type_=_CASES.c.client_id.type)
)


def _pg_values(new: NewCase) -> dict[str, Any]:
    """Each row as one JSON document (msgspec writes UUIDs and datetimes as PostgreSQL reads them):
    a handful of parameters, not one per column, keeps psycopg's converted-query cache in use."""
    rows = {table.name: _json(row) for table, row in zip(ROW_TABLES, new.rows, strict=True)}
    counted = dict(zip(tally.KEY_COLUMNS, new.counted.key, strict=True))
    return rows | {
        "cases": _json(new.case),
        "day": new.day,
        "photo_owner": new.owner_id,
        "photo_ids": list(new.photo_ids),
        "photo_count": len(new.photo_ids),
        "counted": _json(counted),
        "due_day": new.counted.due[1] if new.counted.due else None,
    }


def _json(row: Mapping[str, Any]) -> str:
    return msgspec.json.encode(row).decode()


def _written(table: Table) -> list[Column[Any]]:
    """The columns a row is given: all but a number the database assigns (live_events.seq)."""
    return [column for column in table.columns if column is not table.autoincrement_column]


@functools.cache
def _pg_statement() -> TextClause:
    """Built once. `checked`: the photos locked, all of them claimable? `numbered`: the day's
    counter. Then the case, the step's rows, the photos claimed and the status counted, each read
    from its JSON document (jsonb_populate_record) and written only if the photos were claimable.
    A duplicate client_id fails the whole statement, counter included: numbers stay gapless."""
    steps = ",\n".join(
        f"new_{table.name} AS ({_insert_from_json(table, 'new_case', _numbered_payload(table))})"
        for table in ROW_TABLES
    )
    key = ", ".join(tally.KEY_COLUMNS)
    from_key = ", ".join(f"r.{column}" for column in tally.KEY_COLUMNS)
    # The keys as tally.counted_as made them: that one function says how a case is counted.
    sql = f"""WITH checked AS (
  SELECT count(*) = :photo_count AS ok FROM (
    SELECT id FROM photos
    WHERE id = ANY(CAST(:photo_ids AS uuid[])) AND owner_id = :photo_owner AND case_id IS NULL
    FOR UPDATE) AS claimable),
numbered AS (
  INSERT INTO tracking_counters (day, last_no) SELECT :day, 1 WHERE (SELECT ok FROM checked)
  ON CONFLICT (day) DO UPDATE SET last_no = tracking_counters.last_no + 1
  RETURNING day || lpad(CAST(last_no AS text), 5, '0') AS tracking_no),
new_case AS ({_insert_from_json(_CASES, "numbered", {"tracking_no": "numbered.tracking_no"})}
  RETURNING id, tracking_no, status),
{steps},
claimed AS (
  UPDATE photos SET case_id = (SELECT id FROM new_case),
    position = array_position(CAST(:photo_ids AS uuid[]), id) - 1
  WHERE id = ANY(CAST(:photo_ids AS uuid[])) AND case_id IS NULL AND (SELECT ok FROM checked)),
counted AS (
  INSERT INTO case_counts ({key}, n) SELECT {from_key}, 1
  FROM new_case, jsonb_populate_record(CAST(NULL AS case_counts), CAST(:counted AS jsonb)) AS r
  ON CONFLICT ({key}) DO UPDATE SET n = case_counts.n + excluded.n),
due AS (
  INSERT INTO case_dues (status, due_day, n) SELECT new_case.status, CAST(:due_day AS text), 1 FROM new_case
  WHERE CAST(:due_day AS text) IS NOT NULL
  ON CONFLICT (status, due_day) DO UPDATE SET n = case_dues.n + excluded.n)
SELECT tracking_no FROM new_case"""
    return text(sql).bindparams(bindparam("photo_owner", type_=Uuid()))


def _insert_from_json(table: Table, source: str, given: Mapping[str, str]) -> str:
    """INSERT INTO table (...) SELECT <the document's columns, or what `given` says> FROM source and
    the row read from the table's JSON document."""
    columns = [column.name for column in _written(table)]
    values = ", ".join(given.get(name, f"r.{name}") for name in columns)
    return (
        f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT {values} FROM {source}, "
        f"jsonb_populate_record(CAST(NULL AS {table.name}), CAST(:{table.name} AS jsonb)) AS r"
    )


def _numbered_payload(table: Table) -> dict[str, str]:
    path = _NUMBER_AT.get(table.name)
    if path is None:
        return {}
    return {"payload": f"jsonb_set(r.payload, '{{{','.join(path)}}}', to_jsonb(new_case.tracking_no))"}


def _plain_insert(table: Table, dialect: Dialect) -> DriverStatement:
    return DriverStatement.of(
        insert(table).values({c.key: bindparam(c.key) for c in _written(table)}), dialect
    )


_writers: dict[str, Callable[[sqlite3.Connection, NewCase], str | None]] = {}


def _sqlite_writer(dialect: Dialect) -> Callable[[sqlite3.Connection, NewCase], str | None]:
    """The same writes as the PostgreSQL statement, run in the driver's thread on its connection:
    SQLite has one writer, so checking the photos and then claiming them cannot race."""
    if dialect.name in _writers:
        return _writers[dialect.name]
    counter = DriverStatement.of(
        sqlite_insert(_COUNTER)
        .values(day=bindparam("day"), last_no=1)
        .on_conflict_do_update(index_elements=[_COUNTER.c.day], set_={"last_no": _COUNTER.c.last_no + 1})
        .returning(_COUNTER.c.last_no),
        dialect,
    )
    case_insert = _plain_insert(_CASES, dialect)
    row_inserts = [_plain_insert(table, dialect) for table in ROW_TABLES]
    # One check per number of photos (a report has a few at most), built when first needed.
    claimable: dict[int, DriverStatement] = {}
    claim = DriverStatement.of(
        update(_PHOTOS)
        .where(_PHOTOS.c.id == bindparam("photo_id"), _PHOTOS.c.case_id.is_(None))
        .values(case_id=bindparam("claimed_by"), position=bindparam("claimed_at")),
        dialect,
    )
    count, due = (DriverStatement.of(upsert, dialect) for upsert in tally.upserts(sqlite_insert))

    def photos_claimable(connection: sqlite3.Connection, new: NewCase) -> bool:
        if not new.photo_ids:
            return True
        n = len(new.photo_ids)
        if n not in claimable:
            claimable[n] = DriverStatement.of(_claimable_count(n), dialect)
        values = {f"photo_{i}": photo for i, photo in enumerate(new.photo_ids)}
        found = connection.execute(
            claimable[n].sql, claimable[n].params(values | {"photo_owner": new.owner_id})
        )
        return bool(found.fetchone()[0] == n)

    def write(connection: sqlite3.Connection, new: NewCase) -> str | None:
        own = not connection.in_transaction
        if own:
            connection.execute("BEGIN IMMEDIATE")
        try:
            if not photos_claimable(connection, new):
                if own:
                    connection.execute("ROLLBACK")
                return None
            (last_no,) = connection.execute(counter.sql, counter.params({"day": new.day})).fetchone()
            number = tracking_no(new.day, last_no)
            case = new.case | {"tracking_no": number}
            connection.execute(case_insert.sql, case_insert.params(case))
            for table, prepared, row in zip(ROW_TABLES, row_inserts, new.rows, strict=True):
                path = _NUMBER_AT.get(table.name)
                if path:
                    row = row | {"payload": _with(row["payload"], path, number)}
                connection.execute(prepared.sql, prepared.params(row))
            for position, photo in enumerate(new.photo_ids):
                values = {"photo_id": photo, "claimed_by": case["id"], "claimed_at": position}
                connection.execute(claim.sql, claim.params(values))
            for statement, columns, key in (
                (count, tally.KEY_COLUMNS, new.counted.key),
                (due, tally.DUE_COLUMNS, new.counted.due),
            ):
                if key is not None:
                    values = dict(zip(columns, key, strict=True)) | {"n": 1}
                    connection.execute(statement.sql, statement.params(values))
        except BaseException:
            if own:
                connection.execute("ROLLBACK")
            raise
        if own:
            connection.execute("COMMIT")
        return number

    _writers[dialect.name] = write
    return write


def _claimable_count(n: int) -> Select[Any]:
    """How many of n photos are the owner's and attached to no case yet."""
    return (
        select(func.count())
        .select_from(_PHOTOS)
        .where(
            _PHOTOS.c.id.in_([bindparam(f"photo_{i}", type_=_PHOTOS.c.id.type) for i in range(n)]),
            _PHOTOS.c.owner_id == bindparam("photo_owner", type_=_PHOTOS.c.owner_id.type),
            _PHOTOS.c.case_id.is_(None),
        )
    )


def _with(payload: dict[str, Any], path: tuple[str, ...], value: str) -> dict[str, Any]:
    """A copy of the payload with the value set at the path (jsonb_set, in Python)."""
    head, *rest = path
    return payload | {head: _with(payload[head], tuple(rest), value) if rest else value}
