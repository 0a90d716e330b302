"""The only code that changes a case's status. Each step writes the case, its timeline entry, its
outbox row and its live-feed row in the caller's transaction, so they are stored together or not at all.

The table STEPS is the whole state machine: for each action, the statuses it starts from, the status it
leads to, the roles allowed to take it and the event that announces it. The fields each action needs
are the Structs of backend.cases.staff_schemas, so a missing reason never reaches this module.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.tokens import Principal
from backend.cases import intake, tally
from backend.cases.deadlines import deadline_for
from backend.cases.models import Case, CaseFollower, TimelineEntry
from backend.cases.staff_schemas import (
    Accept,
    ActionIn,
    CheckFail,
    CheckPass,
    Dispatch,
    Handle,
    Merge,
    Reject,
    Reopen,
    Reply,
    Return,
    SelfHandle,
    Start,
    Verify,
)
from backend.catalog.lookup import CatalogSnapshot, CategoryRef
from backend.catalog.schemas import TYPES_THE_DESK_ANSWERS
from backend.coordination.models import OutboxEvent
from backend.db import Base, new_id
from backend.departments.models import Department
from backend.errors import ApiError
from backend.notify.events import case_event
from backend.notify.models import LiveEvent
from backend.uploads.models import Photo
from backend.uploads.service import claim_photos, unclaimable

TRIAGE = ("dispatcher", "supervisor")
# The command-coordination platform may dispatch a case itself (the desk still may too).
DISPATCHING = (*TRIAGE, "integration")
# The platform reports the department's progress; staff record it where no platform is connected.
HANDLING = ("dispatcher", "supervisor", "integration")
# 核查: an inspector on site or the desk; the platform may also close a case it checked itself.
CHECKING = ("inspector", "dispatcher", "supervisor")
CLOSING = (*CHECKING, "integration")
PLATFORM = ("integration",)
FIELD = ("inspector",)
# For a minor class whose file gave no 处置时限.
DEFAULT_DEADLINE_HOURS = 24
# Statuses a case can be merged into: the original must still be open.
MERGE_TARGETS = ("submitted", "accepted", "dispatched", "in_progress", "handled")


@dataclass(frozen=True, slots=True)
class Step:
    sources: frozenset[str]
    target: str
    roles: tuple[str, ...]
    event: str
    # The request types the step is for; None: every type.
    types: frozenset[str] | None = None

    def applies_to(self, case: Case) -> bool:
        return case.status in self.sources and (self.types is None or case.request_type in self.types)


def _step(
    sources: set[str], target: str, roles: tuple[str, ...], event: str, types: frozenset[str] | None = None
) -> Step:
    return Step(frozenset(sources), target, roles, event, types)


STEPS: dict[str, Step] = {
    "accept": _step({"submitted"}, "accepted", TRIAGE, "case.accepted"),
    "reject": _step({"submitted"}, "rejected", TRIAGE, "case.rejected"),
    "merge": _step({"submitted"}, "merged", TRIAGE, "case.merged"),
    "dispatch": _step({"accepted"}, "dispatched", DISPATCHING, "case.dispatched"),
    "start": _step({"dispatched"}, "in_progress", HANDLING, "case.started"),
    "handle": _step({"in_progress"}, "handled", HANDLING, "case.handled"),
    "check_pass": _step({"handled"}, "closed", CLOSING, "case.closed"),
    "check_fail": _step({"handled"}, "dispatched", CHECKING, "case.rework"),
    "reopen": _step({"closed"}, "accepted", ("supervisor",), "case.reopened"),
    "return": _step({"accepted", "dispatched", "in_progress"}, "submitted", PLATFORM, "case.returned"),
    # 答复: a request the desk settles itself is answered and closed without a department.
    "reply": _step({"submitted", "accepted"}, "closed", TRIAGE, "case.replied", TYPES_THE_DESK_ANSWERS),
    # 核实: recorded on the report the desk has still to triage; it does not move it.
    "verify": _step({"submitted"}, "submitted", FIELD, "case.verified"),
    # 自处置: fixed on the spot by the inspector who reports it; the desk confirms it (check_pass).
    "self_handle": _step({"submitted"}, "handled", FIELD, "case.handled"),
}
# A step's two texts: what the reporter and followers are told, and what only staff see.
Texts = tuple[str | None, str | None] | None
# Steps that record something about a case without moving it.
EVENT_OF_ACTION = {"submit": "case.submitted", "rate": "case.rated"} | {a: s.event for a, s in STEPS.items()}


def allowed_actions(case: Case, actor: Principal) -> list[str]:
    return [action for action, step in STEPS.items() if step.applies_to(case) and actor.has_any(*step.roles)]


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
        "department_code": case.department_code,
        "deadline_at": case.deadline_at.isoformat() if case.deadline_at else None,
        "photo_ids": photo_ids,
        "created_at": case.created_at.isoformat(),
    }


def live_summary(case: Case, action: str) -> dict[str, Any]:
    """What a staff screen needs to update its queue row without asking again."""
    return {
        "id": str(case.id),
        "tracking_no": case.tracking_no,
        "status": case.status,
        "version": case.version,
        "action": action,
        "request_type": case.request_type,
        "category_code": case.category_code,
        "grid_code": case.grid_code,
        "department_code": case.department_code,
    }


def _step_rows(
    case: Case,
    action: str,
    actor: Principal,
    actor_role: str,
    at: datetime,
    photo_ids: list[str],
    texts: Texts = None,
    audience: list[uuid.UUID] | None = None,
) -> tuple[TimelineEntry, list[Base]]:
    """What a step writes besides the case: its timeline entry, outbox row, live-feed row and, when it
    tells someone, its notify event (in intake.ROW_TABLES's order)."""
    public_message, internal_note = texts or (None, None)
    entry = TimelineEntry(
        id=new_id(),
        case_id=case.id,
        action=action,
        status=case.status,
        actor_id=actor.user_id,
        actor_role=actor_role,
        public_message=public_message,
        internal_note=internal_note,
        photo_ids=photo_ids,
        occurred_at=at,
    )
    event_type = EVENT_OF_ACTION[action]
    outbox = OutboxEvent(
        event_id=new_id(),
        event_type=event_type,
        case_id=case.id,
        occurred_at=at,
        next_attempt_at=at,
        # The platform is staff: it is told the internal note too.
        payload={
            "case": case_snapshot(case, photo_ids),
            "action": action,
            "public_message": public_message,
            "internal_note": internal_note,
        },
    )
    live = LiveEvent(
        event_type=event_type, case_id=case.id, payload=live_summary(case, action), occurred_at=at
    )
    notice = case_event(case, event_type, at, actor.user_id, public_message, audience)
    return entry, [entry, outbox, live, *([notice] if notice is not None else [])]


async def _insert(session: AsyncSession, rows: list[Base]) -> None:
    """Plain INSERTs of new rows: the unit of work's bookkeeping was the costliest part of a step."""
    for row in rows:
        values = {column.key: getattr(row, column.key) for column in row.__table__.columns}
        await session.execute(insert(type(row)), [{k: v for k, v in values.items() if v is not None}])


async def submit(
    session: AsyncSession, case: Case, actor: Principal, photo_ids: list[uuid.UUID], context: Context
) -> TimelineEntry:
    """信息收集: a new case enters the workflow as submitted, numbered, with its photos; one the desk
    answers itself owes its answer within the request type's 答复时限 from now. Stored in one go
    (intake.py); 422 photo_not_found or 409 photo_in_use when a photo cannot be claimed, nothing stored."""
    case.status = "submitted"
    case.version = 1
    case.updated_at = case.created_at
    case.deadline_at = _reply_deadline(case, context)
    entry, rows = _step_rows(case, "submit", actor, case.source, case.created_at, [str(i) for i in photo_ids])
    new = intake.NewCase(
        case=intake.values_of(case),
        rows=[intake.values_of(row) for row in rows],
        photo_ids=photo_ids,
        owner_id=actor.user_id,
        day=context.at.astimezone(context.tz).strftime("%Y%m%d"),
        counted=tally.counted_as(case),
    )
    number = await intake.store(session, new)
    if number is None:
        await unclaimable(session, actor.user_id, photo_ids)
    case.tracking_no = number
    return entry


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
    # The comment is the reporter's own: shown to them with the rating, to staff on the timeline.
    entry, rows = _step_rows(case, "rate", actor, "citizen", at, [], (None, comment))
    await _insert(session, rows)
    return entry


@dataclass(frozen=True, slots=True)
class Context:
    """What some steps need beyond the case: the catalog for deadlines, the city's clock."""

    catalog: CatalogSnapshot
    tz: ZoneInfo
    at: datetime


def acting_role(actor: Principal, body: ActionIn) -> tuple[str, str]:
    """The action asked for and the role the actor takes it in; 403 when the table allows none of theirs."""
    action = type(body).__struct_config__.tag
    assert isinstance(action, str)
    role = next((r for r in STEPS[action].roles if r in actor.roles), None)
    if role is None:
        raise ApiError(403, "forbidden")
    return action, role


async def act(
    session: AsyncSession, case: Case, actor: Principal, body: ActionIn, context: Context
) -> TimelineEntry:
    """Take one workflow step on a case the caller has locked (SELECT ... FOR UPDATE)."""
    action, role = acting_role(actor, body)
    step = STEPS[action]
    if body.expected_version != case.version:
        raise ApiError(409, "stale_case", version=case.version)
    if case.status not in step.sources:
        raise ApiError(409, "invalid_transition", action=action, status=case.status)
    if not step.applies_to(case):
        raise ApiError(409, "action_not_for_type", action=action, type=case.request_type)

    # Who hears of a merge: the duplicate's people, before they move to the original.
    audience = await _people(session, case) if isinstance(body, Merge) else None
    counted = tally.counted_as(case)
    photo_ids = await _apply(session, case, actor, body, context)
    case.status = step.target
    case.version += 1
    case.updated_at = context.at
    await session.flush()
    await tally.move(session, counted, case)
    # An empty box is no message.
    texts = (body.public_message or None, body.internal_note or None)
    entry, rows = _step_rows(case, action, actor, role, context.at, photo_ids, texts, audience)
    await _insert(session, rows)
    return entry


async def _people(session: AsyncSession, case: Case) -> list[uuid.UUID]:
    followers = await session.scalars(select(CaseFollower.user_id).where(CaseFollower.case_id == case.id))
    return [case.reporter_id, *followers]


async def _apply(
    session: AsyncSession, case: Case, actor: Principal, body: ActionIn, context: Context
) -> list[str]:
    """The step's own effect on the case; returns the photos it adds."""
    at = context.at
    match body:
        case Accept():
            if body.category_code:
                case.category_code = minor_category(context.catalog, body.category_code).code
            case.accepted_at = at
            return []
        case Reject() | Start():
            return []
        case Merge():
            await _merge_into(session, case, body.target_id, at)
            return []
        case Dispatch():
            department = await session.get(Department, body.department_code)
            if department is None or not department.active:
                raise ApiError(422, "unknown_department", code=body.department_code)
            if body.category_code:
                case.category_code = minor_category(context.catalog, body.category_code).code
            if case.category_code is None:
                raise ApiError(422, "category_required")
            case.department_code = department.code
            case.dispatched_at = at
            # The platform may set its own 处置时限; otherwise the category's counts from now.
            case.deadline_at = body.deadline_at or _deadline(case, context)
            return []
        case Handle():
            case.handled_at = at
            return await _attach(session, case, actor, body.photo_ids)
        case CheckPass():
            case.closed_at = at
            return await _attach(session, case, actor, body.photo_ids)
        case CheckFail():
            # 返工: back to the same department, with a fresh deadline for the second attempt.
            case.rework_count += 1
            case.deadline_at = _deadline(case, context)
            return await _attach(session, case, actor, body.photo_ids)
        case Reopen():
            case.closed_at = None
            case.replied_at = None
            case.deadline_at = _reply_deadline(case, context)
            return []
        case Return():
            case.department_code = None
            case.deadline_at = _reply_deadline(case, context)
            case.accepted_at = None
            return []
        case Verify():
            return await _attach(session, case, actor, body.photo_ids)
        case SelfHandle():
            if case.category_code is None:
                raise ApiError(422, "category_required")
            case.accepted_at = at
            case.handled_at = at
            return await _attach(session, case, actor, body.photo_ids)
        case Reply():
            # Answering is taking it in (受理) too. The 答复时限 stays on the case: the indicators
            # compare the answer's time with it.
            case.accepted_at = case.accepted_at or at
            case.replied_at = at
            case.closed_at = at
            return []
    raise AssertionError(body)


def _deadline(case: Case, context: Context) -> datetime:
    """处置时限 from now; a retired category still gives its cases their time."""
    return deadline_from(
        minor_category(context.catalog, case.category_code or "", active_only=False), context
    )


def _reply_deadline(case: Case, context: Context) -> datetime | None:
    """答复时限 from now for a request the desk may answer itself (back on its desk, it owes an answer
    again); None for a complaint, which owes nothing until it is dispatched."""
    hours = context.catalog.reply_hours.get(case.request_type)
    return deadline_for(context.at, hours, context.tz) if hours is not None else None


def deadline_from(category: CategoryRef, context: Context) -> datetime:
    return deadline_for(context.at, category.deadline_hours or DEFAULT_DEADLINE_HOURS, context.tz)


def minor_category(catalog: CatalogSnapshot, code: str, *, active_only: bool = True) -> CategoryRef:
    category = catalog.active_category(code) if active_only else catalog.categories.get(code)
    if category is None:
        raise ApiError(422, "unknown_category", code=code)
    if category.parent_code is None:
        raise ApiError(422, "category_not_minor", code=code)
    return category


async def _merge_into(session: AsyncSession, case: Case, target_id: uuid.UUID, at: datetime) -> Case:
    """Link the duplicate to its original; its reporter and followers now follow the original.

    A merge always points at an original, never at another duplicate: a target that was itself
    merged is followed to its original, and the cases merged into this one move on with it.
    """
    target = await _original(session, target_id)
    if target is None:
        raise ApiError(422, "merge_target_not_found", id=str(target_id))
    if target.id == case.id:
        raise ApiError(422, "merge_into_self")
    if target.status not in MERGE_TARGETS:
        raise ApiError(409, "merge_target_closed", tracking_no=target.tracking_no)
    followers = set(
        await session.scalars(select(CaseFollower.user_id).where(CaseFollower.case_id == case.id))
    )
    followers.add(case.reporter_id)
    already = set(
        await session.scalars(select(CaseFollower.user_id).where(CaseFollower.case_id == target.id))
    )
    for user_id in followers - already - {target.reporter_id}:
        session.add(CaseFollower(case_id=target.id, user_id=user_id, created_at=at))
    await session.execute(delete(CaseFollower).where(CaseFollower.case_id == case.id))
    await session.execute(update(Case).where(Case.merged_into_id == case.id).values(merged_into_id=target.id))
    case.merged_into_id = target.id
    return target


async def _original(session: AsyncSession, case_id: uuid.UUID) -> Case | None:
    """The case itself, or the original it was merged into; locked, so that a merge of it running at
    the same time is seen once it commits."""
    seen: set[uuid.UUID] = set()
    case = await session.get(Case, case_id, with_for_update=True)
    while case is not None and case.merged_into_id is not None and case.id not in seen:
        seen.add(case.id)
        case = await session.get(Case, case.merged_into_id, with_for_update=True)
    return case


async def _attach(session: AsyncSession, case: Case, actor: Principal, ids: list[uuid.UUID]) -> list[str]:
    """After photos (处理反馈, 核查) join the case after the ones it already has."""
    unique = list(dict.fromkeys(ids))
    if not unique:
        return []
    count = await session.scalar(select(func.count()).select_from(Photo).where(Photo.case_id == case.id))
    await claim_photos(session, actor.user_id, case.id, unique, first_position=count or 0)
    return [str(i) for i in unique]
