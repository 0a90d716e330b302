"""Bodies and answers of the field API (/api/v1/field/) and the desk's side of it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from backend.cases.schemas import LocationIn, LocationOut

# A batch of track points as the phone cuts them: at most this many.
MAX_POINTS_PER_BATCH = 1000
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
Photos = Annotated[list[uuid.UUID], msgspec.Meta(max_length=9)]
TaskKind = Literal["verify", "check"]
Outcome = Literal["confirmed", "not_found", "pass", "fail"]


class PositionIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    location: LocationIn


class GridOut(msgspec.Struct, frozen=True):
    code: str
    name: str
    geometry: dict[str, Any]


class GridList(msgspec.Struct, frozen=True):
    items: list[GridOut]


class GridName(msgspec.Struct, frozen=True):
    code: str
    name: str


class GridNames(msgspec.Struct, frozen=True):
    items: list[GridName]


class ShiftOut(msgspec.Struct, frozen=True):
    id: str
    started_at: datetime
    ended_at: datetime | None
    start: LocationOut
    end: LocationOut | None
    distance_m: float
    points: int
    last_point_at: datetime | None


class ShiftList(msgspec.Struct, frozen=True):
    items: list[ShiftOut]


class TrackPointIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # Range checks are the service's, point by point, so that a bad point is named by its index.
    at: Annotated[datetime, msgspec.Meta(tz=True)]
    lat: float
    lng: float
    accuracy_m: Annotated[float, msgspec.Meta(ge=0)] | None = None
    speed_mps: Annotated[float, msgspec.Meta(ge=0)] | None = None


class PointBatchIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # Made by the phone when it cuts the batch, and sent again with every retry of it.
    batch_id: uuid.UUID
    # The count is checked by the service: over the cap is a 422 with its own code.
    points: Annotated[list[TrackPointIn], msgspec.Meta(min_length=1)]


class PointBatchOut(msgspec.Struct, frozen=True):
    stored: int
    duplicate: bool


class PositionCheckOut(msgspec.Struct, frozen=True):
    """Flag, never block: how far from the case's point the evidence was taken."""

    # What was checked: the inspector's report, or a verify or check task's result.
    kind: Literal["report", "verify", "check"]
    created_at: datetime
    flagged: bool
    # The largest of the distances below (null when none could be measured).
    distance_m: float | None
    photo_distance_m: float | None
    device_distance_m: float | None
    track_distance_m: float | None
    photo_taken_at: datetime | None
    reasons: list[str]


class FieldReportIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    client_id: uuid.UUID
    category_code: Annotated[str, msgspec.Meta(min_length=1, max_length=16)]
    description: Text
    location: LocationIn
    photo_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=9)]
    address: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    voice_note_id: uuid.UUID | None = None
    # Where the phone was when the report was sent (the report's point may be set on the map).
    device_location: LocationIn | None = None
    # 自处置: fixed on the spot; the after-photos are required then.
    self_handled: bool = False
    after_photo_ids: Photos = []
    # When the phone made it: a report or result queued offline arrives later, and its photos and the
    # track are compared at this time.
    recorded_at: Annotated[datetime, msgspec.Meta(tz=True)] | None = None

    def __post_init__(self) -> None:
        if self.client_id.int == 0:
            raise ValueError("client_id must not be the nil UUID")
        if self.self_handled and not self.after_photo_ids:
            raise ValueError("a self-handled report needs after_photo_ids")


class FieldReportOut(msgspec.Struct, frozen=True):
    id: str
    tracking_no: str
    status: str
    status_name: str
    category_code: str | None
    category_name: str | None
    description: str
    address: str | None
    location: LocationOut
    created_at: datetime
    self_handled: bool
    thumb_url: str | None
    position_check: PositionCheckOut | None


class FieldReportList(msgspec.Struct, frozen=True):
    items: list[FieldReportOut]


class TaskPhoto(msgspec.Struct, frozen=True):
    id: str
    thumb_url: str
    display_url: str


class TaskCase(msgspec.Struct, frozen=True):
    id: str
    tracking_no: str
    status: str
    status_name: str
    category_code: str | None
    category_name: str | None
    description: str
    address: str | None
    location: LocationOut
    version: int
    photos: list[TaskPhoto]


class TaskOut(msgspec.Struct, frozen=True):
    id: str
    kind: TaskKind
    status: Literal["open", "done", "cancelled"]
    inspector_id: str
    inspector_name: str
    assigned_at: datetime
    due_at: datetime
    overdue: bool
    outcome: Outcome | None
    completed_at: datetime | None
    note: str | None
    case: TaskCase


class TaskList(msgspec.Struct, frozen=True):
    items: list[TaskOut]


class TaskResultIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    client_id: uuid.UUID
    outcome: Outcome
    note: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    photo_ids: Photos = []
    location: LocationIn | None = None
    # When the phone made it: a report or result queued offline arrives later, and its photos and the
    # track are compared at this time.
    recorded_at: Annotated[datetime, msgspec.Meta(tz=True)] | None = None


class TaskAssignIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    kind: TaskKind
    # None: the inspector covering the case's grid and on shift, else the nearest on shift.
    inspector_id: uuid.UUID | None = None
    # None: now + the kind's time (CITY_FIELD_VERIFY_HOURS / CITY_FIELD_CHECK_HOURS).
    due_at: Annotated[datetime, msgspec.Meta(tz=True)] | None = None


class RollCallOut(msgspec.Struct, frozen=True):
    id: str
    inspector_id: str
    inspector_name: str
    asked_at: datetime
    asked_by_name: str
    answered_at: datetime | None
    location: LocationOut | None
    photo_url: str | None


class RollCallList(msgspec.Struct, frozen=True):
    items: list[RollCallOut]


class RollCallIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    inspector_id: uuid.UUID


class RollCallAnswerIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    location: LocationIn
    photo_id: uuid.UUID | None = None


class VoiceNoteOut(msgspec.Struct, frozen=True):
    id: str
    mime_type: str
    bytes: int


class InspectorOut(msgspec.Struct, frozen=True):
    id: str
    username: str
    display_name: str | None
    grid_codes: list[str]
    on_shift: bool
    shift_id: str | None
    last_position: LocationOut | None
    last_position_at: datetime | None
    # Seconds since the last position: an old one means the phone has gone quiet.
    last_position_age_s: int | None
    open_tasks: int


class InspectorList(msgspec.Struct, frozen=True):
    items: list[InspectorOut]


class GridAssignmentIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    grid_codes: Annotated[list[Annotated[str, msgspec.Meta(max_length=32)]], msgspec.Meta(max_length=500)]


class TrackOut(msgspec.Struct, frozen=True):
    shift: ShiftOut
    inspector_id: str
    # Simplified for drawing, split where the phone recorded nothing for a while (the screen was off,
    # no signal): [lng, lat] pairs, as GeoJSON orders them. The stored points stay as recorded.
    segments: list[list[tuple[float, float]]]
    gaps: int


class CoverageRow(msgspec.Struct, frozen=True):
    grid_code: str
    grid_name: str
    inspectors: int
    points: int
    # Time on patrol inside the grid (between consecutive points, gaps left out).
    minutes: float


class CoverageOut(msgspec.Struct, frozen=True):
    day: str
    items: list[CoverageRow]
