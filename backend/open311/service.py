"""Open311 GeoReport v2 over the app's own cases: the services are the minor categories (and the request
types that need none), a request filed is a case like any citizen's (same checks, workflow, outbox,
photo pipeline), and a request read back shows only what the app shows the public."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.service import normalize_phone
from backend.accounts.tokens import Principal
from backend.cases.models import Case, TimelineEntry
from backend.cases.schemas import LocationIn, RequestCreate
from backend.cases.service import OPEN_STATUSES, Provenance, public_point, public_summary, submit_from
from backend.catalog.lookup import CatalogSnapshot, CategoryRef
from backend.catalog.schemas import LIST_TYPES, REQUEST_TYPES, TYPES_NEEDING_CATEGORY, AttributeDef
from backend.catalog.service import category_name
from backend.departments.models import Department
from backend.errors import ApiError, FieldError
from backend.i18n import translate
from backend.open311.keys import CLIENT_KIND
from backend.open311.models import ApiKey
from backend.open311.schemas import (
    Attribute,
    AttributeValueOut,
    Created,
    Discovery,
    Endpoint,
    Service,
    ServiceDefinition,
    ServiceRequestIn,
    ServiceRequestOut,
)
from backend.settings import Settings
from backend.uploads import remote
from backend.uploads.models import Photo
from backend.uploads.service import display_url, store_photo
from backend.uploads.storage import ObjectStore

log = structlog.get_logger(__name__)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this face of the API last changed in a way a client would notice (discovery's changeset).
CHANGESET = datetime(2026, 11, 26, tzinfo=UTC)
FORMATS = ["application/json", "text/xml"]
# How our statuses read to an Open311 client: open until the case is closed, rejected or merged.
CLOSED_STATUSES = ("closed", "rejected", "merged")
_DATATYPE_HINTS = {
    "string": "string",
    "number": "number",
    "datetime": "W3C datetime, e.g. 2026-11-26T09:30:00+08:00",
    "text": "text",
    "singlevaluelist": "one key of values",
    "multivaluelist": "one or more keys of values",
}


def discovery(settings: Settings) -> Discovery:
    return Discovery(
        changeset=CHANGESET,
        contact=settings.open311_contact,
        key_service=f"{settings.base_url}/staff/admin/api-keys",
        endpoints=[
            Endpoint(
                specification=SPECIFICATION,
                url=f"{settings.base_url}/open311/v2",
                changeset=CHANGESET,
                type="production",
                formats=FORMATS,
            )
        ],
    )


def services(catalog: CatalogSnapshot, locale: str) -> list[Service]:
    """Every active minor category, then the request types a report of needs no category."""
    found = [
        _category_service(catalog, category, locale)
        for category in catalog.categories.values()
        if category.active and category.parent_code is not None
    ]
    return found + [
        _type_service(code, locale) for code in REQUEST_TYPES if code not in TYPES_NEEDING_CATEGORY
    ]


def _category_service(catalog: CatalogSnapshot, category: CategoryRef, locale: str) -> Service:
    major = catalog.categories[category.parent_code or ""]
    kind = translate(f"category_kind.{category.kind}", locale)
    name = category_name(category, locale)
    return Service(
        service_code=category.code,
        service_name=name,
        description=f"{kind} · {category_name(major, locale)} · {name}",
        metadata=bool(category.attributes),
        type="realtime",
        keywords=", ".join((kind, category_name(major, locale), category.code[1:])),
        group=category_name(major, locale),
    )


def _type_service(code: str, locale: str) -> Service:
    name = translate(f"request_type.{code}", locale)
    return Service(
        service_code=code,
        service_name=name,
        description=translate("open311.type_description", locale, type=name),
        metadata=False,
        type="realtime",
        keywords=name,
        group=translate("open311.type_group", locale),
    )


def definition(catalog: CatalogSnapshot, service_code: str, locale: str) -> ServiceDefinition:
    category = _service_category(catalog, service_code)
    attributes = category.attributes if category else ()
    return ServiceDefinition(
        service_code=service_code,
        attributes=[
            Attribute(
                variable=True,
                code=attribute.code,
                datatype=attribute.datatype,
                required=attribute.required,
                datatype_description=_DATATYPE_HINTS[attribute.datatype],
                order=order,
                description=attribute.en if locale == "en" else attribute.zh,
                values=[
                    AttributeValueOut(key=value.key, name=value.en if locale == "en" else value.zh)
                    for value in attribute.values
                ],
            )
            for order, attribute in enumerate(attributes, start=1)
        ],
    )


def _service_category(catalog: CatalogSnapshot, service_code: str) -> CategoryRef | None:
    """The category a service code stands for, None for a request type; 404 for neither."""
    if service_code in REQUEST_TYPES and service_code not in TYPES_NEEDING_CATEGORY:
        return None
    category = catalog.active_category(service_code)
    if category is None or category.parent_code is None:
        raise ApiError(404, "service_not_found", code=service_code)
    return category


@dataclass(frozen=True, slots=True)
class Media:
    """A photo sent with the request: uploaded in the form, or at a URL to fetch."""

    data: bytes | None
    url: str | None


async def submit(
    session: AsyncSession,
    settings: Settings,
    store: ObjectStore,
    slots: asyncio.Semaphore,
    catalog: CatalogSnapshot,
    key: ApiKey,
    body: ServiceRequestIn,
    media: Media,
    locale: str,
) -> Created:
    category = _service_category(catalog, body.service_code)
    if body.lat is None or body.long is None:
        # Geocoding an address is not ours to do: a point is needed.
        raise ApiError(400, "open311_location_required")
    attributes = _checked_attributes(category.attributes if category else (), body.attributes)
    # Refusals the case would meet anyway, before a photo is fetched and stored for nothing.
    if catalog.grid_at(body.lat, body.long) is None:
        raise ApiError(422, "outside_service_area")
    if body.phone:
        normalize_phone(body.phone)
    contact_email = _checked_email(body.email)
    principal = Principal(user_id=key.user_id, kind=CLIENT_KIND, roles=("citizen",))
    photo_ids = await _take_media(session, settings, store, slots, key.user_id, media)
    description = (body.description or "").strip() or (
        category_name(category, locale)
        if category
        else translate(f"request_type.{body.service_code}", locale)
    )
    name = _full_name(body.first_name, body.last_name)
    request = RequestCreate(
        client_id=uuid.uuid4(),
        type="complaint" if category else body.service_code,  # type: ignore[arg-type]
        description=description,
        location=LocationIn(lat=body.lat, lng=body.long),
        category_code=category.code if category else None,
        address=body.address_string,
        photo_ids=photo_ids,
        contact_phone=body.phone or None,
    )
    provenance = Provenance(
        source="open311",
        client=key.name,
        contact_name=name,
        contact_email=contact_email,
        attributes=attributes or None,
    )
    out = await submit_from(session, settings, catalog, principal, request, provenance, locale)
    return Created(
        service_request_id=out.tracking_no,
        service_notice=translate("open311.notice", locale, tracking_no=out.tracking_no),
        account_id=body.account_id,
    )


def _full_name(first: str | None, last: str | None) -> str | None:
    """As the name is said: 王芳 (family name first, no space) or Fang Wang."""
    first, last = (first or "").strip(), (last or "").strip()
    if any("\u4e00" <= char <= "\u9fff" for char in first + last):
        return last + first or None
    return " ".join(part for part in (first, last) if part) or None


def _checked_email(email: str | None) -> str | None:
    if not email:
        return None
    local, at, domain = email.strip().rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in email.strip()):
        raise ApiError(400, "open311_invalid_email")
    return email.strip()


def _checked_attributes(defined: Sequence[AttributeDef], given: dict[str, list[str]]) -> dict[str, Any]:
    """The answers to the category's questions, each checked against its datatype: a list for
    multivaluelist, one value otherwise. Unknown questions and missing required ones are refused."""
    by_code = {attribute.code: attribute for attribute in defined}
    problems: list[FieldError] = []
    answers: dict[str, Any] = {}
    for code, values in given.items():
        attribute = by_code.get(code)
        values = [value.strip() for value in values if value.strip()]
        if not values:  # a form's empty field: not answered
            continue
        if attribute is None:
            problems.append(FieldError(name=f"attribute[{code}]", reason="unknown"))
        elif reason := _value_problem(attribute, values):
            problems.append(FieldError(name=f"attribute[{code}]", reason=reason))
        else:
            answers[code] = values if attribute.datatype == "multivaluelist" else values[0]
    problems += [
        FieldError(name=f"attribute[{a.code}]", reason="required")
        for a in defined
        if a.required and a.code not in answers
    ]
    if problems:
        raise ApiError(400, "open311_invalid_attribute", fields=problems)
    return answers


def _value_problem(attribute: AttributeDef, values: list[str]) -> str | None:
    if attribute.datatype != "multivaluelist" and len(values) > 1:
        return "one value only"
    if attribute.datatype in LIST_TYPES:
        keys = {value.key for value in attribute.values}
        return None if all(value in keys for value in values) else "not one of its values"
    value = values[0]
    if attribute.datatype == "number":
        try:
            float(value)
        except ValueError:
            return "not a number"
    if attribute.datatype == "datetime":
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return "not a W3C datetime"
    limit = 2000 if attribute.datatype == "text" else 200
    return "too long" if len(value) > limit else None


async def _take_media(
    session: AsyncSession,
    settings: Settings,
    store: ObjectStore,
    slots: asyncio.Semaphore,
    owner_id: uuid.UUID,
    media: Media,
) -> list[uuid.UUID]:
    """The photo, through the same pipeline as the app's (EXIF stripped, renditions made)."""
    data = media.data
    if data is None and media.url:
        private = settings.open311_media_allow_private
        async with remote.client(settings.open311_media_timeout_seconds, private) as http:
            try:
                data = await remote.fetch(http, media.url, settings.max_upload_bytes, private)
            except remote.Unusable as unusable:
                log.warning("open311_media_refused", reason=str(unusable))
                raise ApiError(
                    400, "open311_media_unusable", fields=[FieldError(name="media_url", reason=str(unusable))]
                ) from None
    if data is None:
        return []
    if len(data) > settings.max_upload_bytes:
        raise ApiError(400, "open311_media_unusable", fields=[FieldError(name="media", reason="too_large")])
    photo = await store_photo(session, store, settings, slots, owner_id, data)
    return [photo.id]


@dataclass(frozen=True, slots=True)
class Filters:
    ids: list[str]
    service_codes: list[str]
    start: datetime | None
    end: datetime | None
    statuses: tuple[str, ...] | None


def parse_filters(
    service_request_id: str | None,
    service_code: str | None,
    start_date: str | None,
    end_date: str | None,
    status: str | None,
) -> Filters:
    statuses: set[str] = set()
    for word in _listed(status):
        if word == "open":
            statuses.update(OPEN_STATUSES)
        elif word == "closed":
            statuses.update(CLOSED_STATUSES)
        else:
            raise ApiError(400, "open311_invalid_status", status=word)
    return Filters(
        ids=_listed(service_request_id),
        service_codes=_listed(service_code),
        start=_moment(start_date, "start_date"),
        end=_moment(end_date, "end_date"),
        statuses=tuple(sorted(statuses)) or None,
    )


def _listed(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _moment(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace(" ", "+"))
    except ValueError:
        raise ApiError(400, "open311_invalid_date", field=name) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def find_requests(
    session: AsyncSession, settings: Settings, catalog: CatalogSnapshot, filters: Filters, locale: str
) -> list[ServiceRequestOut]:
    """Newest first. With ids, those requests whatever their date (as the specification says: the
    other filters are then ignored); otherwise the window asked for, the last 90 days by default."""
    query = _REQUEST_SELECT
    if filters.ids:
        query = query.where(Case.tracking_no.in_(filters.ids[: settings.open311_max_requests]))
    else:
        end = filters.end or datetime.now(UTC)
        start = filters.start or end - timedelta(days=settings.open311_default_days)
        query = query.where(Case.created_at >= start, Case.created_at <= end)
        if filters.service_codes:
            query = query.where(_service_is(filters.service_codes))
        if filters.statuses:
            query = query.where(Case.status.in_(filters.statuses))
    query = query.order_by(Case.created_at.desc()).limit(settings.open311_max_requests)
    async with session.begin():
        rows = (await session.execute(query)).all()
        notes = await _status_notes(session, [row.id for row in rows])
    grid_names = {grid.code: grid.name for grid in catalog.grids}
    return [
        _request_out(row, settings, catalog, grid_names.get(row.grid_code), notes.get(row.id), locale)
        for row in rows
    ]


async def one_request(
    session: AsyncSession, settings: Settings, catalog: CatalogSnapshot, tracking_no: str, locale: str
) -> list[ServiceRequestOut]:
    found = await find_requests(
        session, settings, catalog, Filters([tracking_no], [], None, None, None), locale
    )
    if not found:
        raise ApiError(404, "not_found")
    return found


def _service_is(codes: list[str]) -> Any:
    types = [code for code in codes if code in REQUEST_TYPES and code not in TYPES_NEEDING_CATEGORY]
    categories = [code for code in codes if code not in types]
    return Case.category_code.in_(categories) | and_(
        Case.category_code.is_(None), Case.request_type.in_(types)
    )


# Built once; the only columns read are those a public answer may show.
_REQUEST_SELECT = (
    select(
        Case.id,
        Case.tracking_no,
        Case.status,
        Case.request_type,
        Case.category_code,
        Case.description,
        Case.lat,
        Case.lng,
        Case.grid_code,
        Case.created_at,
        Case.updated_at,
        Case.deadline_at,
        Department.name_zh.label("department_zh"),
        Department.name_en.label("department_en"),
        Photo.id.label("photo_id"),
    )
    .select_from(Case)
    .outerjoin(Department, Department.code == Case.department_code)
    .outerjoin(Photo, and_(Photo.case_id == Case.id, Photo.position == 0))
)


async def _status_notes(session: AsyncSession, case_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Each case's latest public message: what the workflow told the reporter, never a staff note."""
    if not case_ids:
        return {}
    rows = await session.execute(
        select(TimelineEntry.case_id, TimelineEntry.public_message)
        .where(TimelineEntry.case_id.in_(case_ids), TimelineEntry.public_message.is_not(None))
        .order_by(TimelineEntry.occurred_at)
    )
    return {case_id: message for case_id, message in rows}


def _request_out(
    row: Any,
    settings: Settings,
    catalog: CatalogSnapshot,
    grid_name: str | None,
    notes: str | None,
    locale: str,
) -> ServiceRequestOut:
    category = catalog.categories.get(row.category_code) if row.category_code else None
    lat, lng = public_point(row.lat, row.lng)
    department = row.department_en if locale == "en" else row.department_zh
    return ServiceRequestOut(
        service_request_id=row.tracking_no,
        status="open" if row.status in OPEN_STATUSES else "closed",
        status_notes=notes,
        service_name=category_name(category, locale)
        if category
        else translate(f"request_type.{row.request_type}", locale),
        service_code=row.category_code or row.request_type,
        description=public_summary(row.description),
        agency_responsible=department,
        service_notice=None,
        requested_datetime=row.created_at.astimezone(settings.tz),
        updated_datetime=row.updated_at.astimezone(settings.tz),
        expected_datetime=row.deadline_at.astimezone(settings.tz) if row.deadline_at else None,
        # The unit grid, not the address given: that is often someone's door.
        address=grid_name,
        address_id=None,
        zipcode=None,
        lat=lat,
        long=lng,
        media_url=f"{settings.base_url}{display_url(row.photo_id)}" if row.photo_id else None,
    )
