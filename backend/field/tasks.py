"""个人任务: the desk sends a report to verify (核实) or a handled case to check (核查); the inspector's
result runs through the workflow (verify, check_pass, check_fail) once per client id."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.guards import require_role
from backend.accounts.models import User
from backend.accounts.tokens import Principal
from backend.cases import workflow
from backend.cases.models import Case
from backend.cases.schemas import LocationOut
from backend.cases.staff_schemas import ActionIn, CheckFail, CheckPass, Verify
from backend.catalog.geo import distance_m, to_wgs84
from backend.catalog.lookup import CatalogSnapshot
from backend.catalog.service import category_name
from backend.db import utcnow
from backend.errors import ApiError
from backend.field import plausibility
from backend.field.models import GridAssignment, Shift, Task
from backend.field.schemas import TaskAssignIn, TaskCase, TaskList, TaskOut, TaskPhoto, TaskResultIn
from backend.i18n import translate
from backend.notify.events import TASK_ASSIGNED, TASK_OVERDUE, inspector_event
from backend.notify.models import LiveEvent
from backend.settings import Settings
from backend.uploads.models import Photo
from backend.uploads.service import display_url, thumb_url

# The case status each kind of task is for.
STATUS_FOR = {"verify": "submitted", "check": "handled"}
OUTCOMES = {"verify": ("confirmed", "not_found"), "check": ("pass", "fail")}
# Outcomes that say something is wrong: the inspector says what.
NEEDS_NOTE = ("not_found", "fail")
# Outcomes about a fix: the after-photo is the evidence.
NEEDS_PHOTO = ("pass", "fail")
TRIAGE = ("dispatcher", "supervisor")


async def assign(
    session: AsyncSession,
    settings: Settings,
    catalog: CatalogSnapshot,
    principal: Principal,
    case_id: uuid.UUID,
    body: TaskAssignIn,
    locale: str,
) -> TaskOut:
    require_role(principal, *TRIAGE)
    now = utcnow()
    try:
        async with session.begin():
            case = await session.get(Case, case_id, with_for_update=True)
            if case is None:
                raise ApiError(404, "not_found")
            if case.status != STATUS_FOR[body.kind]:
                raise ApiError(409, "task_not_for_status", kind=body.kind, status=case.status)
            inspector_id = body.inspector_id or await default_inspector(session, case)
            if body.inspector_id is not None and not await _is_inspector(session, body.inspector_id):
                raise ApiError(422, "unknown_inspector", id=str(body.inspector_id))
            hours = settings.field_verify_hours if body.kind == "verify" else settings.field_check_hours
            task = Task(
                id=uuid.uuid4(),
                case_id=case.id,
                kind=body.kind,
                inspector_id=inspector_id,
                assigned_by=principal.user_id,
                assigned_at=now,
                due_at=body.due_at or now + timedelta(hours=hours),
                status="open",
            )
            session.add(task)
            await session.flush()
            _announce(session, task, case, "task.assigned")
            session.add(inspector_event(TASK_ASSIGNED, inspector_id, task.id, now, case, task.kind))
            return (await _outs(session, catalog, [task], locale, now))[0]
    except IntegrityError:
        raise ApiError(409, "task_open", kind=body.kind) from None


async def default_inspector(session: AsyncSession, case: Case) -> uuid.UUID:
    """The inspector who covers the case's grid and is on shift (the nearest, if several), else the
    nearest inspector on shift by their last position; 422 when nobody is on shift."""
    on_shift = select(Shift).where(Shift.ended_at.is_(None))
    covering = on_shift.join(
        GridAssignment,
        (GridAssignment.inspector_id == Shift.inspector_id) & (GridAssignment.grid_code == case.grid_code),
    )
    for candidates in (covering, on_shift):
        shifts = list(await session.scalars(candidates))
        if shifts:
            return min(shifts, key=lambda s: _distance_to(s, case)).inspector_id
    raise ApiError(422, "no_inspector_on_shift")


def _distance_to(shift: Shift, case: Case) -> float:
    """From the inspector's last position, or where they clocked in if none came since."""
    if shift.last_lat is not None and shift.last_lng is not None:
        return distance_m(shift.last_lat, shift.last_lng, case.lat, case.lng)
    return distance_m(shift.start_lat, shift.start_lng, case.lat, case.lng)


async def _is_inspector(session: AsyncSession, user_id: uuid.UUID) -> bool:
    user = await session.get(User, user_id)
    return user is not None and user.is_active and "inspector" in user.roles


async def result(
    session: AsyncSession,
    settings: Settings,
    catalog: CatalogSnapshot,
    principal: Principal,
    task_id: uuid.UUID,
    body: TaskResultIn,
    locale: str,
) -> TaskOut:
    """Apply the inspector's result; the same client id again answers with the task as it is."""
    require_role(principal, "inspector")
    now = utcnow()
    try:
        async with session.begin():
            task = await session.get(Task, task_id, with_for_update=True)
            if task is None or task.inspector_id != principal.user_id:
                raise ApiError(404, "not_found")
            if task.client_id == body.client_id:
                return (await _outs(session, catalog, [task], locale, now))[0]
            if task.status != "open":
                raise ApiError(409, "task_done")
            _check_result(task.kind, body)
            case = await session.get(Case, task.case_id, with_for_update=True)
            assert case is not None
            context = workflow.Context(catalog=catalog, tz=settings.tz, at=now)
            await workflow.act(session, case, principal, _action(task.kind, body, case.version), context)
            device = (
                to_wgs84(body.location.lat, body.location.lng, body.location.crs) if body.location else None
            )
            task.status, task.outcome, task.note = "done", body.outcome, body.note
            task.completed_at, task.client_id = now, body.client_id
            task.result_lat, task.result_lng = device if device else (None, None)
            await session.flush()
            await plausibility.check(
                session,
                settings,
                case_id=case.id,
                case_point=(case.lat, case.lng),
                inspector_id=principal.user_id,
                photo_ids=list(body.photo_ids),
                device_point=device,
                at=now,
                recorded_at=body.recorded_at,
                task_id=task.id,
            )
            _announce(session, task, case, "task.completed")
            return (await _outs(session, catalog, [task], locale, now))[0]
    except IntegrityError:  # the client id is another task's result
        raise ApiError(409, "client_id_conflict") from None


def _check_result(kind: str, body: TaskResultIn) -> None:
    if body.outcome not in OUTCOMES[kind]:
        raise ApiError(422, "outcome_not_for_task", outcome=body.outcome, kind=kind)
    if body.outcome in NEEDS_NOTE and not body.note:
        raise ApiError(422, "note_required")
    if body.outcome in NEEDS_PHOTO and not body.photo_ids:
        raise ApiError(422, "photos_required")


def _action(kind: str, body: TaskResultIn, version: int) -> ActionIn:
    note = body.note or None
    if kind == "verify":
        assert body.outcome in ("confirmed", "not_found")
        return Verify(
            expected_version=version, outcome=body.outcome, internal_note=note, photo_ids=body.photo_ids
        )
    if body.outcome == "pass":
        return CheckPass(expected_version=version, internal_note=note, photo_ids=body.photo_ids)
    assert note is not None
    return CheckFail(expected_version=version, internal_note=note, photo_ids=body.photo_ids)


def _announce(session: AsyncSession, task: Task, case: Case, event_type: str) -> None:
    """The desk's live feed hears of it (the inspector's phone asks for its tasks)."""
    session.add(
        LiveEvent(
            event_type=event_type,
            case_id=case.id,
            payload={
                "id": str(case.id),
                "tracking_no": case.tracking_no,
                "status": case.status,
                "version": case.version,
                "task_id": str(task.id),
                "kind": task.kind,
                "outcome": task.outcome,
            },
            occurred_at=task.completed_at or task.assigned_at,
        )
    )


async def announce_overdue(session: AsyncSession, now: datetime) -> int:
    """Tell each inspector once of each open task past its due time. The UPDATE claims the tasks, so
    two workers running this at once tell nobody twice."""
    claimed = (
        await session.execute(
            update(Task)
            .where(Task.status == "open", Task.due_at < now, Task.overdue_notified_at.is_(None))
            .values(overdue_notified_at=now)
            .returning(Task.id, Task.inspector_id, Task.case_id, Task.kind)
        )
    ).all()
    cases = {
        c.id: c for c in await session.scalars(select(Case).where(Case.id.in_({r.case_id for r in claimed})))
    }
    for task_id, inspector_id, case_id, kind in claimed:
        session.add(inspector_event(TASK_OVERDUE, inspector_id, task_id, now, cases[case_id], kind))
    return len(claimed)


async def my_tasks(
    session: AsyncSession, catalog: CatalogSnapshot, principal: Principal, state: str, locale: str
) -> TaskList:
    require_role(principal, "inspector")
    return await _list(
        session, catalog, _in_state(state).where(Task.inspector_id == principal.user_id), locale
    )


async def all_tasks(
    session: AsyncSession,
    catalog: CatalogSnapshot,
    principal: Principal,
    state: str,
    case_id: uuid.UUID | None,
    limit: int,
    locale: str,
) -> TaskList:
    require_role(principal, *TRIAGE)
    query = _in_state(state) if case_id is None else _in_state(state).where(Task.case_id == case_id)
    return await _list(session, catalog, query.limit(limit), locale)


def _in_state(state: str) -> Select[tuple[Task]]:
    if state == "open":
        return select(Task).where(Task.status == "open").order_by(Task.due_at)
    if state == "overdue":
        return select(Task).where(Task.status == "open", Task.due_at < utcnow()).order_by(Task.due_at)
    if state == "all":
        return select(Task).order_by(Task.assigned_at.desc())
    return select(Task).where(Task.status != "open").order_by(Task.completed_at.desc())


async def _list(
    session: AsyncSession, catalog: CatalogSnapshot, query: Select[tuple[Task]], locale: str
) -> TaskList:
    async with session.begin():
        tasks = list(await session.scalars(query))
        return TaskList(await _outs(session, catalog, tasks, locale, utcnow()))


async def _outs(
    session: AsyncSession, catalog: CatalogSnapshot, tasks: list[Task], locale: str, now: datetime
) -> list[TaskOut]:
    """One query each for the cases, their photos and the inspectors' names."""
    if not tasks:
        return []
    case_ids = {t.case_id for t in tasks}
    cases = {c.id: c for c in await session.scalars(select(Case).where(Case.id.in_(case_ids)))}
    photos: dict[uuid.UUID, list[TaskPhoto]] = {}
    for photo in await session.scalars(
        select(Photo).where(Photo.case_id.in_(case_ids)).order_by(Photo.position)
    ):
        assert photo.case_id is not None
        photos.setdefault(photo.case_id, []).append(
            TaskPhoto(id=str(photo.id), thumb_url=thumb_url(photo.id), display_url=display_url(photo.id))
        )
    names = dict(
        (
            await session.execute(
                select(User.id, func.coalesce(User.display_name, User.username)).where(
                    User.id.in_({t.inspector_id for t in tasks})
                )
            )
        ).all()
    )
    outs = []
    for task in tasks:
        case = cases[task.case_id]
        category = catalog.categories.get(case.category_code or "")
        outs.append(
            TaskOut(
                id=str(task.id),
                kind=task.kind,
                status=task.status,
                inspector_id=str(task.inspector_id),
                inspector_name=names.get(task.inspector_id, ""),
                assigned_at=task.assigned_at,
                due_at=task.due_at,
                overdue=task.status == "open" and task.due_at < now,
                outcome=task.outcome,
                completed_at=task.completed_at,
                note=task.note,
                case=TaskCase(
                    id=str(case.id),
                    tracking_no=case.tracking_no,
                    status=case.status,
                    status_name=translate(f"status.{case.status}", locale),
                    category_code=case.category_code,
                    category_name=category_name(category, locale) if category else None,
                    description=case.description,
                    address=case.address,
                    location=LocationOut(lat=case.lat, lng=case.lng, accuracy_m=case.accuracy_m),
                    version=case.version,
                    photos=photos.get(case.id, []),
                ),
            )
        )
    return outs
