"""The only code that changes a case's status. Each step writes the case, its timeline entry and
its outbox row in the caller's transaction, so the three are stored together or not at all."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.tokens import Principal
from backend.cases.models import Case, TimelineEntry
from backend.coordination.models import OutboxEvent
from backend.db import Base, new_id
from backend.errors import ApiError

EVENT_OF_ACTION = {
    "submit": "case.submitted",
    "rate": "case.rated",
}


def case_snapshot(case: Case, photo_ids: list[str]) -> dict[str, Any]:
    """What the outside world is told about a case (no reporter contact)."""
    return {
        "id": str(case.id),
        "tracking_no": case.tracking_no,
        "source": case.source,
        "request_type": case.request_type,
        "category_code": case.category_code,
        "description": case.description,
        "location": {"lat": case.lat, "lng": case.lng, "accuracy_m": case.accuracy_m},
        "address": case.address,
        "grid_code": case.grid_code,
        "status": case.status,
        "version": case.version,
        "photo_ids": photo_ids,
        "created_at": case.created_at.isoformat(),
    }


async def _record(
    session: AsyncSession,
    case: Case,
    action: str,
    actor: Principal,
    actor_role: str,
    at: datetime,
    photo_ids: list[str],
    note: str | None = None,
) -> TimelineEntry:
    entry = TimelineEntry(
        id=new_id(),
        case_id=case.id,
        action=action,
        status=case.status,
        actor_id=actor.user_id,
        actor_role=actor_role,
        note=note,
        photo_ids=photo_ids,
        occurred_at=at,
    )
    await _insert(session, entry)
    await _insert(
        session,
        OutboxEvent(
            event_type=EVENT_OF_ACTION[action],
            case_id=case.id,
            occurred_at=at,
            next_attempt_at=at,
            payload={"case": case_snapshot(case, photo_ids), "action": action, "note": note},
        ),
    )
    return entry


async def _insert(session: AsyncSession, row: Base) -> None:
    """A plain INSERT of a new row: the unit of work's bookkeeping was the costliest part of a report."""
    values = {column.key: getattr(row, column.key) for column in row.__table__.columns}
    await session.execute(insert(type(row)), [{k: v for k, v in values.items() if v is not None}])


async def submit(session: AsyncSession, case: Case, actor: Principal, photo_ids: list[str]) -> TimelineEntry:
    """信息收集: a new case enters the workflow as submitted."""
    case.status = "submitted"
    case.version = 1
    case.updated_at = case.created_at
    await _insert(session, case)
    return await _record(session, case, "submit", actor, case.source, case.created_at, photo_ids)


async def rate(
    session: AsyncSession, case: Case, actor: Principal, score: int, comment: str | None, at: datetime
) -> TimelineEntry:
    """The citizen's satisfaction (综合评价 input), recorded on the closed case."""
    if case.status != "closed":
        raise ApiError(409, "not_rateable")
    if case.rating_score is not None:
        raise ApiError(409, "already_rated")
    case.rating_score = score
    case.rating_comment = comment
    case.rated_at = at
    case.version += 1
    case.updated_at = at
    return await _record(session, case, "rate", actor, "citizen", at, [], note=comment)
