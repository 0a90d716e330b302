"""Was the inspector there? Each report and task result is checked against the case's point three
ways: the photos' own position and time (EXIF, read from the private originals at upload), the phone's
position when it sent them, and the inspector's track around that time. A result taken too far away
or too long before is flagged for the desk, never refused: GPS lies indoors and under trees."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.catalog.geo import distance_m
from backend.field.models import PositionCheck, Shift, Task, TrackPoint
from backend.field.schemas import PositionCheckOut
from backend.settings import Settings
from backend.uploads.models import Photo

# The track is read this long either side of the moment the evidence was sent.
TRACK_WINDOW = timedelta(minutes=5)


async def check(
    session: AsyncSession,
    settings: Settings,
    *,
    case_id: uuid.UUID,
    case_point: tuple[float, float],
    inspector_id: uuid.UUID,
    photo_ids: list[uuid.UUID],
    device_point: tuple[float, float] | None,
    at: datetime,
    recorded_at: datetime | None = None,
    task_id: uuid.UUID | None = None,
) -> PositionCheck:
    """Measure, flag and record the check (in the caller's transaction). The photos and the track are
    compared at the time the phone made the report or result (sent later when it was offline), never
    later than its arrival."""
    limit = settings.field_plausible_distance_m
    moment = min(recorded_at, at) if recorded_at else at
    reasons: list[str] = []
    photos = list(await session.scalars(select(Photo).where(Photo.id.in_(photo_ids)))) if photo_ids else []
    placed = [p for p in photos if p.gps_lat is not None and p.gps_lng is not None]
    photo_distance = max((distance_m(*case_point, p.gps_lat, p.gps_lng) for p in placed), default=None)
    if photo_distance is not None and photo_distance > limit:
        reasons.append("photo_far")
    taken = [p.taken_at for p in photos if p.taken_at is not None]
    photo_taken_at = min(taken, default=None)
    if photo_taken_at is not None and moment - photo_taken_at > timedelta(
        minutes=settings.field_plausible_age_minutes
    ):
        reasons.append("photo_old")
    device_distance = distance_m(*case_point, *device_point) if device_point else None
    if device_distance is not None and device_distance > limit:
        reasons.append("device_far")
    track_distance = await _track_distance(session, inspector_id, case_point, moment)
    if track_distance is not None and track_distance > limit:
        reasons.append("track_far")
    row = PositionCheck(
        id=uuid.uuid4(),
        case_id=case_id,
        task_id=task_id,
        inspector_id=inspector_id,
        created_at=at,
        flagged=bool(reasons),
        photo_distance_m=_round(photo_distance),
        device_distance_m=_round(device_distance),
        track_distance_m=_round(track_distance),
        photo_taken_at=photo_taken_at,
        reasons=reasons,
    )
    session.add(row)
    return row


async def _track_distance(
    session: AsyncSession, inspector_id: uuid.UUID, point: tuple[float, float], at: datetime
) -> float | None:
    """How close the inspector's track came to the point around the time (None: no track then)."""
    rows = await session.execute(
        select(TrackPoint.lat, TrackPoint.lng)
        .join(Shift, Shift.id == TrackPoint.shift_id)
        .where(
            Shift.inspector_id == inspector_id,
            TrackPoint.recorded_at.between(at - TRACK_WINDOW, at + TRACK_WINDOW),
        )
    )
    return min((distance_m(*point, lat, lng) for lat, lng in rows), default=None)


def _round(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


async def checks_of(session: AsyncSession, case_id: uuid.UUID) -> list[PositionCheckOut]:
    """Every check made on the case, oldest first, each with what it was about (the desk's case page)."""
    rows = await session.execute(
        select(PositionCheck, Task.kind)
        .outerjoin(Task, Task.id == PositionCheck.task_id)
        .where(PositionCheck.case_id == case_id)
        .order_by(PositionCheck.created_at)
    )
    return [check_out(row, kind or "report") for row, kind in rows]


def check_out(row: PositionCheck, kind: str = "report") -> PositionCheckOut:
    distances = [
        d for d in (row.photo_distance_m, row.device_distance_m, row.track_distance_m) if d is not None
    ]
    return PositionCheckOut(
        kind=kind,
        created_at=row.created_at,
        flagged=row.flagged,
        distance_m=max(distances, default=None),
        photo_distance_m=row.photo_distance_m,
        device_distance_m=row.device_distance_m,
        track_distance_m=row.track_distance_m,
        photo_taken_at=row.photo_taken_at,
        reasons=list(row.reasons),
    )
