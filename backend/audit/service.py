"""Writing and reading the audit log."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.guards import require_role
from backend.accounts.models import User
from backend.accounts.tokens import Principal
from backend.audit.models import AuditEntry
from backend.audit.schemas import AuditEntryOut, AuditPage
from backend.db import utcnow
from backend.digests import keyed_digest
from backend.settings import Settings


def record(
    session: AsyncSession,
    settings: Settings,
    actor_id: uuid.UUID | None,
    action: str,
    address: str,
    *,
    case_id: uuid.UUID | None = None,
    subject: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Adds the entry to the caller's transaction: the view and its record commit together."""
    session.add(
        AuditEntry(
            actor_id=actor_id,
            action=action,
            case_id=case_id,
            subject=subject,
            address_digest=keyed_digest(settings, "audit", address),
            details=details or {},
            occurred_at=utcnow(),
        )
    )


async def entries(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID | None, limit: int
) -> AuditPage:
    require_role(principal, "supervisor", "admin")
    query = (
        select(AuditEntry, User.username)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .order_by(AuditEntry.occurred_at.desc())
        .limit(limit)
    )
    if case_id is not None:
        query = query.where(AuditEntry.case_id == case_id)
    async with session.begin():
        rows = (await session.execute(query)).all()
    return AuditPage(
        items=[
            AuditEntryOut(
                actor_id=str(entry.actor_id) if entry.actor_id else None,
                actor=username or (str(entry.actor_id) if entry.actor_id else None),
                action=entry.action,
                case_id=str(entry.case_id) if entry.case_id else None,
                subject=entry.subject,
                occurred_at=entry.occurred_at,
            )
            for entry, username in rows
        ]
    )
