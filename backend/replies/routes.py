"""/api/v1/admin/reply-templates: the public messages staff pick from in the action forms."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.tokens import Principal
from backend.deps import client_address
from backend.edge.caching import NO_STORE
from backend.replies import service
from backend.replies.schemas import ReplyTemplateIn, ReplyTemplateList, ReplyTemplateOut
from backend.settings import Settings


class ReplyTemplateAdminController(Controller):
    path = "/api/v1/admin/reply-templates"
    tags = ["admin"]
    cache_control = NO_STORE

    @get("/", summary="Every reply template, retired ones included")
    async def every(
        self, principal: NamedDependency[Principal], db_session: NamedDependency[AsyncSession]
    ) -> ReplyTemplateList:
        return await service.list_templates(db_session, principal)

    @post("/", status_code=201, summary="Create a reply template")
    async def create(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[ReplyTemplateIn],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
    ) -> ReplyTemplateOut:
        address = client_address(request, settings)
        return await service.save_template(db_session, settings, principal, None, data, address)

    @put("/{template_id:uuid}", summary="Replace a reply template (retire it with active=false)")
    async def save(
        self,
        request: Request[Any, Any, Any],
        template_id: FromPath[uuid.UUID],
        data: JSONBody[ReplyTemplateIn],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
    ) -> ReplyTemplateOut:
        address = client_address(request, settings)
        return await service.save_template(db_session, settings, principal, template_id, data, address)
