"""Upload answers."""

from __future__ import annotations

from datetime import datetime

import msgspec


class GpsOut(msgspec.Struct, frozen=True):
    lat: float
    lng: float


class UploadOut(msgspec.Struct, frozen=True):
    id: str
    width: int
    height: int
    thumb_url: str
    display_url: str
    taken_at: datetime | None
    # From the photo's EXIF; only ever in the answer to the uploader.
    gps: GpsOut | None


class PhotoOut(msgspec.Struct, frozen=True):
    """A photo as anyone may see it: stripped renditions only."""

    id: str
    width: int
    height: int
    thumb_url: str
    display_url: str
