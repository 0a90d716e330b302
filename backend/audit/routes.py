"""/api/v1/audit: supervisors and admins read who looked at what."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.tokens import Principal
from backend.audit import service
from backend.audit.schemas import AuditPage
from backend.edge.caching import NO_STORE


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["admin"]
    cache_control = NO_STORE

    @get("/", summary="Newest audit entries, optionally of one case")
    async def entries(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        case_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> AuditPage:
        return await service.entries(db_session, principal, case_id, limit)
