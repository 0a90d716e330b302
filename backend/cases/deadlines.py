"""处置时限: when a dispatched case must be handled by, and whether it is overdue."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, literal_column

from backend.cases.models import OWED_STATUSES, Case
from backend.db import utcnow

# The same list inline, not as bound values: the partial index ix_cases_owed_deadline then answers.
_OWED_LITERALS = [literal_column(repr(status)) for status in OWED_STATUSES]


def deadline_for(dispatched_at: datetime, hours: int, tz: ZoneInfo) -> datetime:
    """A deadline in whole days is kept on the city's clock ("3 days" ends at the same local time,
    whatever a daylight-saving change in between does); any other one is that many elapsed hours."""
    if hours % 24 == 0:
        local = dispatched_at.astimezone(tz)
        # Adding to an aware datetime moves its wall clock; fold=0 settles a repeated local hour.
        return (local + timedelta(days=hours // 24)).replace(fold=0).astimezone(dispatched_at.tzinfo)
    return dispatched_at + timedelta(hours=hours)


def is_overdue(status: str, deadline_at: datetime | None, now: datetime | None = None) -> bool:
    return deadline_at is not None and status in OWED_STATUSES and (now or utcnow()) > deadline_at


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    """is_overdue as SQL, for filters and counts."""
    columns = Case.__table__.c
    return and_(columns.status.in_(_OWED_LITERALS), columns.deadline_at < now)
