"""案卷统计: cases per status, kept as they change, so a desk's counts cost the same at a thousand cases
and at a million (bench/triage.py) and are the same for every process.

Each row counts the cases of one status, request type, category and source; the workflow moves a
case from one row to another in the transaction of the step (intake.py does it for a new case). The
counts answer any filter made of those columns; other filters (a grid, a department, dates, text)
still count the cases themselves. The overdue count is never kept (time makes cases overdue, not a
write): it reads the partial index of cases that still owe something.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, delete, func, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.cases.deadlines import overdue_clause
from backend.cases.models import Case, CaseCount

# status, request type, category code ("" for none), source.
Key = tuple[str, str, str, str]
KEY_COLUMNS = ("status", "request_type", "category_code", "source")
# The filters (CaseFilter.bound's names) the kept counts can answer.
KEPT_FILTERS = frozenset({"request_type", "category", "source"})

_COUNTS = CaseCount.__table__
_CASE = Case.__table__.c


def key_of(case: Case) -> Key:
    return (case.status, case.request_type, case.category_code or "", case.source)


def upsert(dialect_insert: Callable[[Any], Any]) -> Any:
    """Add `n` to a key's count, the row made when first needed."""
    statement = dialect_insert(_COUNTS).values({column: bindparam(column) for column in (*KEY_COLUMNS, "n")})
    return statement.on_conflict_do_update(
        index_elements=list(KEY_COLUMNS), set_={"n": _COUNTS.c.n + statement.excluded.n}
    )


_UPSERT = {"postgresql": upsert(pg_insert), "sqlite": upsert(sqlite_insert)}


async def move(session: AsyncSession, before: Key, after: Key) -> None:
    """A case left one key for another. The two rows change in key order, so that two steps crossing
    each other's way (one case accepted, another returned) cannot deadlock on them."""
    if before == after:
        return
    changes = sorted([(before, -1), (after, 1)])
    statement = _UPSERT[session.get_bind().dialect.name]
    for key, n in changes:
        await session.execute(statement, dict(zip(KEY_COLUMNS, key, strict=True)) | {"n": n})


async def recount(session: AsyncSession) -> None:
    """Count again from the cases themselves: after cases were written around the workflow (a bulk
    import). Writers of cases wait meanwhile, so no step is counted twice or lost."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("LOCK TABLE cases IN SHARE MODE"))
    await session.execute(delete(CaseCount))
    category = func.coalesce(_CASE.category_code, "")
    await session.execute(
        insert(CaseCount).from_select(
            [*KEY_COLUMNS, "n"],
            select(_CASE.status, _CASE.request_type, category, _CASE.source, func.count()).group_by(
                _CASE.status, _CASE.request_type, category, _CASE.source
            ),
        )
    )


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
    filters (`case_conditions`, the same filters over the cases), in one statement."""
    overdue = (
        select(func.count())
        .where(
            overdue_clause(bindparam("now", type_=_CASE.deadline_at.type)),
            _CASE.status == _COUNTS.c.status,
            *case_conditions,
        )
        .correlate(_COUNTS)
        .scalar_subquery()
    )
    total = func.sum(_COUNTS.c.n)
    return (
        select(_COUNTS.c.status, total, overdue)
        .where(*(_CONDITIONS[name]() for name in shape))
        .group_by(_COUNTS.c.status)
        .having(total > 0)
    )
