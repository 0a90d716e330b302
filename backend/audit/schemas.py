"""Audit log answers."""

from __future__ import annotations

from datetime import datetime

import msgspec


class AuditEntryOut(msgspec.Struct, frozen=True):
    # None for a failed sign-in under a username nobody has.
    actor_id: str | None
    actor: str | None
    action: str
    case_id: str | None
    subject: str | None
    occurred_at: datetime


class AuditPage(msgspec.Struct, frozen=True):
    items: list[AuditEntryOut]
