"""What the command-coordination platform receives: the event envelope, versioned. Its JSON Schema is
published (GET /api/v1/coordination/schema) for the platform's integrators."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

# Raised when a field changes meaning or goes away; new optional fields keep the version.
ENVELOPE_VERSION = 1


class PlatformLocation(msgspec.Struct, frozen=True):
    lat: float
    lng: float
    accuracy_m: float | None
    crs: Literal["wgs84"] = "wgs84"


class PlatformCategory(msgspec.Struct, frozen=True):
    # Ours: the kind's letter (C 部件, E 事件) and the GB/T 30428.2 code, e.g. C0101.
    code: str
    kind: str
    gb_code: str
    name_zh: str
    name_en: str


class PlatformCase(msgspec.Struct, frozen=True):
    """A case as the platform needs it to act. Never the reporter's phone or identity."""

    id: str
    tracking_no: str
    source: str
    request_type: str
    category: PlatformCategory | None
    grid_code: str
    location: PlatformLocation
    address: str | None
    description: str
    # The stripped display copies, after-photos included, in order.
    photo_urls: list[str]
    department_code: str | None
    deadline_at: datetime | None
    status: str
    version: int
    created_at: datetime


class Envelope(msgspec.Struct, frozen=True, kw_only=True):
    event_id: uuid.UUID
    event_type: str
    occurred_at: datetime
    case: PlatformCase
    # The workflow step behind the event, and what it said to the citizen and to staff.
    action: str
    public_message: str | None = None
    internal_note: str | None = None
    schema_version: int = ENVELOPE_VERSION


class OutboxCounts(msgspec.Struct, frozen=True):
    pending: int
    # Tried and failing: retried later with backoff.
    failed: int
    # Given up after the last attempt: replay them once the cause is mended.
    dead: int


class OutboxItem(msgspec.Struct, frozen=True):
    event_id: str
    event_type: str
    case_id: str | None
    tracking_no: str | None
    occurred_at: datetime
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    dead_at: datetime | None


class OutboxPage(msgspec.Struct, frozen=True):
    counts: OutboxCounts
    # The oldest event still owed to the platform (dead letters aside); null when none is.
    oldest_owed_at: datetime | None
    items: list[OutboxItem]
    # Where the next page of the same state starts; null on the last page.
    next_cursor: str | None


Feedback = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class _Callback(msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag_field="type", kw_only=True):
    """A step the platform reports: its own event id (a retry sends the same), the case, and when."""

    event_id: uuid.UUID
    case_id: uuid.UUID
    occurred_at: Annotated[datetime, msgspec.Meta(tz=True)]


class Dispatched(_Callback, tag="dispatched"):
    department_code: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    deadline_at: Annotated[datetime, msgspec.Meta(tz=True)] | None = None


class Started(_Callback, tag="started"):
    pass


PhotoUrl = Annotated[str, msgspec.Meta(min_length=8, max_length=2000, pattern=r"^https?://")]


class Handled(_Callback, tag="handled"):
    # 处理反馈 as the department wrote it: shown to the reporter.
    feedback: Feedback
    # After-photos for us to fetch (each within our upload limits) and keep as the case's own.
    photo_urls: Annotated[list[PhotoUrl], msgspec.Meta(max_length=9)] = []


class Returned(_Callback, tag="returned"):
    # 退回: why the platform gives the case back to the desk.
    reason: Feedback


class Closed(_Callback, tag="closed"):
    pass


CallbackIn = Dispatched | Started | Handled | Returned | Closed


class CallbackOut(msgspec.Struct, frozen=True):
    # applied: the case moved; waiting: kept until the step it follows has come; duplicate: seen before.
    status: Literal["applied", "waiting", "duplicate"]
    case_status: str


class WaitingCallback(msgspec.Struct, frozen=True):
    event_id: str
    type: str
    case_id: str
    occurred_at: datetime
    received_at: datetime
    # The refusal the last try met: invalid_transition while the step it follows has not come.
    waiting_for: str | None


class WaitingCallbackList(msgspec.Struct, frozen=True):
    items: list[WaitingCallback]
