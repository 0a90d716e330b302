"""/api/v1/admin/routing-rules: the table that tells dispatch which department a case goes to."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.tokens import Principal
from backend.deps import client_address
from backend.edge.caching import NO_STORE
from backend.routing import service
from backend.routing.schemas import RoutingRuleIn, RoutingRuleList, RoutingRuleOut
from backend.settings import Settings


class RoutingAdminController(Controller):
    path = "/api/v1/admin/routing-rules"
    tags = ["admin"]
    cache_control = NO_STORE

    @get("/", summary="Every routing rule: category (and grid prefix) to department")
    async def every(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        locale: NamedDependency[str],
    ) -> RoutingRuleList:
        return await service.list_rules(db_session, principal, locale)

    @post(
        "/",
        status_code=201,
        summary="Add a rule; one for the same category and grid prefix is replaced (200)",
        responses={200: ResponseSpec(RoutingRuleOut, description="An existing rule was replaced")},
    )
    async def save(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[RoutingRuleIn],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        locale: NamedDependency[str],
    ) -> Response[RoutingRuleOut]:
        address = client_address(request, settings)
        out, created = await service.save_rule(db_session, settings, principal, data, address, locale)
        return Response(out, status_code=201 if created else 200)

    @delete("/{rule_id:uuid}", summary="Remove a rule")
    async def remove(
        self,
        request: Request[Any, Any, Any],
        rule_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
    ) -> None:
        await service.delete_rule(db_session, settings, principal, rule_id, client_address(request, settings))
