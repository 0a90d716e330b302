"""Audit log answers."""

from __future__ import annotations

from datetime import datetime

import msgspec


class AuditEntryOut(msgspec.Struct, frozen=True):
    actor_id: str
    actor: str
    action: str
    case_id: str | None
    subject: str | None
    occurred_at: datetime


class AuditPage(msgspec.Struct, frozen=True):
    items: list[AuditEntryOut]
