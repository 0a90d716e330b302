"""案卷统计: cases per status, kept as they change, so a desk's counts cost the same at a thousand cases
and at a million (bench/triage.py) and are the same for every process.

Each row counts the cases of one status, request type, category and source; the workflow moves a
case from one row to another in the transaction of the step (intake.py does it for a new case). The
counts answer any filter made of those columns; other filters (a grid, a department, dates, text)
still count the cases themselves. Overdue is not a status a write could count (time makes cases
overdue): case_dues keeps the owed cases by their deadline's day instead, and the unfiltered overdue
count sums the days before today and counts today's deadlines passed so far; filtered, it reads the
partial index of the cases that still owe something.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, delete, func, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.cases.deadlines import overdue_clause
from backend.cases.models import OWED_STATUSES, Case, CaseCount, CaseDue

# status, request type, category code ("" for none), source.
Key = tuple[str, str, str, str]
# status, the deadline's UTC day (YYYY-MM-DD).
DueKey = tuple[str, str]
KEY_COLUMNS = ("status", "request_type", "category_code", "source")
# The filters (CaseFilter.bound's names) the kept counts can answer.
KEPT_FILTERS = frozenset({"request_type", "category", "source"})

DUE_COLUMNS = ("status", "due_day")

_COUNTS = CaseCount.__table__
_DUES = CaseDue.__table__
_CASE = Case.__table__.c


def key_of(case: Case) -> Key:
    return (case.status, case.request_type, case.category_code or "", case.source)


def due_of(status: str, deadline_at: datetime | None) -> DueKey | None:
    """The case_dues row a case is counted in: while it owes something and has a deadline."""
    if deadline_at is None or status not in OWED_STATUSES:
        return None
    return (status, deadline_at.astimezone(UTC).strftime("%Y-%m-%d"))


def upserts(dialect_insert: Callable[[Any], Any]) -> tuple[Any, Any]:
    """Add `n` to a case_counts key's count, and to a case_dues key's, each row made when first needed."""

    def upsert(table: Any, key: tuple[str, ...]) -> Any:
        statement = dialect_insert(table).values({column: bindparam(column) for column in (*key, "n")})
        return statement.on_conflict_do_update(
            index_elements=list(key), set_={"n": table.c.n + statement.excluded.n}
        )

    return upsert(_COUNTS, KEY_COLUMNS), upsert(_DUES, DUE_COLUMNS)


_UPSERTS = {"postgresql": upserts(pg_insert), "sqlite": upserts(sqlite_insert)}


async def move(session: AsyncSession, before: Counted, after: Case) -> None:
    """A case changed (`before`: what it was counted as). Rows change in key order, counts before
    dues, so that two steps crossing each other's way (one case accepted, another returned) cannot
    deadlock on them."""
    counts, dues = _UPSERTS[session.get_bind().dialect.name]
    for statement, columns, old, new in (
        (counts, KEY_COLUMNS, before.key, key_of(after)),
        (dues, DUE_COLUMNS, before.due, due_of(after.status, after.deadline_at)),
    ):
        if old == new:
            continue
        changes = sorted([(key, n) for key, n in ((old, -1), (new, 1)) if key is not None])
        for key, n in changes:
            await session.execute(statement, dict(zip(columns, key, strict=True)) | {"n": n})


@dataclass(frozen=True, slots=True)
class Counted:
    """What a case is counted as: its case_counts key and its case_dues key (if any)."""

    key: Key
    due: DueKey | None


def counted_as(case: Case) -> Counted:
    """What the case is counted as now, before a step changes it."""
    return Counted(key_of(case), due_of(case.status, case.deadline_at))


async def recount(session: AsyncSession) -> None:
    """Count again from the cases themselves: after cases were written around the workflow (a bulk
    import). Writers of cases wait meanwhile, so no step is counted twice or lost."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        await session.execute(text("LOCK TABLE cases IN SHARE MODE"))
    await session.execute(delete(CaseCount))
    await session.execute(delete(CaseDue))
    category = func.coalesce(_CASE.category_code, "")
    await session.execute(
        insert(CaseCount).from_select(
            [*KEY_COLUMNS, "n"],
            select(_CASE.status, _CASE.request_type, category, _CASE.source, func.count()).group_by(
                _CASE.status, _CASE.request_type, category, _CASE.source
            ),
        )
    )
    day = utc_day(_CASE.deadline_at, dialect)
    await session.execute(
        insert(CaseDue).from_select(
            [*DUE_COLUMNS, "n"],
            select(_CASE.status, day, func.count())
            .where(_CASE.status.in_(OWED_STATUSES), _CASE.deadline_at.is_not(None))
            .group_by(_CASE.status, day),
        )
    )


def utc_day(column: Any, dialect: str) -> Any:
    """A stored UTC time's day, YYYY-MM-DD, in SQL (SQLite keeps times as UTC text)."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.substr(column, 1, 10)


def day_bounds(now: datetime) -> dict[str, Any]:
    """`today` and `today_start` for counts_statement."""
    start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return {"today": start.strftime("%Y-%m-%d"), "today_start": start}


async def total(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.coalesce(func.sum(_COUNTS.c.n), 0))) or 0)


# Each kept filter over the counts table, bound to CaseFilter.bound's values.
_CONDITIONS: dict[str, Callable[[], ColumnElement[bool]]] = {
    "request_type": lambda: _COUNTS.c.request_type == bindparam("request_type"),
    "category": lambda: _COUNTS.c.category_code.like(bindparam("category"), escape="/"),
    "source": lambda: _COUNTS.c.source == bindparam("source"),
}


def counts_statement(shape: tuple[str, ...], case_conditions: Sequence[ColumnElement[bool]]) -> Select[Any]:
    """Per status from the kept rows, with the overdue of that status among the cases under the same
    filters (`case_conditions`, the same filters over the cases), in one statement. Unfiltered, the
    overdue are the kept dues of the days before today and today's deadlines passed so far (bound
    as `today`, `today_start`); filtered, the cases past their deadline, through the partial index."""
    now = bindparam("now", type_=_CASE.deadline_at.type)
    if shape:
        overdue = (
            select(func.count())
            .where(overdue_clause(now), _CASE.status == _COUNTS.c.status, *case_conditions)
            .correlate(_COUNTS)
            .scalar_subquery()
        )
    else:
        before_today = (
            select(func.coalesce(func.sum(_DUES.c.n), 0))
            .where(_DUES.c.status == _COUNTS.c.status, _DUES.c.due_day < bindparam("today"))
            .correlate(_COUNTS)
            .scalar_subquery()
        )
        passed_today = (
            select(func.count())
            .where(
                overdue_clause(now),
                _CASE.status == _COUNTS.c.status,
                _CASE.deadline_at >= bindparam("today_start", type_=_CASE.deadline_at.type),
            )
            .correlate(_COUNTS)
            .scalar_subquery()
        )
        overdue = before_today + passed_today
    total = func.sum(_COUNTS.c.n)
    return (
        select(_COUNTS.c.status, total, overdue)
        .where(*(_CONDITIONS[name]() for name in shape))
        .group_by(_COUNTS.c.status)
        .having(total > 0)
    )
