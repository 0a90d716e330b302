"""/api/v1/staff: triage for dispatchers and supervisors (a citizen or inspector token gets 403)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.tokens import Principal
from backend.cases import staff_service
from backend.cases.staff_schemas import (
    ActionIn,
    CaseFeatureCollection,
    CasePage,
    CaseStatus,
    DuplicateList,
    SortKey,
    Source,
    StaffCaseOut,
    StatusCounts,
)
from backend.catalog.schemas import RequestType
from backend.deps import client_address
from backend.edge.caching import NO_STORE
from backend.edge.compression import SKIP
from backend.errors import ApiError
from backend.replies.schemas import RenderedTemplateList, TemplateAction
from backend.settings import Settings
from backend.uploads.storage import ObjectNotFound, ObjectStore

Code = Annotated[str | None, QueryParameter(max_length=32)]


def case_filter(
    status: Annotated[list[CaseStatus] | None, QueryParameter()] = None,
    type: Annotated[RequestType | None, QueryParameter()] = None,  # noqa: A002 (the API's own name)
    category: Code = None,
    grid: Code = None,
    source: Annotated[Source | None, QueryParameter()] = None,
    department: Code = None,
    overdue: Annotated[bool | None, QueryParameter()] = None,
    created_from: Annotated[datetime | None, QueryParameter(name="from")] = None,
    created_to: Annotated[datetime | None, QueryParameter(name="to")] = None,
    q: Annotated[str | None, QueryParameter(max_length=100)] = None,
) -> staff_service.CaseFilter:
    for bound in (created_from, created_to):
        if bound is not None and bound.tzinfo is None:
            raise ApiError(400, "naive_datetime")
    return staff_service.CaseFilter(
        statuses=tuple(status or ()),
        request_type=type,
        category=category or None,
        grid=grid or None,
        source=source,
        department=department or None,
        overdue=overdue,
        created_from=created_from,
        created_to=created_to,
        text=q.strip() or None if q else None,
    )


def _bbox(raw: str) -> tuple[float, float, float, float]:
    try:
        min_lng, min_lat, max_lng, max_lat = (float(part) for part in raw.split(","))
    except ValueError:
        raise ApiError(400, "invalid_bbox") from None
    if not (-180 <= min_lng <= max_lng <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise ApiError(400, "invalid_bbox")
    return min_lng, min_lat, max_lng, max_lat


class StaffCaseController(Controller):
    path = "/api/v1/staff"
    tags = ["staff"]
    cache_control = NO_STORE
    dependencies = {"filters": Provide(case_filter, sync_to_thread=False)}

    @get("/cases", summary="The triage queue: filtered, sorted, keyset-paginated (stable while cases arrive)")
    async def queue(
        self,
        state: State,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        locale: NamedDependency[str],
        filters: NamedDependency[staff_service.CaseFilter],
        sort: Annotated[SortKey, QueryParameter()] = "-created_at",
        cursor: Annotated[str | None, QueryParameter(max_length=300)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 30,
    ) -> CasePage:
        catalog = await state.catalog.snapshot(db_session)
        return await staff_service.queue(db_session, catalog, principal, filters, sort, cursor, limit, locale)

    @get("/cases/counts", summary="Cases per status under the same filters, and how many are overdue")
    async def counts(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        filters: NamedDependency[staff_service.CaseFilter],
    ) -> StatusCounts:
        return await staff_service.counts(db_session, principal, filters)

    @get("/cases/geo", summary="GeoJSON points of open (or the filtered) cases in a box, capped")
    async def geo(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        filters: NamedDependency[staff_service.CaseFilter],
        bbox: Annotated[str, QueryParameter(description="min_lng,min_lat,max_lng,max_lat", max_length=120)],
    ) -> CaseFeatureCollection:
        return await staff_service.geo(db_session, principal, _bbox(bbox), filters)

    @get("/cases/{case_id:uuid}", summary="A case in full, with the reporter's contact (audited)")
    async def detail(
        self,
        state: State,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        locale: NamedDependency[str],
    ) -> StaffCaseOut:
        address = client_address(request, settings)
        catalog = await state.catalog.snapshot(db_session)
        return await staff_service.case_detail(
            db_session, settings, catalog, principal, case_id, address, locale
        )

    @post("/cases/{case_id:uuid}/actions", status_code=200, summary="Take a workflow step on a case")
    async def act(
        self,
        state: State,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[ActionIn],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        locale: NamedDependency[str],
    ) -> StaffCaseOut:
        catalog = await state.catalog.snapshot(db_session)
        return await staff_service.act(db_session, settings, catalog, principal, case_id, data, locale)

    @get(
        "/cases/{case_id:uuid}/duplicates",
        summary="Possible duplicates near it and around its time, ranked by likeness (photo, words, place)",
    )
    async def duplicates(
        self,
        state: State,
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        locale: NamedDependency[str],
        radius_m: Annotated[float, QueryParameter(gt=0, le=2000)] = 150,
        days: Annotated[int, QueryParameter(ge=1, le=90)] = 7,
        # Off by default: a duplicate filed under another category is still ranked (by photo and words).
        same_category: Annotated[bool, QueryParameter()] = False,
    ) -> DuplicateList:
        catalog = await state.catalog.snapshot(db_session)
        return await staff_service.duplicates(
            db_session, catalog, principal, case_id, radius_m, days, same_category, locale
        )

    @get(
        "/cases/{case_id:uuid}/templates",
        summary="Reply templates that fit the case for an action, filled in, in the caller's language",
    )
    async def templates(
        self,
        state: State,
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        locale: NamedDependency[str],
        action: Annotated[TemplateAction, QueryParameter()] = "reply",
    ) -> RenderedTemplateList:
        catalog = await state.catalog.snapshot(db_session)
        return await staff_service.templates(
            db_session, settings, catalog, principal, case_id, action, locale
        )

    @get(
        "/photos/{photo_id:uuid}/original",
        summary="The unstripped original of a case photo (audited)",
        opt=SKIP,
        # As uploaded: JPEG, PNG, WebP or HEIC.
        media_type="image/*",
    )
    async def original(
        self,
        request: Request[Any, Any, Any],
        photo_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        store: NamedDependency[ObjectStore],
    ) -> Response[bytes]:
        address = client_address(request, settings)
        try:
            data, media_type = await staff_service.original_photo(
                db_session, settings, store, principal, photo_id, address
            )
        except ObjectNotFound:
            raise ApiError(404, "not_found") from None
        return Response(data, media_type=media_type)
