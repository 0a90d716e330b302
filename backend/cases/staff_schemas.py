"""Staff bodies and answers: workflow actions, the triage queue, a case in full, the map."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from backend.cases.schemas import LocationOut, RatingOut, ReplyOut
from backend.field.schemas import PositionCheckOut, VoiceNoteOut
from backend.uploads.schemas import GpsOut, PhotoOut

# What the citizen and followers are told, and what only staff see: two fields, never one "note".
Message = Annotated[str, msgspec.Meta(max_length=2000)]
RequiredMessage = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
CategoryCode = Annotated[str, msgspec.Meta(max_length=16)]
PhotoIds = Annotated[list[uuid.UUID], msgspec.Meta(max_length=9)]
Version = Annotated[int, msgspec.Meta(ge=1)]


class _Action(msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag_field="action", kw_only=True):
    # The version the caller last saw: a case changed since then is refused as stale.
    expected_version: Version
    public_message: Message | None = None
    internal_note: Message | None = None


class Accept(_Action, tag="accept"):
    # Triage may correct the citizen's choice of category.
    category_code: CategoryCode | None = None


class Reject(_Action, tag="reject"):
    # The reporter is told why.
    public_message: RequiredMessage


class Merge(_Action, tag="merge"):
    # The original this case duplicates.
    target_id: uuid.UUID


class Dispatch(_Action, tag="dispatch"):
    department_code: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    category_code: CategoryCode | None = None
    # A deadline of the caller's (the platform's); none: the category's 处置时限 from now.
    deadline_at: Annotated[datetime, msgspec.Meta(tz=True)] | None = None


class Start(_Action, tag="start"):
    pass


class Handle(_Action, tag="handle"):
    # 处理反馈: what was done, as the reporter will read it.
    public_message: RequiredMessage
    photo_ids: PhotoIds = []


class CheckPass(_Action, tag="check_pass"):
    photo_ids: PhotoIds = []


class CheckFail(_Action, tag="check_fail"):
    # 返工 goes back to the department with the reason.
    internal_note: RequiredMessage
    photo_ids: PhotoIds = []


class Reopen(_Action, tag="reopen"):
    internal_note: RequiredMessage


class Return(_Action, tag="return"):
    internal_note: RequiredMessage


class Reply(_Action, tag="reply"):
    # 答复: the answer itself.
    public_message: RequiredMessage


class Verify(_Action, tag="verify"):
    # 核实 on site, before acceptance: the report is true, or nothing was found there.
    outcome: Literal["confirmed", "not_found"]
    photo_ids: PhotoIds = []


class SelfHandle(_Action, tag="self_handle"):
    # 自处置: an inspector fixed a minor problem on the spot; the after-photos show it.
    photo_ids: PhotoIds = []


ActionIn = (
    Accept
    | Reject
    | Merge
    | Dispatch
    | Start
    | Handle
    | CheckPass
    | CheckFail
    | Reopen
    | Return
    | Reply
    | Verify
    | SelfHandle
)

SortKey = Literal["-created_at", "created_at", "deadline_at"]
CaseStatus = Literal[
    "submitted", "accepted", "rejected", "merged", "dispatched", "in_progress", "handled", "closed"
]
Source = Literal["citizen", "inspector", "coordination", "open311"]


# gc=False: see PointGeometry.
class CaseSummary(msgspec.Struct, frozen=True, gc=False):
    """A row of the triage queue."""

    id: str
    tracking_no: str
    status: str
    status_name: str
    type: str
    category_code: str | None
    category_name: str | None
    source: str
    # The Open311 client that sent it (its key's name); null for the app's own sources.
    source_client: str | None
    grid_code: str
    department_code: str | None
    department_name: str | None
    description: str
    address: str | None
    location: LocationOut
    created_at: datetime
    updated_at: datetime
    deadline_at: datetime | None
    overdue: bool
    version: int
    thumb_url: str | None


class CasePage(msgspec.Struct, frozen=True):
    items: list[CaseSummary]
    next_cursor: str | None


class StatusCounts(msgspec.Struct, frozen=True):
    counts: dict[str, int]
    total: int
    overdue: int


class StaffPhotoOut(msgspec.Struct, frozen=True):
    photo: PhotoOut
    # Staff only, and each fetch is audited.
    original_url: str
    taken_at: datetime | None
    gps: GpsOut | None


class StaffTimelineEntry(msgspec.Struct, frozen=True):
    action: str
    action_name: str
    status: str
    status_name: str
    actor_role: str
    actor: str | None
    occurred_at: datetime
    public_message: str | None
    internal_note: str | None
    photo_ids: list[str]


class Reporter(msgspec.Struct, frozen=True):
    id: str
    kind: str
    # The verified phone of a citizen account; a device has none.
    phone: str | None


class DepartmentRef(msgspec.Struct, frozen=True):
    code: str
    name: str


class CaseRef(msgspec.Struct, frozen=True):
    id: str
    tracking_no: str


class AttributeAnswer(msgspec.Struct, frozen=True):
    """An answer to one of the category's extra questions, in words."""

    code: str
    name: str
    value: str


class StaffCaseOut(msgspec.Struct, frozen=True):
    """A case in full, personal data included: every view is audited."""

    summary: CaseSummary
    description: str
    accuracy_m: float | None
    contact_phone: str | None
    # What an Open311 client sent of the reporter beside the phone.
    contact_name: str | None
    contact_email: str | None
    attributes: list[AttributeAnswer]
    reporter: Reporter
    photos: list[StaffPhotoOut]
    timeline: list[StaffTimelineEntry]
    rework_count: int
    merged_into: CaseRef | None
    rating: RatingOut | None
    reply: ReplyOut | None
    # The routing table's department for the case's category and grid: what dispatch preselects.
    suggested_department: DepartmentRef | None
    # Where inspectors' evidence on this case was taken, against its point (flagged, never refused).
    position_checks: list[PositionCheckOut]
    # 录音 an inspector recorded with a report: played through GET /api/v1/staff/voice-notes/{id}.
    voice_notes: list[VoiceNoteOut]
    # What the caller may do next, so that the screen offers nothing the API would refuse.
    allowed_actions: list[str]


LikenessReason = Literal["same_photo", "similar_photo", "same_category", "similar_text", "near", "same_time"]


class DuplicateCandidate(msgspec.Struct, frozen=True):
    case: CaseSummary
    distance_m: int
    # 0..1: how alike the two reports are; the list is ranked by it.
    score: float
    reasons: list[LikenessReason]


class DuplicateList(msgspec.Struct, frozen=True):
    items: list[DuplicateCandidate]


# Answers built by the thousand (queue pages, map points) hold no cycles: with gc=False they are not
# tracked, and a map of two thousand points no longer sets off a full collection (bench/triage.py p95).
class PointGeometry(msgspec.Struct, frozen=True, gc=False):
    coordinates: tuple[float, float]
    type: Literal["Point"] = "Point"


class CaseFeatureProps(msgspec.Struct, frozen=True, gc=False):
    # A UUID as read, written out by msgspec: a map of two thousand points spent a tenth of its time
    # in str(uuid) (bench/triage.py).
    id: uuid.UUID
    tracking_no: str
    status: str
    category_code: str | None
    overdue: bool


class CaseFeature(msgspec.Struct, frozen=True, gc=False):
    geometry: PointGeometry
    properties: CaseFeatureProps
    type: Literal["Feature"] = "Feature"


class CaseFeatureCollection(msgspec.Struct, frozen=True):
    features: list[CaseFeature]
    # More cases matched than the cap: the client should zoom in.
    truncated: bool
    type: Literal["FeatureCollection"] = "FeatureCollection"
