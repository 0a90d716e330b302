"""/api/v1/requests: the citizen's side of a case."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.tokens import Principal
from backend.cases import service
from backend.cases.schemas import (
    Crs,
    FollowOut,
    PublicPage,
    RatingIn,
    RequestCreate,
    RequestOut,
    RequestPage,
)
from backend.catalog.geo import to_wgs84
from backend.settings import Settings


class RequestController(Controller):
    path = "/api/v1/requests"
    tags = ["requests"]

    @post(
        "/",
        status_code=201,
        summary="Submit a request; the same client_id again returns the same request (200)",
        responses={200: ResponseSpec(RequestOut, description="A retry: the request stored before")},
    )
    async def submit(
        self,
        data: JSONBody[RequestCreate],
        state: State,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        locale: NamedDependency[str],
    ) -> Response[RequestOut]:
        # Read only now, after the caller is known: Litestar resolves dependencies concurrently, and a
        # database read cancelled half-way (when another dependency refuses) can strand a connection.
        catalog = await state.catalog.snapshot(db_session)
        result = await service.submit_request(db_session, settings, catalog, principal, data, locale)
        return Response(result.request, status_code=201 if result.created else 200)

    @get("/", summary="The caller's own requests, newest first, cursor-paginated")
    async def mine(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        locale: NamedDependency[str],
        cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> RequestPage:
        return await service.own_requests(db_session, principal, cursor, limit, locale)

    @get(
        "/nearby", summary="Public summaries of open reports near a point: has someone already reported this?"
    )
    async def nearby(
        self,
        state: State,
        optional_principal: NamedDependency[Principal | None],
        db_session: NamedDependency[AsyncSession],
        locale: NamedDependency[str],
        lat: Annotated[float, QueryParameter(ge=-90, le=90)],
        lng: Annotated[float, QueryParameter(ge=-180, le=180)],
        radius_m: Annotated[float, QueryParameter(gt=0, le=2000)] = 50,
        category_code: Annotated[str | None, QueryParameter(max_length=16)] = None,
        crs: FromQuery[Crs] = "wgs84",
    ) -> PublicPage:
        wgs_lat, wgs_lng = to_wgs84(lat, lng, crs)
        catalog = await state.catalog.snapshot(db_session)
        items = await service.nearby(
            db_session, catalog, optional_principal, wgs_lat, wgs_lng, radius_m, category_code, locale
        )
        return PublicPage(items=items)

    @get("/followed", summary="Requests of others the caller follows (public summaries)")
    async def followed(
        self,
        state: State,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        locale: NamedDependency[str],
    ) -> PublicPage:
        catalog = await state.catalog.snapshot(db_session)
        return PublicPage(items=await service.followed(db_session, catalog, principal, locale))

    @post(
        "/{request_id:uuid}/follow", status_code=200, summary="Follow an open request instead of reporting it"
    )
    async def follow(
        self,
        request_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
    ) -> FollowOut:
        await service.follow(db_session, principal, request_id)
        return FollowOut(following=True)

    @delete("/{request_id:uuid}/follow", status_code=200, summary="Stop following a request")
    async def unfollow(
        self,
        request_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
    ) -> FollowOut:
        await service.unfollow(db_session, principal, request_id)
        return FollowOut(following=False)

    @get("/{request_id:uuid}", summary="One of the caller's requests with its timeline and photos")
    async def detail(
        self,
        request_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        locale: NamedDependency[str],
    ) -> RequestOut:
        return await service.own_request(db_session, principal, request_id, locale)

    @post("/{request_id:uuid}/rating", status_code=200, summary="Rate a closed request (once)")
    async def rate(
        self,
        request_id: FromPath[uuid.UUID],
        data: JSONBody[RatingIn],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        locale: NamedDependency[str],
    ) -> RequestOut:
        return await service.rate_request(db_session, principal, request_id, data, locale)
