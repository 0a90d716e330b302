"""考勤 and 巡查轨迹: clocking in and out, and storing the track a phone uploads in batches."""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.guards import require_role
from backend.accounts.tokens import Principal
from backend.cases.schemas import LocationIn, LocationOut
from backend.catalog.geo import distance_m, to_wgs84
from backend.catalog.models import Grid
from backend.db import utcnow
from backend.errors import ApiError, FieldError
from backend.field.models import GridAssignment, Shift, TrackBatch, TrackPoint
from backend.field.schemas import (
    MAX_POINTS_PER_BATCH,
    GridList,
    GridOut,
    PointBatchIn,
    PointBatchOut,
    ShiftList,
    ShiftOut,
    TrackPointIn,
)

# A point's time may run ahead of ours by this much (phone clocks drift) and still be taken.
CLOCK_SKEW = timedelta(minutes=2)


async def my_grids(session: AsyncSession, principal: Principal) -> GridList:
    require_role(principal, "inspector")
    async with session.begin():
        rows = await session.scalars(
            select(Grid)
            .join(GridAssignment, GridAssignment.grid_code == Grid.code)
            .where(GridAssignment.inspector_id == principal.user_id)
            .order_by(Grid.code)
        )
        return GridList([GridOut(code=g.code, name=g.name, geometry=g.geometry) for g in rows])


async def start(session: AsyncSession, principal: Principal, at: LocationIn) -> tuple[ShiftOut, bool]:
    """Clock in; an open shift is answered as it is (clocking in twice is once). True when new."""
    require_role(principal, "inspector")
    lat, lng = to_wgs84(at.lat, at.lng, at.crs)
    try:
        async with session.begin():
            open_shift = await _open_shift(session, principal.user_id)
            if open_shift is not None:
                return shift_out(open_shift), False
            shift = Shift(
                id=uuid.uuid4(),
                inspector_id=principal.user_id,
                started_at=utcnow(),
                start_lat=lat,
                start_lng=lng,
                start_accuracy_m=at.accuracy_m,
            )
            session.add(shift)
        return shift_out(shift), True
    except IntegrityError:  # the other phone's clock-in won the unique open-shift index
        async with session.begin():
            won = await _open_shift(session, principal.user_id)
            assert won is not None
            return shift_out(won), False


async def end(session: AsyncSession, principal: Principal, shift_id: uuid.UUID, at: LocationIn) -> ShiftOut:
    """Clock out; an ended shift is answered as it ended."""
    require_role(principal, "inspector")
    lat, lng = to_wgs84(at.lat, at.lng, at.crs)
    async with session.begin():
        shift = await _own_shift(session, principal, shift_id, lock=True)
        if shift.ended_at is None:
            shift.ended_at = utcnow()
            shift.end_lat, shift.end_lng, shift.end_accuracy_m = lat, lng, at.accuracy_m
        return shift_out(shift)


async def mine(session: AsyncSession, principal: Principal, limit: int) -> ShiftList:
    require_role(principal, "inspector")
    async with session.begin():
        rows = await session.scalars(
            select(Shift)
            .where(Shift.inspector_id == principal.user_id)
            # The open shift first, then the newest.
            .order_by(Shift.ended_at.is_not(None), Shift.started_at.desc())
            .limit(limit)
        )
        return ShiftList([shift_out(s) for s in rows])


async def store_points(
    session: AsyncSession, principal: Principal, shift_id: uuid.UUID, batch: PointBatchIn
) -> PointBatchOut:
    """Store a batch of track points once: the same batch id again stores nothing, and a point of a
    time already stored is skipped. The shift's distance and last point follow the new points."""
    require_role(principal, "inspector")
    if len(batch.points) > MAX_POINTS_PER_BATCH:
        raise ApiError(422, "too_many_points", max=MAX_POINTS_PER_BATCH)
    now = utcnow()
    async with session.begin():
        # Locked: two batches of one shift settle its distance one after the other.
        shift = await _own_shift(session, principal, shift_id, lock=True)
        if await session.get(TrackBatch, batch.batch_id) is not None:
            return PointBatchOut(stored=0, duplicate=True)
        _check(batch.points, shift, now)
        points = sorted(batch.points, key=lambda p: p.at)
        stored = await _insert_points(session, shift.id, points)
        _extend(shift, [p for p in points if p.at in stored])
        session.add(
            TrackBatch(batch_id=batch.batch_id, shift_id=shift.id, stored=len(stored), received_at=now)
        )
    return PointBatchOut(stored=len(stored), duplicate=False)


# On PostgreSQL the batch goes as columns of arrays in one statement: a row per point through
# executemany cost more than the rest of the request (bench/track_ingest.py).
_PG_POINTS = text(
    "INSERT INTO track_points (shift_id, recorded_at, lat, lng, accuracy_m, speed_mps) "
    "SELECT CAST(:shift_id AS uuid), * FROM unnest(CAST(:at AS timestamptz[]), CAST(:lat AS float8[]), "
    "CAST(:lng AS float8[]), CAST(:accuracy AS float8[]), CAST(:speed AS float8[])) "
    "ON CONFLICT DO NOTHING RETURNING recorded_at"
)


async def _insert_points(
    session: AsyncSession, shift_id: uuid.UUID, points: list[TrackPointIn]
) -> set[datetime]:
    """Insert the points, skipping times already stored; returns the times stored now."""
    if session.get_bind().dialect.name == "postgresql":
        result = await session.execute(
            _PG_POINTS,
            {
                "shift_id": shift_id,
                "at": [p.at for p in points],
                "lat": [p.lat for p in points],
                "lng": [p.lng for p in points],
                "accuracy": [p.accuracy_m for p in points],
                "speed": [p.speed_mps for p in points],
            },
        )
    else:
        rows = [
            {
                "shift_id": shift_id,
                "recorded_at": p.at,
                "lat": p.lat,
                "lng": p.lng,
                "accuracy_m": p.accuracy_m,
                "speed_mps": p.speed_mps,
            }
            for p in points
        ]
        result = await session.execute(
            sqlite_insert(TrackPoint).on_conflict_do_nothing().returning(TrackPoint.recorded_at), rows
        )
    return {at for (at,) in result}


def _check(points: list[TrackPointIn], shift: Shift, now: datetime) -> None:
    """Every bad point named by its index; nothing is stored while one is bad."""
    problems: list[FieldError] = []
    earliest = shift.started_at - CLOCK_SKEW
    latest = min(now, shift.ended_at or now) + CLOCK_SKEW
    for index, point in enumerate(points):
        name = f"points[{index}]"
        if not (-90 <= point.lat <= 90 and -180 <= point.lng <= 180) or not (
            math.isfinite(point.lat) and math.isfinite(point.lng)
        ):
            problems.append(FieldError(name, "point_out_of_range"))
        elif point.at > now + CLOCK_SKEW:
            problems.append(FieldError(name, "point_in_future"))
        elif not earliest <= point.at <= latest:
            problems.append(FieldError(name, "point_outside_shift"))
    if problems:
        raise ApiError(422, problems[0].reason, fields=problems[:50])


def _extend(shift: Shift, points: list[TrackPointIn]) -> None:
    """Distance and last point: new points after the shift's last one continue the line from it; a
    late batch of older points (a buffer sent after newer ones) adds its own length only."""
    if not points:
        return
    previous = (
        (shift.last_lat, shift.last_lng)
        if shift.last_point_at and shift.last_point_at < points[0].at
        else None
    )
    length = 0.0
    for point in points:
        if previous is not None and previous[0] is not None and previous[1] is not None:
            length += distance_m(previous[0], previous[1], point.lat, point.lng)
        previous = (point.lat, point.lng)
    shift.distance_m += length
    shift.points += len(points)
    newest = points[-1]
    if shift.last_point_at is None or newest.at > shift.last_point_at:
        shift.last_point_at = newest.at
        shift.last_lat, shift.last_lng, shift.last_accuracy_m = newest.lat, newest.lng, newest.accuracy_m


async def _open_shift(session: AsyncSession, inspector_id: uuid.UUID) -> Shift | None:
    return await session.scalar(
        select(Shift).where(Shift.inspector_id == inspector_id, Shift.ended_at.is_(None))
    )


async def _own_shift(
    session: AsyncSession, principal: Principal, shift_id: uuid.UUID, *, lock: bool
) -> Shift:
    """The caller's own shift; another inspector's is not found (its existence is not told)."""
    shift = await session.get(Shift, shift_id, with_for_update=lock)
    if shift is None or shift.inspector_id != principal.user_id:
        raise ApiError(404, "not_found")
    return shift


def shift_out(shift: Shift) -> ShiftOut:
    end = (
        LocationOut(lat=shift.end_lat, lng=shift.end_lng, accuracy_m=shift.end_accuracy_m)
        if shift.end_lat is not None and shift.end_lng is not None
        else None
    )
    return ShiftOut(
        id=str(shift.id),
        started_at=shift.started_at,
        ended_at=shift.ended_at,
        start=LocationOut(lat=shift.start_lat, lng=shift.start_lng, accuracy_m=shift.start_accuracy_m),
        end=end,
        distance_m=round(shift.distance_m, 1),
        points=shift.points,
        last_point_at=shift.last_point_at,
    )


async def touch_last_position(
    session: AsyncSession, shift: Shift, lat: float, lng: float, at: datetime
) -> None:
    """A position the inspector sent otherwise (a report, a roll-call answer) is their last one too."""
    if shift.last_point_at is None or at > shift.last_point_at:
        await session.execute(
            update(Shift).where(Shift.id == shift.id).values(last_point_at=at, last_lat=lat, last_lng=lng)
        )
