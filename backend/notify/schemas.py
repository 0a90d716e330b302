"""What crosses HTTP for push subscriptions, the inbox and notification preferences."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

Base64Url = Annotated[str, msgspec.Meta(min_length=16, max_length=200, pattern=r"^[A-Za-z0-9_-]+=*$")]


class SubscriptionKeys(msgspec.Struct, frozen=True):
    p256dh: Base64Url
    auth: Annotated[str, msgspec.Meta(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+=*$")]


class PushSubscriptionIn(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename={"expiration_time": "expirationTime"}
):
    """The browser's PushSubscription.toJSON(), and the language its messages should speak."""

    endpoint: Annotated[str, msgspec.Meta(min_length=10, max_length=2048)]
    keys: SubscriptionKeys
    language: Literal["zh-CN", "en"] = "zh-CN"
    expiration_time: float | None = None


class PushSubscriptionOut(msgspec.Struct, frozen=True):
    id: uuid.UUID
    endpoint: str


class VapidKeyOut(msgspec.Struct, frozen=True):
    public_key: str


class NotificationOut(msgspec.Struct, frozen=True):
    id: uuid.UUID
    kind: str
    title: str
    body: str
    url: str
    case_id: uuid.UUID | None
    task_id: uuid.UUID | None
    created_at: datetime
    read_at: datetime | None


class NotificationPage(msgspec.Struct, frozen=True):
    items: list[NotificationOut]
    next_cursor: str | None
    unread: int


class MarkReadIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Some messages by id, or all of them."""

    ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=200)] = []
    all: bool = False

    def __post_init__(self) -> None:
        if not self.ids and not self.all:
            raise ValueError("give ids or all: true")


class UnreadOut(msgspec.Struct, frozen=True):
    unread: int


class PreferencesIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    new_cases: bool
    # Empty: every grid.
    grid_codes: Annotated[
        list[Annotated[str, msgspec.Meta(min_length=1, max_length=32)]], msgspec.Meta(max_length=500)
    ] = []


class PreferencesOut(msgspec.Struct, frozen=True):
    new_cases: bool
    grid_codes: list[str]
