"""/api/v1/departments (staff read them to dispatch) and /api/v1/admin/departments (admins keep them)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, put
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.guards import STAFF_ROLES, require_role
from backend.accounts.tokens import Principal
from backend.departments import service
from backend.departments.schemas import DepartmentIn, DepartmentList, DepartmentOut
from backend.deps import client_address
from backend.edge.caching import NO_STORE
from backend.settings import Settings


class DepartmentController(Controller):
    path = "/api/v1/departments"
    tags = ["departments"]
    cache_control = NO_STORE

    @get("/", summary="Active departments a case can be dispatched to")
    async def active(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        locale: NamedDependency[str],
    ) -> DepartmentList:
        require_role(principal, *STAFF_ROLES, "admin")
        return await service.list_departments(db_session, locale, include_retired=False)


class DepartmentAdminController(Controller):
    path = "/api/v1/admin/departments"
    tags = ["admin"]
    cache_control = NO_STORE

    @get("/", summary="Every department, retired ones included")
    async def every(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        locale: NamedDependency[str],
        include_retired: Annotated[bool, QueryParameter()] = True,
    ) -> DepartmentList:
        require_role(principal, "admin")
        return await service.list_departments(db_session, locale, include_retired=include_retired)

    @put(
        "/{code:str}",
        summary="Create or replace a department (retire it with active=false)",
        responses={201: ResponseSpec(DepartmentOut, description="A new department was created")},
    )
    async def save(
        self,
        request: Request[Any, Any, Any],
        code: FromPath[str],
        data: JSONBody[DepartmentIn],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        locale: NamedDependency[str],
    ) -> Response[DepartmentOut]:
        address = client_address(request, settings)
        out, created = await service.save_department(
            db_session, settings, principal, code, data, address, locale
        )
        return Response(out, status_code=201 if created else 200)
