"""Citizen requests: submit once, read one's own, rate, and look for similar reports nearby."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
import structlog
from sqlalchemy import Select, and_, bindparam, delete, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend import driver
from backend.accounts.guards import require_role
from backend.accounts.service import normalize_phone
from backend.accounts.tokens import Principal
from backend.cases import cursors, workflow
from backend.cases.models import Case, CaseFollower, TimelineEntry
from backend.cases.schemas import (
    MAX_PHOTOS,
    LocationOut,
    PublicRequestOut,
    RatingIn,
    RatingOut,
    ReplyOut,
    RequestCreate,
    RequestOut,
    RequestPage,
    TimelineEntryOut,
)
from backend.catalog.geo import box_around, distance_m, to_wgs84
from backend.catalog.lookup import CatalogSnapshot, CategoryRef
from backend.catalog.models import Category
from backend.catalog.schemas import TYPES_NEEDING_CATEGORY
from backend.catalog.service import Named, category_name
from backend.db import utcnow
from backend.errors import ApiError
from backend.i18n import translate
from backend.settings import Settings
from backend.uploads.models import Photo
from backend.uploads.service import photo_out, photos_of, thumb_url

log = structlog.get_logger(__name__)

# The reporter's own requests: newest first.
OWN_ORDER = "-created_at"
OPEN_STATUSES = ("submitted", "accepted", "dispatched", "in_progress", "handled")
# Public answers show, and measure from, the point rounded to this many decimals (~10 m): the exact
# point of someone's report (their doorstep, often) must not be recoverable from any of them.
PUBLIC_DECIMALS = 4
# Half a rounding step, so the search box also finds reports whose rounded point lies inside it.
_ROUNDING_MARGIN = 0.5 * 10**-PUBLIC_DECIMALS
# How much of a description a public summary shows: enough to tell two reports apart.
PUBLIC_SUMMARY_CHARS = 40
# Seven digits or more, spaces and dashes between them allowed: a phone number, whatever its format.
_PHONE_LIKE = re.compile(r"\d(?:[\s-]?\d){6,}")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a case came from when not from the app's own report screen (an Open311 client), with what
    that source gives beyond a report: its name, the reporter's name and e-mail, extra answers."""

    source: str
    client: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    attributes: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Submitted:
    request: RequestOut
    created: bool


async def submit_request(
    session: AsyncSession,
    settings: Settings,
    catalog: CatalogSnapshot,
    principal: Principal,
    body: RequestCreate,
    locale: str,
) -> Submitted:
    require_role(principal, "citizen")
    digest = hashlib.sha256(msgspec.json.encode(body)).hexdigest()
    try:
        out = await _create(session, settings, catalog, principal, body, digest, locale)
    except IntegrityError:
        # The client_id exists: a retry (perhaps a concurrent one) of a request already stored. The
        # session starts clean, whatever the failed write left in it.
        await session.rollback()
        async with session.begin():
            existing = await session.scalar(select(Case).where(Case.client_id == body.client_id))
            if existing is None:
                raise
            return Submitted(await _replay(session, existing, principal, digest, locale), created=False)
    log.info("request_submitted", case_id=out.id, tracking_no=out.tracking_no, grid=out.grid_code)
    return Submitted(out, created=True)


async def submit_from(
    session: AsyncSession,
    settings: Settings,
    catalog: CatalogSnapshot,
    principal: Principal,
    body: RequestCreate,
    provenance: Provenance,
    locale: str,
) -> RequestOut:
    """A report from another source (its client_id new each time: such a source has no retries of
    its own to recognise)."""
    require_role(principal, "citizen")
    out = await _create(session, settings, catalog, principal, body, None, locale, provenance)
    log.info("request_submitted", case_id=out.id, tracking_no=out.tracking_no, source=provenance.source)
    return out


async def _replay(
    session: AsyncSession, case: Case, principal: Principal, digest: str, locale: str
) -> RequestOut:
    if case.reporter_id != principal.user_id:
        raise ApiError(409, "client_id_conflict")
    if case.client_digest is not None and case.client_digest != digest:
        # The same client_id with another body: not a retry, and the first case must not be passed off.
        raise ApiError(422, "idempotency_key_conflict")
    return (await _outs(session, [case], locale, with_timeline=True))[0]


async def _create(
    session: AsyncSession,
    settings: Settings,
    catalog: CatalogSnapshot,
    principal: Principal,
    body: RequestCreate,
    digest: str | None,
    locale: str,
    provenance: Provenance | None = None,
) -> RequestOut:
    category = _category_for(catalog, body)
    photo_ids = list(dict.fromkeys(body.photo_ids))
    if len(photo_ids) > MAX_PHOTOS:
        raise ApiError(422, "too_many_photos", max=MAX_PHOTOS)
    contact_phone = normalize_phone(body.contact_phone) if body.contact_phone else None
    lat, lng = to_wgs84(body.location.lat, body.location.lng, body.location.crs)
    grid = catalog.grid_at(lat, lng)
    if grid is None:
        raise ApiError(422, "outside_service_area")

    now = utcnow()
    case = Case(
        id=uuid.uuid4(),
        client_id=body.client_id,
        client_digest=digest,
        source=provenance.source if provenance else "citizen",
        request_type=body.type,
        category_code=category.code if category else None,
        description=body.description,
        lat=lat,
        lng=lng,
        accuracy_m=body.location.accuracy_m,
        address=body.address or None,
        grid_code=grid.code,
        reporter_id=principal.user_id,
        contact_phone=contact_phone,
        created_at=now,
    )
    if provenance:
        case.source_client = provenance.client
        case.contact_name = provenance.contact_name
        case.contact_email = provenance.contact_email
        case.attributes = provenance.attributes
    context = workflow.Context(catalog=catalog, tz=settings.tz, at=now)
    # Stored by itself (no transaction is open here), in one statement; a retry's duplicate client_id
    # fails it whole. The photos are read back for the answer when there are some.
    entry = await workflow.submit(session, case, principal, photo_ids, context)
    if not photo_ids:
        return request_out(case, [], category, [entry], locale)
    async with session.begin():
        photos = await photos_of(session, case.id)
    return request_out(case, photos, category, [entry], locale)


def _category_for(catalog: CatalogSnapshot, body: RequestCreate) -> CategoryRef | None:
    if not body.category_code:
        if body.type in TYPES_NEEDING_CATEGORY:
            raise ApiError(422, "category_required")
        return None
    return workflow.minor_category(catalog, body.category_code)


async def own_request(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, locale: str
) -> RequestOut:
    async with session.begin():
        case = await _owned(session, principal, case_id)
        return (await _outs(session, [case], locale, with_timeline=True))[0]


async def _owned(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> Case:
    case = await session.get(Case, case_id)
    # Someone else's request is "not found": its existence is not disclosed.
    if case is None or case.reporter_id != principal.user_id:
        raise ApiError(404, "not_found")
    return case


async def own_requests(
    session: AsyncSession, principal: Principal, cursor: str | None, limit: int, locale: str
) -> RequestPage:
    query = select(Case).where(Case.reporter_id == principal.user_id)
    if cursor:
        created_at, case_id = cursors.decode(cursor, OWN_ORDER)
        query = query.where(tuple_(Case.created_at, Case.id) < (created_at, case_id))
    query = query.order_by(Case.created_at.desc(), Case.id.desc()).limit(limit + 1)
    async with session.begin():
        cases = list(await session.scalars(query))
        items = await _outs(session, cases[:limit], locale, with_timeline=False)
    next_cursor = None
    if len(cases) > limit:
        last = cases[limit - 1]
        next_cursor = cursors.encode(OWN_ORDER, last.created_at, last.id)
    return RequestPage(items=items, next_cursor=next_cursor)


async def rate_request(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, body: RatingIn, locale: str
) -> RequestOut:
    async with session.begin():
        case = await _owned(session, principal, case_id)
        await workflow.rate(session, case, principal, body.score, body.comment or None, utcnow())
        await session.flush()
        return (await _outs(session, [case], locale, with_timeline=True))[0]


# Table columns, not the ORM's attributes: the public reads go through Core alone (bench/triage.py).
_CASE = Case.__table__.c
_PHOTO = Photo.__table__.c


def _build_public_select() -> Select[Any]:
    """What a public summary shows, with the case's first photo, in one statement."""
    return (
        select(
            _CASE.id,
            _CASE.request_type,
            _CASE.category_code,
            _CASE.status,
            _CASE.lat,
            _CASE.lng,
            _CASE.created_at,
            _CASE.updated_at,
            _CASE.description,
            _CASE.reporter_id,
            _PHOTO.id.label("thumb_id"),
        )
        .select_from(Case.__table__)
        .outerjoin(Photo.__table__, and_(_PHOTO.case_id == _CASE.id, _PHOTO.position == 0))
    )


# Built once: "already reported?" runs on every report screen (bench/triage.py).
PUBLIC_SELECT = _build_public_select()
_LAT, _LNG, _CREATED = (
    list(PUBLIC_SELECT.selected_columns.keys()).index(k) for k in ("lat", "lng", "created_at")
)


def _build_nearby(with_category: bool) -> Select[Any]:
    """Open cases in a box (bound values), of one category or any: built once per kind."""
    query = PUBLIC_SELECT.where(
        _CASE.lat.between(bindparam("min_lat"), bindparam("max_lat")),
        _CASE.lng.between(bindparam("min_lng"), bindparam("max_lng")),
        _CASE.status.in_(OPEN_STATUSES),
    )
    return query.where(_CASE.category_code == bindparam("category_code")) if with_category else query


_NEARBY = {with_category: _build_nearby(with_category) for with_category in (False, True)}


async def nearby(
    session: AsyncSession,
    catalog: CatalogSnapshot,
    principal: Principal | None,
    lat: float,
    lng: float,
    radius_m: float,
    category_code: str | None,
    locale: str,
    limit: int = 20,
) -> list[PublicRequestOut]:
    min_lat, max_lat, min_lng, max_lng = box_around(lat, lng, radius_m)
    m = _ROUNDING_MARGIN
    box = {"min_lat": min_lat - m, "max_lat": max_lat + m, "min_lng": min_lng - m, "max_lng": max_lng + m}
    values = {**box, "category_code": category_code} if category_code else box
    rows = await driver.read_once(session.bind, _NEARBY[bool(category_code)], values)
    # Chosen, ordered and measured by the public point only: membership, order and distance alike
    # would otherwise each say something about the exact one.
    found = sorted(
        (
            (distance, row)
            for row in rows
            if (distance := distance_m(lat, lng, *public_point(row[_LAT], row[_LNG]))) <= radius_m
        ),
        key=lambda pair: (pair[0], pair[1][_CREATED]),
    )[:limit]
    followed_ids = await _followed_among(session, principal, [row[0] for _, row in found])
    return [
        _public_out(row, catalog, locale, principal, row[0] in followed_ids, distance)
        for distance, row in found
    ]


async def _followed_among(
    session: AsyncSession, principal: Principal | None, case_ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    if principal is None or not case_ids:
        return set()
    async with session.begin():
        return set(
            await session.scalars(
                select(CaseFollower.case_id).where(
                    CaseFollower.user_id == principal.user_id, CaseFollower.case_id.in_(case_ids)
                )
            )
        )


async def follow(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> None:
    """Follow an open case found nearby instead of reporting it again."""
    require_role(principal, "citizen")
    try:
        async with session.begin():
            case = await session.get(Case, case_id)
            if case is None or case.status not in OPEN_STATUSES:
                raise ApiError(404, "not_found")
            if await session.get(CaseFollower, (case_id, principal.user_id)) is None:
                session.add(CaseFollower(case_id=case_id, user_id=principal.user_id))
    except IntegrityError:
        pass  # a concurrent tap of the same button got there first: followed all the same


async def unfollow(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> None:
    async with session.begin():
        await session.execute(
            delete(CaseFollower).where(
                CaseFollower.case_id == case_id, CaseFollower.user_id == principal.user_id
            )
        )


async def followed(
    session: AsyncSession, catalog: CatalogSnapshot, principal: Principal, locale: str
) -> list[PublicRequestOut]:
    query = (
        PUBLIC_SELECT.join(CaseFollower, CaseFollower.case_id == _CASE.id)
        .where(CaseFollower.user_id == principal.user_id)
        .order_by(CaseFollower.created_at.desc())
        .limit(100)
    )
    async with session.begin():
        rows = (await session.execute(query)).all()
    return [_public_out(row, catalog, locale, principal, following=True) for row in rows]


def public_point(lat: float, lng: float) -> tuple[float, float]:
    return round(lat, PUBLIC_DECIMALS), round(lng, PUBLIC_DECIMALS)


def public_summary(description: str) -> str:
    """The start of a description for anyone to read: one line, phone numbers and e-mail addresses
    masked before it is cut, so that a number across the cut is masked too."""
    text = " ".join(description.split())
    text = _EMAIL.sub("***", _PHONE_LIKE.sub(lambda m: "*" * len(m.group()), text))
    return text if len(text) <= PUBLIC_SUMMARY_CHARS else text[: PUBLIC_SUMMARY_CHARS - 1] + "…"


def _public_out(
    row: Sequence[Any],
    catalog: CatalogSnapshot,
    locale: str,
    principal: Principal | None,
    following: bool,
    distance: float | None = None,
) -> PublicRequestOut:
    # In PUBLIC_SELECT's order.
    (
        case_id,
        kind,
        category_code,
        status,
        lat,
        lng,
        created_at,
        updated_at,
        description,
        reporter_id,
        thumb,
    ) = row
    category = catalog.categories.get(category_code) if category_code else None
    return PublicRequestOut(
        id=str(case_id),
        type=kind,
        category_code=category_code,
        category_name=category_name(category, locale) if category else None,
        status=status,
        status_name=translate(f"status.{status}", locale),
        location=LocationOut(*public_point(lat, lng)),
        created_at=created_at,
        updated_at=updated_at,
        thumb_url=thumb_url(thumb) if thumb else None,
        summary=public_summary(description),
        own=principal is not None and reporter_id == principal.user_id,
        following=following,
        distance_m=round(distance) if distance is not None else None,
    )


async def _outs(
    session: AsyncSession, cases: Sequence[Case], locale: str, *, with_timeline: bool
) -> list[RequestOut]:
    """Answers for several cases with one query per related table, not one per case."""
    if not cases:
        return []
    ids = [c.id for c in cases]
    photos: dict[uuid.UUID, list[Photo]] = {i: [] for i in ids}
    for photo in await session.scalars(select(Photo).where(Photo.case_id.in_(ids)).order_by(Photo.position)):
        photos[photo.case_id].append(photo)  # type: ignore[index]
    categories = {
        c.code: c
        for c in await session.scalars(
            select(Category).where(Category.code.in_({c.category_code for c in cases if c.category_code}))
        )
    }
    timelines: dict[uuid.UUID, list[TimelineEntry]] = {i: [] for i in ids}
    if with_timeline:
        for entry in await session.scalars(
            select(TimelineEntry).where(TimelineEntry.case_id.in_(ids)).order_by(TimelineEntry.occurred_at)
        ):
            timelines[entry.case_id].append(entry)
    replies = await _replies(session, [c.id for c in cases if c.replied_at is not None])
    originals = {c.merged_into_id for c in cases if c.merged_into_id}
    merged_into: dict[uuid.UUID, str] = {}
    if originals:
        rows = await session.execute(select(Case.id, Case.tracking_no).where(Case.id.in_(originals)))
        merged_into = {case_id: tracking_no for case_id, tracking_no in rows}
    return [
        request_out(
            case,
            photos[case.id],
            categories.get(case.category_code or ""),
            timelines[case.id] if with_timeline else None,
            locale,
            merged_into.get(case.merged_into_id) if case.merged_into_id else None,
            replies.get(case.id),
        )
        for case in cases
    ]


async def _replies(session: AsyncSession, case_ids: list[uuid.UUID]) -> dict[uuid.UUID, ReplyOut]:
    """The answer that closed each replied case: its latest reply (a reopened case may have two)."""
    if not case_ids:
        return {}
    entries = await session.scalars(
        select(TimelineEntry)
        .where(TimelineEntry.case_id.in_(case_ids), TimelineEntry.action == "reply")
        .order_by(TimelineEntry.occurred_at)
    )
    return {e.case_id: ReplyOut(message=e.public_message or "", replied_at=e.occurred_at) for e in entries}


def request_out(
    case: Case,
    photos: list[Photo],
    category: Named | None,
    timeline: list[TimelineEntry] | None,
    locale: str,
    merged_into: str | None = None,
    reply: ReplyOut | None = None,
) -> RequestOut:
    return RequestOut(
        id=str(case.id),
        tracking_no=case.tracking_no,
        status=case.status,
        status_name=translate(f"status.{case.status}", locale),
        type=case.request_type,
        category_code=case.category_code,
        category_name=category_name(category, locale) if category else None,
        description=case.description,
        location=LocationOut(lat=case.lat, lng=case.lng, accuracy_m=case.accuracy_m),
        address=case.address,
        grid_code=case.grid_code,
        contact_phone=case.contact_phone,
        photos=[photo_out(p) for p in photos],
        created_at=case.created_at,
        updated_at=case.updated_at,
        rating=rating_out(case),
        merged_into=merged_into,
        reply=reply if case.replied_at is not None else None,
        timeline=[
            TimelineEntryOut(
                action=e.action,
                action_name=translate(f"action.{e.action}", locale),
                status=e.status,
                status_name=translate(f"status.{e.status}", locale),
                actor_role=e.actor_role,
                occurred_at=e.occurred_at,
                public_message=e.public_message,
            )
            for e in timeline
        ]
        if timeline is not None
        else None,
    )


def rating_out(case: Case) -> RatingOut | None:
    if case.rating_score is None or case.rated_at is None:
        return None
    return RatingOut(score=case.rating_score, comment=case.rating_comment, rated_at=case.rated_at)
