"""Triage for staff: the queue, a case in full (audited), workflow actions, duplicates and the map."""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from backend import driver
from backend.accounts.guards import STAFF_ROLES, require_role
from backend.accounts.models import User
from backend.accounts.tokens import Principal
from backend.audit import service as audit
from backend.cases import cursors, likeness, tally, workflow
from backend.cases.deadlines import is_overdue, overdue_clause
from backend.cases.models import Case, TimelineEntry
from backend.cases.schemas import LocationOut, ReplyOut
from backend.cases.service import OPEN_STATUSES, rating_out
from backend.cases.staff_schemas import (
    ActionIn,
    AttributeAnswer,
    CaseFeature,
    CaseFeatureCollection,
    CaseFeatureProps,
    CasePage,
    CaseRef,
    CaseSummary,
    DepartmentRef,
    DuplicateCandidate,
    DuplicateList,
    PointGeometry,
    Reporter,
    SortKey,
    StaffCaseOut,
    StaffPhotoOut,
    StaffTimelineEntry,
    StatusCounts,
)
from backend.catalog.geo import box_around, distance_m
from backend.catalog.lookup import CatalogSnapshot
from backend.catalog.service import category_name
from backend.db import utcnow
from backend.departments.models import Department
from backend.errors import ApiError
from backend.field import plausibility, voice
from backend.i18n import translate
from backend.replies import service as replies
from backend.replies.schemas import RenderedTemplateList
from backend.routing import service as routing
from backend.settings import Settings
from backend.uploads.models import Photo
from backend.uploads.service import original_key, photo_gps, photo_out, thumb_url
from backend.uploads.storage import ObjectStore

log = structlog.get_logger(__name__)

SUMMARY_TEXT = 140
TRACKING_NO = re.compile(r"[0-9]{13}")
GEO_CAP = 2000


@dataclass(frozen=True, slots=True)
class CaseFilter:
    statuses: tuple[str, ...] = ()
    request_type: str | None = None
    # A major class code (C01) matches its minor classes too.
    category: str | None = None
    # A grid code prefix: a street's or a community's code matches all its grids.
    grid: str | None = None
    source: str | None = None
    department: str | None = None
    overdue: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    text: str | None = None

    def bound(self, now: datetime, *, with_status: bool = True) -> tuple[tuple[str, ...], dict[str, Any]]:
        """Which conditions apply (the filter's shape: one statement is built per shape, once) and
        the values they are bound to."""
        values: dict[str, Any] = {"now": now}
        shape: list[str] = []

        def add(name: str, value: Any) -> None:
            shape.append(name)
            values[name] = value

        if with_status and self.statuses:
            add("statuses", list(self.statuses))
        if self.request_type:
            add("request_type", self.request_type)
        if self.category:
            add("category", _prefix_pattern(self.category))
        if self.grid:
            add("grid", _prefix_pattern(self.grid))
        if self.source:
            add("source", self.source)
        if self.department:
            add("department", self.department)
        if self.overdue is not None:
            shape.append("overdue" if self.overdue else "on_time")
        if self.created_from:
            add("created_from", self.created_from)
        if self.created_to:
            add("created_to", self.created_to)
        if self.text and TRACKING_NO.fullmatch(self.text):
            # A tracking number is looked up by its own index, not searched for in every text.
            add("tracking_no", self.text)
        elif self.text:
            # lower(x) LIKE '%word%': the form the trigram indexes of migration 0004 answer.
            add("text", f"%{_escape_like(self.text.lower())}%")
        return tuple(shape), values


def _escape_like(text: str) -> str:
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def _prefix_pattern(prefix: str) -> str:
    return f"{_escape_like(prefix)}%"


def _now() -> Any:
    return bindparam("now", type_=_CASE.deadline_at.type)


# Table columns, not the ORM's attributes: the hot statements below go through Core alone, without
# the ORM's compile and loading layers (bench/triage.py).
_CASE = Case.__table__.c
_DEPARTMENT = Department.__table__.c
_PHOTO = Photo.__table__.c

# Each filter as SQL over bound values (CaseFilter.bound gives them).
_CONDITIONS: dict[str, Callable[[], ColumnElement[bool]]] = {
    "statuses": lambda: _CASE.status.in_(bindparam("statuses", expanding=True)),
    "request_type": lambda: _CASE.request_type == bindparam("request_type"),
    "category": lambda: _CASE.category_code.like(bindparam("category"), escape="/"),
    "grid": lambda: _CASE.grid_code.like(bindparam("grid"), escape="/"),
    "source": lambda: _CASE.source == bindparam("source"),
    "department": lambda: _CASE.department_code == bindparam("department"),
    "overdue": lambda: overdue_clause(_now()),
    "on_time": lambda: ~overdue_clause(_now()),
    "created_from": lambda: _CASE.created_at >= bindparam("created_from", type_=_CASE.created_at.type),
    "created_to": lambda: _CASE.created_at < bindparam("created_to", type_=_CASE.created_at.type),
    "tracking_no": lambda: _CASE.tracking_no == bindparam("tracking_no"),
    "text": lambda: or_(
        func.lower(_CASE.description).like(bindparam("text"), escape="/"),
        func.lower(_CASE.address).like(bindparam("text"), escape="/"),
    ),
}


@functools.cache
def _where(shape: tuple[str, ...]) -> tuple[ColumnElement[bool], ...]:
    return tuple(_CONDITIONS[name]() for name in shape)


def _staff(principal: Principal) -> None:
    require_role(principal, *STAFF_ROLES)


async def queue(
    session: AsyncSession,
    catalog: CatalogSnapshot,
    principal: Principal,
    filters: CaseFilter,
    sort: SortKey,
    cursor: str | None,
    limit: int,
    locale: str,
) -> CasePage:
    _staff(principal)
    now = utcnow()
    shape, values = filters.bound(now)
    if cursor:
        values["after_at"], values["after_id"] = cursors.decode(cursor, sort)
    statement = _queue_statement(shape, sort, cursor is not None)
    rows = await driver.read_once(session.bind, statement, {**values, "limit": limit + 1})
    items = [_summary(row, catalog, locale, now) for row in rows[:limit]]
    next_cursor = _next_cursor(rows[limit - 1], sort) if len(rows) > limit else None
    return CasePage(items=items, next_cursor=next_cursor)


@functools.lru_cache(maxsize=512)
def _queue_statement(shape: tuple[str, ...], sort: SortKey, after: bool) -> Select[Any]:
    """Built once per filter shape, sort and page kind: building a statement and working out its
    cache key on every call cost more than the query itself (bench/triage.py)."""
    return _keyset(SUMMARY_SELECT.where(*_where(shape)), sort, after).limit(bindparam("limit"))


def _keyset(query: Select[Any], sort: SortKey, after: bool) -> Select[Any]:
    """Order by a time and the id, and continue strictly after the last row seen (`after_at`,
    `after_id`): a page never shifts when new cases arrive, unlike OFFSET. The row comparison
    (t, id) < (x, y), unlike the equivalent OR, lets the database start the index scan at the cursor."""
    cursor = tuple_(
        bindparam("after_at", type_=_CASE.created_at.type), bindparam("after_id", type_=_CASE.id.type)
    )
    if sort == "deadline_at":
        # Soonest deadline first: only cases that have one.
        key = tuple_(_CASE.deadline_at, _CASE.id)
        query = query.where(_CASE.deadline_at.is_not(None))
        return (query.where(key > cursor) if after else query).order_by(_CASE.deadline_at, _CASE.id)
    key = tuple_(_CASE.created_at, _CASE.id)
    if sort == "created_at":
        return (query.where(key > cursor) if after else query).order_by(_CASE.created_at, _CASE.id)
    return (query.where(key < cursor) if after else query).order_by(_CASE.created_at.desc(), _CASE.id.desc())


def _next_cursor(row: Sequence[Any], sort: SortKey) -> str:
    at = row[_DEADLINE_AT] if sort == "deadline_at" else row[_CREATED_AT]
    return cursors.encode(sort, at, row[0])


@functools.lru_cache(maxsize=512)
def _counts_statement(shape: tuple[str, ...]) -> Select[Any]:
    """Per status, with the overdue of each: from the kept counts when the filters are theirs (the
    desk's usual ones), else by counting the matching cases."""
    if set(shape) <= tally.KEPT_FILTERS:
        return tally.counts_statement(shape, _where(shape))
    overdue = func.count().filter(overdue_clause(_now()))
    return select(_CASE.status, func.count(), overdue).where(*_where(shape)).group_by(_CASE.status)


async def counts(session: AsyncSession, principal: Principal, filters: CaseFilter) -> StatusCounts:
    """Cases per status under the same filters (the status filter aside), and how many are overdue."""
    _staff(principal)
    now = utcnow()
    shape, values = filters.bound(now, with_status=False)
    rows = await driver.read_once(session.bind, _counts_statement(shape), values | tally.day_bounds(now))
    by_status = {status: n for status, n, _ in rows}
    return StatusCounts(
        counts=by_status, total=sum(by_status.values()), overdue=sum(late for *_, late in rows)
    )


def _build_summary_select() -> Select[Any]:
    """The queue row's columns, its department's names and its first photo, in one statement: the
    queue is the desk's hottest read (bench/triage.py)."""
    return (
        select(
            _CASE.id,
            _CASE.tracking_no,
            _CASE.status,
            _CASE.request_type,
            _CASE.category_code,
            _CASE.source,
            _CASE.source_client,
            _CASE.grid_code,
            _CASE.department_code,
            _CASE.description,
            _CASE.address,
            _CASE.lat,
            _CASE.lng,
            _CASE.accuracy_m,
            _CASE.created_at,
            _CASE.updated_at,
            _CASE.deadline_at,
            _CASE.version,
            _DEPARTMENT.name_zh.label("department_zh"),
            _DEPARTMENT.name_en.label("department_en"),
            _PHOTO.id.label("thumb_id"),
        )
        .select_from(Case.__table__)
        .outerjoin(Department.__table__, _DEPARTMENT.code == _CASE.department_code)
        .outerjoin(Photo.__table__, and_(_PHOTO.case_id == _CASE.id, _PHOTO.position == 0))
    )


# Built once: statements are immutable, and building this one was a tenth of a queue call.
SUMMARY_SELECT = _build_summary_select()
_CREATED_AT, _DEADLINE_AT = (
    list(SUMMARY_SELECT.selected_columns.keys()).index(name) for name in ("created_at", "deadline_at")
)


def _summary(row: Sequence[Any], catalog: CatalogSnapshot, locale: str, now: datetime) -> CaseSummary:
    # Unpacked by position, in SUMMARY_SELECT's order: a Row's attribute lookup was most of the cost
    # of building a queue page (bench/triage.py). Columns a caller added come after, unread here.
    (
        case_id,
        tracking_no,
        status,
        request_type,
        category_code,
        source,
        source_client,
        grid_code,
        department_code,
        description,
        address,
        lat,
        lng,
        accuracy_m,
        created_at,
        updated_at,
        deadline_at,
        version,
        department_zh,
        department_en,
        thumb_id,
        *_,
    ) = row
    category = catalog.categories.get(category_code) if category_code else None
    return CaseSummary(
        id=str(case_id),
        tracking_no=tracking_no,
        status=status,
        status_name=_status_name(status, locale),
        type=request_type,
        category_code=category_code,
        category_name=category_name(category, locale) if category else None,
        source=source,
        source_client=source_client,
        grid_code=grid_code,
        department_code=department_code,
        department_name=department_en if locale == "en" else department_zh,
        description=_shorten(description),
        address=address,
        location=LocationOut(lat=lat, lng=lng, accuracy_m=accuracy_m),
        created_at=created_at,
        updated_at=updated_at,
        deadline_at=deadline_at,
        overdue=is_overdue(status, deadline_at, now),
        version=version,
        thumb_url=thumb_url(thumb_id) if thumb_id else None,
    )


@functools.cache
def _status_name(status: str, locale: str) -> str:
    return translate(f"status.{status}", locale)


async def summaries(
    session: AsyncSession, catalog: CatalogSnapshot, case_ids: Sequence[uuid.UUID], locale: str
) -> list[CaseSummary]:
    """Queue rows for the given cases, in the order given."""
    if not case_ids:
        return []
    now = utcnow()
    rows = {
        row.id: row for row in (await session.execute(SUMMARY_SELECT.where(_CASE.id.in_(case_ids)))).all()
    }
    return [_summary(rows[case_id], catalog, locale, now) for case_id in case_ids]


def _shorten(text: str) -> str:
    return text if len(text) <= SUMMARY_TEXT else text[: SUMMARY_TEXT - 1] + "…"


async def case_detail(
    session: AsyncSession,
    settings: Settings,
    catalog: CatalogSnapshot,
    principal: Principal,
    case_id: uuid.UUID,
    address: str,
    locale: str,
) -> StaffCaseOut:
    """A case in full, the reporter's contact included; the view is written to the audit log."""
    _staff(principal)
    async with session.begin():
        case = await _get(session, case_id)
        audit.record(session, settings, principal.user_id, "case.viewed", address, case_id=case.id)
        return await _detail(session, catalog, case, principal, locale)


async def _get(session: AsyncSession, case_id: uuid.UUID, *, lock: bool = False) -> Case:
    case = await session.get(Case, case_id, with_for_update=lock)
    if case is None:
        raise ApiError(404, "not_found")
    return case


async def _detail(
    session: AsyncSession, catalog: CatalogSnapshot, case: Case, principal: Principal, locale: str
) -> StaffCaseOut:
    reporter = await session.get(User, case.reporter_id)
    assert reporter is not None
    photos = list(
        await session.scalars(select(Photo).where(Photo.case_id == case.id).order_by(Photo.position))
    )
    entries = (
        await session.execute(
            select(TimelineEntry, User.username, User.display_name)
            .outerjoin(User, User.id == TimelineEntry.actor_id)
            .where(TimelineEntry.case_id == case.id)
            .order_by(TimelineEntry.occurred_at, TimelineEntry.id)
        )
    ).all()
    merged_into = await session.get(Case, case.merged_into_id) if case.merged_into_id else None
    # Inspectors and the platform act on cases too; the reporter's contact is for the desk.
    contact = principal.has_any(*STAFF_ROLES)
    reply = next((entry for entry, *_ in reversed(entries) if entry.action == "reply"), None)
    suggested = await _routed(session, catalog, case)
    return StaffCaseOut(
        summary=(await summaries(session, catalog, [case.id], locale))[0],
        description=case.description,
        accuracy_m=case.accuracy_m,
        contact_phone=case.contact_phone if contact else None,
        contact_name=case.contact_name if contact else None,
        contact_email=case.contact_email if contact else None,
        attributes=_answers(catalog, case, locale),
        reporter=Reporter(id=str(reporter.id), kind=reporter.kind, phone=reporter.phone if contact else None),
        photos=[_staff_photo(photo) for photo in photos],
        timeline=[
            StaffTimelineEntry(
                action=entry.action,
                action_name=translate(f"action.{entry.action}", locale),
                status=entry.status,
                status_name=translate(f"status.{entry.status}", locale),
                actor_role=entry.actor_role,
                # Staff are named; a citizen stays anonymous even to staff here.
                actor=(username or display_name) if entry.actor_role != "citizen" else None,
                occurred_at=entry.occurred_at,
                public_message=entry.public_message,
                internal_note=entry.internal_note,
                photo_ids=list(entry.photo_ids),
            )
            for entry, username, display_name in entries
        ],
        rework_count=case.rework_count,
        merged_into=CaseRef(id=str(merged_into.id), tracking_no=merged_into.tracking_no)
        if merged_into
        else None,
        rating=rating_out(case),
        reply=ReplyOut(message=reply.public_message or "", replied_at=reply.occurred_at)
        if reply is not None and case.replied_at is not None
        else None,
        suggested_department=DepartmentRef(code=suggested.code, name=category_name(suggested, locale))
        if suggested
        else None,
        position_checks=await plausibility.checks_of(session, case.id),
        voice_notes=await voice.notes_of(session, case.id),
        allowed_actions=workflow.allowed_actions(case, principal),
    )


def _answers(catalog: CatalogSnapshot, case: Case, locale: str) -> list[AttributeAnswer]:
    """The case's answers to its category's questions, in the questions' order and words."""
    category = catalog.categories.get(case.category_code) if case.category_code else None
    if not case.attributes or category is None:
        return []
    english = locale == "en"
    answers: list[AttributeAnswer] = []
    for question in category.attributes:
        given = case.attributes.get(question.code)
        if given is None:
            continue
        names = {value.key: value.en if english else value.zh for value in question.values}
        values = given if isinstance(given, list) else [given]
        answers.append(
            AttributeAnswer(
                code=question.code,
                name=question.en if english else question.zh,
                value=(", " if english else "、").join(names.get(str(v), str(v)) for v in values),
            )
        )
    return answers


async def _routed(session: AsyncSession, catalog: CatalogSnapshot, case: Case) -> Department | None:
    category = catalog.categories.get(case.category_code) if case.category_code else None
    return await routing.route(
        session, case.category_code, category.parent_code if category else None, case.grid_code
    )


async def templates(
    session: AsyncSession,
    settings: Settings,
    catalog: CatalogSnapshot,
    principal: Principal,
    case_id: uuid.UUID,
    action: str,
    locale: str,
) -> RenderedTemplateList:
    """The reply templates that fit this case for this action, filled in with its facts."""
    _staff(principal)
    async with session.begin():
        case = await _get(session, case_id)
        category = catalog.categories.get(case.category_code) if case.category_code else None
        department = (
            await session.get(Department, case.department_code) if case.department_code else None
        ) or await _routed(session, catalog, case)
        deadline = case.deadline_at
        if deadline is None and action == "dispatch" and category is not None:
            # What dispatching now would set: the template may promise it.
            deadline = workflow.deadline_from(category, workflow.Context(catalog, settings.tz, utcnow()))
        facts = replies.CaseFacts(
            request_type=case.request_type,
            category_code=case.category_code,
            parent_code=category.parent_code if category else None,
            values={
                "tracking_no": case.tracking_no,
                "category": category_name(category, locale) if category else "",
                "department": category_name(department, locale) if department else "",
                "deadline": deadline.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M") if deadline else "",
                "submitted_on": case.created_at.astimezone(settings.tz).strftime("%Y-%m-%d"),
            },
        )
        return await replies.fitting(session, facts, action, locale)


def _staff_photo(photo: Photo) -> StaffPhotoOut:
    return StaffPhotoOut(
        photo=photo_out(photo),
        original_url=f"/api/v1/staff/photos/{photo.id}/original",
        taken_at=photo.taken_at,
        gps=photo_gps(photo),
    )


async def act(
    session: AsyncSession,
    settings: Settings,
    catalog: CatalogSnapshot,
    principal: Principal,
    case_id: uuid.UUID,
    body: ActionIn,
    locale: str,
) -> StaffCaseOut:
    # The workflow's table decides who takes which step (inspectors check, the platform reports back),
    # before the case is looked up: a refused caller learns nothing of which cases exist.
    workflow.acting_role(principal, body)
    async with session.begin():
        # Locked until commit: two dispatchers acting at once are served one after the other,
        # and the second is told its version is stale.
        case = await _get(session, case_id, lock=True)
        context = workflow.Context(catalog=catalog, tz=settings.tz, at=utcnow())
        entry = await workflow.act(session, case, principal, body, context)
        log.info(
            "case_action",
            case_id=str(case.id),
            action=entry.action,
            status=case.status,
            actor=str(principal.user_id),
        )
        return await _detail(session, catalog, case, principal, locale)


async def duplicates(
    session: AsyncSession,
    catalog: CatalogSnapshot,
    principal: Principal,
    case_id: uuid.UUID,
    radius_m: float,
    days: int,
    same_category: bool,
    locale: str,
) -> DuplicateList:
    """Cases that may report the same problem, near it and around its time, ranked by likeness."""
    _staff(principal)
    async with session.begin():
        case = await _get(session, case_id)
        min_lat, max_lat, min_lng, max_lng = box_around(case.lat, case.lng, radius_m)
        window = timedelta(days=days)
        query = SUMMARY_SELECT.add_columns(Case.description.label("full_description")).where(
            Case.id != case.id,
            Case.lat.between(min_lat, max_lat),
            Case.lng.between(min_lng, max_lng),
            Case.created_at.between(case.created_at - window, case.created_at + window),
            Case.status.in_(OPEN_STATUSES + ("closed",)),
        )
        if same_category and case.category_code:
            query = query.where(Case.category_code == case.category_code)
        rows = [
            (distance, row)
            for row in (await session.execute(query.limit(500))).all()
            if (distance := distance_m(case.lat, case.lng, row.lat, row.lng)) <= radius_m
        ]
        hashes = await _photo_hashes(session, [case.id, *(row.id for _, row in rows)])
    subject = likeness.Report.of(case, catalog, hashes.get(case.id, []))
    scored = sorted(
        (
            (
                likeness.compare(
                    subject,
                    likeness.Report.of(row, catalog, hashes.get(row.id, []), row.full_description),
                    distance,
                    radius_m,
                    window,
                ),
                distance,
                row,
            )
            for distance, row in rows
        ),
        key=lambda item: (-item[0].score, item[1]),
    )[:20]
    now = utcnow()
    # The candidates' rows are their summaries too: one read, no second query for the answer.
    return DuplicateList(
        items=[
            DuplicateCandidate(
                case=_summary(row, catalog, locale, now),
                distance_m=round(distance),
                score=round(match.score, 3),
                reasons=list(match.reasons),
            )
            for match, distance, row in scored
        ]
    )


async def _photo_hashes(session: AsyncSession, case_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[int]]:
    found: dict[uuid.UUID, list[int]] = {}
    rows = await session.execute(
        select(Photo.case_id, Photo.phash).where(Photo.case_id.in_(case_ids), Photo.phash.is_not(None))
    )
    for case_id, phash in rows:
        found.setdefault(case_id, []).append(int(phash, 16))
    return found


@functools.lru_cache(maxsize=512)
def _geo_statement(shape: tuple[str, ...]) -> Select[Any]:
    return (
        select(
            _CASE.id,
            _CASE.tracking_no,
            _CASE.status,
            _CASE.category_code,
            _CASE.lat,
            _CASE.lng,
            # Decided in the database: no timestamp to convert per point.
            overdue_clause(_now()).label("overdue"),
        )
        .where(
            _CASE.lat.between(bindparam("min_lat"), bindparam("max_lat")),
            _CASE.lng.between(bindparam("min_lng"), bindparam("max_lng")),
            *_where(shape),
        )
        .order_by(_CASE.created_at.desc())
        .limit(GEO_CAP + 1)
    )


async def geo(
    session: AsyncSession,
    principal: Principal,
    bbox: tuple[float, float, float, float],
    filters: CaseFilter,
) -> CaseFeatureCollection:
    """Open cases (or the filtered statuses) in a box, newest first, at most GEO_CAP of them."""
    _staff(principal)
    min_lng, min_lat, max_lng, max_lat = bbox
    if not filters.statuses:
        filters = replace(filters, statuses=OPEN_STATUSES)
    shape, values = filters.bound(utcnow())
    box = {"min_lat": min_lat, "max_lat": max_lat, "min_lng": min_lng, "max_lng": max_lng}
    rows = await driver.read_once(session.bind, _geo_statement(shape), {**values, **box})
    return CaseFeatureCollection(
        features=[
            CaseFeature(
                geometry=PointGeometry(coordinates=(lng, lat)),
                properties=CaseFeatureProps(
                    id=case_id,
                    tracking_no=tracking_no,
                    status=status,
                    category_code=category_code,
                    overdue=bool(overdue),
                ),
            )
            for case_id, tracking_no, status, category_code, lat, lng, overdue in rows[:GEO_CAP]
        ],
        truncated=len(rows) > GEO_CAP,
    )


async def original_photo(
    session: AsyncSession,
    settings: Settings,
    store: ObjectStore,
    principal: Principal,
    photo_id: uuid.UUID,
    address: str,
) -> tuple[bytes, str]:
    """The unstripped original of a case's photo (EXIF and all); every fetch is audited."""
    _staff(principal)
    async with session.begin():
        photo = await session.get(Photo, photo_id)
        if photo is None or photo.case_id is None:
            raise ApiError(404, "not_found")
        audit.record(
            session,
            settings,
            principal.user_id,
            "photo.original_viewed",
            address,
            case_id=photo.case_id,
            subject=str(photo.id),
        )
    return await store.get(original_key(photo.id)), photo.mime_type
