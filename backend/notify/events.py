"""Notify events: one row written in the transaction of the change it announces; the worker fans it
out to the people who should hear of it (fanout.py), never the request that made the change."""

from __future__ import annotations

import uuid
from datetime import datetime

from backend.cases.models import Case
from backend.notify.models import NotifyEvent

# The case steps a reporter and the followers hear of, and the one dispatchers may opt in to.
CITIZEN_EVENTS = frozenset(
    {
        "case.accepted",
        "case.rejected",
        "case.merged",
        "case.dispatched",
        "case.handled",
        "case.closed",
        "case.replied",
        "case.reopened",
    }
)
NEW_CASE = "case.submitted"
# The final outcomes: an SMS follows when no push reached a phone-signed-in reporter.
OUTCOMES = frozenset({"case.closed", "case.replied", "case.rejected"})
TASK_ASSIGNED = "task.assigned"
TASK_OVERDUE = "task.overdue"
ROLL_CALL = "roll_call.sent"


def case_event(
    case: Case,
    event_type: str,
    at: datetime,
    actor_id: uuid.UUID,
    public_message: str | None,
    audience: list[uuid.UUID] | None = None,
) -> NotifyEvent | None:
    """The row for a case step, or None when the step tells nobody. `audience` names who hears of a
    merge: the duplicate's followers have moved to the original by the time the worker looks."""
    if event_type != NEW_CASE and event_type not in CITIZEN_EVENTS:
        return None
    payload: dict[str, object] = {
        "tracking_no": case.tracking_no,
        "request_type": case.request_type,
        "category_code": case.category_code,
        "grid_code": case.grid_code,
        "actor_id": str(actor_id),
        "message": public_message,
    }
    if audience is not None:
        payload["audience"] = [str(user_id) for user_id in audience]
    return NotifyEvent(
        id=uuid.uuid4(), event_type=event_type, case_id=case.id, payload=payload, occurred_at=at
    )


def inspector_event(
    event_type: str,
    inspector_id: uuid.UUID,
    subject_id: uuid.UUID,
    at: datetime,
    case: Case | None = None,
    task_kind: str | None = None,
) -> NotifyEvent:
    """A task given, a task overdue, a roll call: for one inspector."""
    return NotifyEvent(
        id=uuid.uuid4(),
        event_type=event_type,
        case_id=case.id if case else None,
        subject_id=subject_id,
        payload={
            "inspector_id": str(inspector_id),
            "tracking_no": case.tracking_no if case else None,
            "task_kind": task_kind,
        },
        occurred_at=at,
    )
