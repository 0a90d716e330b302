"""/open311/v2: GeoReport v2 in JSON and XML, by the path's suffix. Errors are the specification's
list of {code, description} (with our stable `problem` code beside them), in the format asked for."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import FromPath, JSONBody, Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.guards import require_role
from backend.accounts.tokens import Principal
from backend.catalog.dependencies import CATALOG_DEPENDENCIES
from backend.catalog.lookup import CatalogSnapshot
from backend.deps import client_address
from backend.edge.caching import NO_STORE
from backend.errors import (
    ApiError,
    FieldError,
    Problem,
    field_error,
    handle_api_error,
    handle_http_exception,
    handle_unexpected,
)
from backend.open311 import keys, service
from backend.open311.formats import MEDIA_TYPES, Format, encode, split, suffix_of
from backend.open311.models import ApiKey
from backend.open311.schemas import (
    ApiKeyCreated,
    ApiKeyIn,
    ApiKeyList,
    ApiKeyOut,
    Open311Error,
    ServiceRequestIn,
)
from backend.settings import Settings
from backend.uploads.storage import ObjectStore

# attribute[code] for one value, attribute[code][] for each of several.
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,32})\](?:\[\])?$")
_CACHE = {"Cache-Control": "public, max-age=300", "Vary": "Accept-Language"}
_FRESH = {"Cache-Control": "no-cache", "Vary": "Accept-Language"}
# Refusals the specification names keep their status; the rest of a client's mistakes are its 400.
_SPEC_STATUSES = frozenset({400, 403, 404, 429})

Query = Annotated[str | None, Parameter(max_length=2000)]


def _answer(
    document: Any, fmt: Format, root: str, item: str | None, headers: dict[str, str], status: int = 200
) -> Response[bytes]:
    return Response(
        encode(document, fmt, root, item),
        status_code=status,
        media_type=f"{MEDIA_TYPES[fmt]}; charset=utf-8",
        headers=headers,
    )


def open311_errors(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """Any refusal, built as everywhere else (same codes, same messages), then written the spec's way."""
    if isinstance(exc, ApiError):
        base = handle_api_error(request, exc)
    elif isinstance(exc, HTTPException):
        base = handle_http_exception(request, exc)
    else:
        base = handle_unexpected(request, exc)
    problem: Problem = base.content
    status = problem.status if problem.status in _SPEC_STATUSES or problem.status >= 500 else 400
    detail = problem.detail
    if problem.fields:
        detail += " (" + "; ".join(f"{f.name}: {f.reason}" for f in problem.fields) + ")"
    errors = [Open311Error(code=status, description=detail, problem=problem.code)]
    headers = {k: v for k, v in base.headers.items() if k.lower() in ("retry-after", "content-language")}
    return _answer(errors, suffix_of(request.url.path), "errors", "error", headers, status)


def _check_jurisdiction(settings: Settings, jurisdiction_id: str | None) -> None:
    if jurisdiction_id and jurisdiction_id != settings.open311_jurisdiction_id:
        raise ApiError(404, "jurisdiction_not_found", jurisdiction=jurisdiction_id)


class Open311Controller(Controller):
    path = "/open311/v2"
    tags = ["open311"]
    dependencies = CATALOG_DEPENDENCIES
    # Every class the app's own handlers name: the most specific handler wins across layers.
    exception_handlers = {ApiError: open311_errors, HTTPException: open311_errors, Exception: open311_errors}

    @get("/{resource:str}", summary="discovery, services or requests, as .json or .xml")
    async def listing(
        self,
        resource: FromPath[str],
        settings: NamedDependency[Settings],
        db_session: NamedDependency[AsyncSession],
        catalog: NamedDependency[CatalogSnapshot],
        locale: NamedDependency[str],
        jurisdiction_id: Query = None,
        service_request_id: Query = None,
        service_code: Query = None,
        start_date: Query = None,
        end_date: Query = None,
        status: Query = None,
    ) -> Response[bytes]:
        name, fmt = split(resource)
        _check_jurisdiction(settings, jurisdiction_id)
        if name == "discovery":
            return _answer(service.discovery(settings), fmt, "discovery", None, _CACHE)
        if name == "services":
            return _answer(service.services(catalog, locale), fmt, "services", "service", _CACHE)
        if name == "requests":
            filters = service.parse_filters(service_request_id, service_code, start_date, end_date, status)
            found = await service.find_requests(db_session, settings, catalog, filters, locale)
            return _answer(found, fmt, "service_requests", "request", _FRESH)
        raise ApiError(404, "not_found")

    @get("/services/{resource:str}", summary="A service's definition: the attributes it asks for")
    async def service_definition(
        self,
        resource: FromPath[str],
        settings: NamedDependency[Settings],
        catalog: NamedDependency[CatalogSnapshot],
        locale: NamedDependency[str],
        jurisdiction_id: Query = None,
    ) -> Response[bytes]:
        code, fmt = split(resource)
        _check_jurisdiction(settings, jurisdiction_id)
        return _answer(service.definition(catalog, code, locale), fmt, "service_definition", None, _CACHE)

    @get("/requests/{resource:str}", summary="One request, by its service_request_id (the tracking number)")
    async def one_request(
        self,
        resource: FromPath[str],
        settings: NamedDependency[Settings],
        db_session: NamedDependency[AsyncSession],
        catalog: NamedDependency[CatalogSnapshot],
        locale: NamedDependency[str],
        jurisdiction_id: Query = None,
    ) -> Response[bytes]:
        tracking_no, fmt = split(resource)
        _check_jurisdiction(settings, jurisdiction_id)
        found = await service.one_request(db_session, settings, catalog, tracking_no, locale)
        return _answer(found, fmt, "service_requests", "request", _FRESH)

    @post("/{resource:str}", summary="File a request (form-encoded, or multipart with a `media` photo)")
    async def create(
        self,
        request: Request[Any, Any, Any],
        resource: FromPath[str],
        settings: NamedDependency[Settings],
        db_session: NamedDependency[AsyncSession],
        store: NamedDependency[ObjectStore],
        catalog: NamedDependency[CatalogSnapshot],
        locale: NamedDependency[str],
    ) -> Response[bytes]:
        name, fmt = split(resource)
        if name != "requests":
            raise ApiError(404, "not_found")
        body, media = await _form(request)
        _check_jurisdiction(settings, body.jurisdiction_id)
        # Its own transaction: a refused request still counts against the key's limits.
        async with db_session.begin():
            key = await keys.authenticate(
                db_session, settings, body.api_key or request.query_params.get("api_key")
            )
        created = await service.submit(
            db_session, settings, store, request.app.state.image_slots, catalog, key, body, media, locale
        )
        return _answer([created], fmt, "service_requests", "request", {"Cache-Control": "no-store"}, 201)


async def _form(request: Request[Any, Any, Any]) -> tuple[ServiceRequestIn, service.Media]:
    """The form's fields as the request's Struct, attribute[...] gathered, and the photo if one came."""
    form = await request.form()
    fields: dict[str, str] = {}
    attributes: dict[str, list[str]] = {}
    data: bytes | None = None
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            if name == "media":
                data = await value.read()
            await value.close()
            continue
        if match := _ATTRIBUTE.match(name):
            attributes.setdefault(match.group(1), []).append(value)
        elif name in fields:
            raise ApiError(400, "validation_error", fields=[FieldError(name=name, reason="given twice")])
        else:
            fields[name] = value
    try:
        body = msgspec.convert({**fields, "attributes": attributes}, ServiceRequestIn, strict=False)
    except msgspec.ValidationError as invalid:
        raise ApiError(400, "validation_error", fields=[field_error(str(invalid))]) from None
    return body, service.Media(data=data, url=body.media_url or None)


def _key_out(row: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=str(row.id),
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


class ApiKeyAdminController(Controller):
    """/api/v1/admin/api-keys: Open311 clients' keys, for admins (the CLI does the same)."""

    path = "/api/v1/admin/api-keys"
    tags = ["admin"]
    cache_control = NO_STORE

    @get("/", summary="Every Open311 client's key (never the key itself), revoked ones included")
    async def every(
        self, principal: NamedDependency[Principal], db_session: NamedDependency[AsyncSession]
    ) -> ApiKeyList:
        require_role(principal, "admin")
        return ApiKeyList(items=[_key_out(row) for row in await keys.list_keys(db_session)])

    @post("/", status_code=201, summary="A new key for a client, shown once in this answer")
    async def create(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[ApiKeyIn],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
    ) -> ApiKeyCreated:
        require_role(principal, "admin")
        address = client_address(request, settings)
        row, key = await keys.create_key(db_session, settings, data.name, principal.user_id, address)
        return ApiKeyCreated(api_key=_key_out(row), key=key)

    @post("/{key_id:uuid}/revoke", status_code=200, summary="Revoke a key: refused from its next use on")
    async def revoke(
        self,
        request: Request[Any, Any, Any],
        key_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
    ) -> ApiKeyOut:
        require_role(principal, "admin")
        address = client_address(request, settings)
        return _key_out(await keys.revoke_key(db_session, settings, key_id, principal.user_id, address))
