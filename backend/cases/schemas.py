"""Citizen request bodies and answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from backend.catalog.schemas import RequestType
from backend.uploads.schemas import PhotoOut

Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180)]
Crs = Literal["wgs84", "gcj02"]
MAX_PHOTOS = 9


class LocationIn(msgspec.Struct, frozen=True):
    lat: Latitude
    lng: Longitude
    accuracy_m: Annotated[float, msgspec.Meta(ge=0, le=100_000)] | None = None
    # Chinese map SDKs report GCJ-02; it is converted to WGS84 before storage.
    crs: Crs = "wgs84"


class RequestCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    client_id: uuid.UUID
    type: RequestType
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    location: LocationIn
    category_code: Annotated[str, msgspec.Meta(max_length=16)] | None = None
    address: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    photo_ids: list[uuid.UUID] = []
    contact_phone: Annotated[str, msgspec.Meta(max_length=32)] | None = None

    def __post_init__(self) -> None:
        # The nil UUID is what a client that forgot to make one sends: every such report would be "a retry".
        if self.client_id.int == 0:
            raise ValueError("client_id must not be the nil UUID")


class RatingIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    score: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class LocationOut(msgspec.Struct, frozen=True, gc=False):
    lat: float
    lng: float
    accuracy_m: float | None = None


class RatingOut(msgspec.Struct, frozen=True):
    score: int
    comment: str | None
    rated_at: datetime


class TimelineEntryOut(msgspec.Struct, frozen=True):
    """A step as the reporter sees it: staff-only notes are not part of this shape at all."""

    action: str
    action_name: str
    status: str
    status_name: str
    actor_role: str
    occurred_at: datetime
    public_message: str | None = None


class ReplyOut(msgspec.Struct, frozen=True):
    """答复: the desk's answer that closed the request."""

    message: str
    replied_at: datetime


class RequestOut(msgspec.Struct, frozen=True):
    """A request as its reporter sees it."""

    id: str
    tracking_no: str
    status: str
    status_name: str
    type: str
    category_code: str | None
    category_name: str | None
    description: str
    location: LocationOut
    address: str | None
    grid_code: str
    contact_phone: str | None
    photos: list[PhotoOut]
    created_at: datetime
    updated_at: datetime
    rating: RatingOut | None = None
    timeline: list[TimelineEntryOut] | None = None
    # A merged duplicate: the tracking number of the case it now follows.
    merged_into: str | None = None
    reply: ReplyOut | None = None


class RequestPage(msgspec.Struct, frozen=True):
    items: list[RequestOut]
    next_cursor: str | None


class PublicRequestOut(msgspec.Struct, frozen=True, omit_defaults=True, gc=False):
    """A public summary: no address, no contact, no original photo; location to ~10 m; of the text only
    its start, with anything like a phone number masked."""

    id: str
    type: str
    category_code: str | None
    category_name: str | None
    status: str
    status_name: str
    location: LocationOut
    created_at: datetime
    updated_at: datetime
    thumb_url: str | None
    summary: str
    # Only for a caller who sent their token: their own report (not to be followed), or one they follow.
    own: bool
    following: bool
    # Only in answers to "what is near this point?".
    distance_m: int | None = None


class PublicPage(msgspec.Struct, frozen=True):
    items: list[PublicRequestOut]


class FollowOut(msgspec.Struct, frozen=True):
    following: bool
