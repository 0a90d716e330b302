"""The desk's view of the field: inspectors with their last positions, who covers which grids, a
shift's track for the map, and patrol coverage per grid for a day."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from shapely.geometry import LineString
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.guards import require_role
from backend.accounts.models import User
from backend.accounts.tokens import Principal
from backend.audit import service as audit
from backend.cases.schemas import LocationOut
from backend.catalog.lookup import CatalogSnapshot
from backend.catalog.models import Grid
from backend.db import utcnow
from backend.errors import ApiError
from backend.field.models import GridAssignment, Shift, Task, TrackPoint
from backend.field.schemas import (
    CoverageOut,
    CoverageRow,
    GridAssignmentIn,
    GridName,
    GridNames,
    InspectorList,
    InspectorOut,
    TrackOut,
)
from backend.field.shifts import shift_out
from backend.settings import Settings

WATCHING = ("dispatcher", "supervisor")
# Who decides which inspector covers which grids.
ASSIGNING = ("supervisor", "admin")
# Douglas-Peucker tolerance for drawing a track, in degrees (about 5 m).
SIMPLIFY_DEGREES = 0.00005


async def inspectors(session: AsyncSession, principal: Principal) -> InspectorList:
    """Every active inspector: on shift or not, their last position and its age, grids, open tasks.
    Plain columns in three queries (no ORM objects): the desk's map asks for it every 30 s."""
    require_role(principal, *WATCHING, *ASSIGNING)
    now = utcnow()
    async with session.begin():
        rows = (
            await session.execute(
                select(
                    User.id,
                    User.username,
                    User.display_name,
                    User.roles,
                    Shift.id,
                    Shift.last_point_at,
                    Shift.last_lat,
                    Shift.last_lng,
                    Shift.last_accuracy_m,
                )
                .outerjoin(Shift, (Shift.inspector_id == User.id) & Shift.ended_at.is_(None))
                .where(User.kind == "staff", User.is_active.is_(True))
                .order_by(User.username)
            )
        ).all()
        grids: dict[uuid.UUID, list[str]] = {}
        for inspector_id, code in await session.execute(
            select(GridAssignment.inspector_id, GridAssignment.grid_code).order_by(GridAssignment.grid_code)
        ):
            grids.setdefault(inspector_id, []).append(code)
        open_tasks = dict(
            (
                await session.execute(
                    select(Task.inspector_id, func.count())
                    .where(Task.status == "open")
                    .group_by(Task.inspector_id)
                )
            ).all()
        )
    items = []
    for user_id, username, display_name, roles, shift_id, last_at, lat, lng, accuracy in rows:
        if "inspector" not in roles:
            continue
        items.append(
            InspectorOut(
                id=str(user_id),
                username=username or "",
                display_name=display_name,
                grid_codes=grids.get(user_id, []),
                on_shift=shift_id is not None,
                shift_id=str(shift_id) if shift_id else None,
                last_position=LocationOut(lat=lat, lng=lng, accuracy_m=accuracy) if lat is not None else None,
                last_position_at=last_at,
                last_position_age_s=int((now - last_at).total_seconds()) if last_at else None,
                open_tasks=open_tasks.get(user_id, 0),
            )
        )
    return InspectorList(items)


def grid_names(principal: Principal, catalog: CatalogSnapshot) -> GridNames:
    require_role(principal, *WATCHING, *ASSIGNING)
    return GridNames(
        [GridName(code=g.code, name=g.name) for g in sorted(catalog.grids, key=lambda g: g.code)]
    )


async def assign_grids(
    session: AsyncSession,
    settings: Settings,
    catalog: CatalogSnapshot,
    principal: Principal,
    inspector_id: uuid.UUID,
    body: GridAssignmentIn,
    address: str,
) -> list[str]:
    """Replace the inspector's responsible grids with the list given (audited)."""
    require_role(principal, *ASSIGNING)
    codes = catalog.known_grids(body.grid_codes)
    async with session.begin():
        user = await session.get(User, inspector_id)
        if user is None or "inspector" not in user.roles:
            raise ApiError(404, "not_found")
        await session.execute(delete(GridAssignment).where(GridAssignment.inspector_id == inspector_id))
        now = utcnow()
        session.add_all(GridAssignment(inspector_id=inspector_id, grid_code=c, created_at=now) for c in codes)
        audit.record(
            session,
            settings,
            principal.user_id,
            "grid_assignment.saved",
            address,
            subject=str(inspector_id),
            details={"grid_codes": codes},
        )
    return codes


async def track(
    session: AsyncSession, settings: Settings, principal: Principal, shift_id: uuid.UUID
) -> TrackOut:
    """The shift's track for drawing: split at gaps, each segment simplified; the points stay stored."""
    require_role(principal, *WATCHING)
    async with session.begin():
        shift = await session.get(Shift, shift_id)
        if shift is None:
            raise ApiError(404, "not_found")
        rows = (
            await session.execute(
                select(TrackPoint.recorded_at, TrackPoint.lng, TrackPoint.lat)
                .where(TrackPoint.shift_id == shift_id)
                .order_by(TrackPoint.recorded_at)
            )
        ).all()
    gap = timedelta(seconds=settings.field_track_gap_seconds)
    segments: list[list[tuple[float, float]]] = []
    previous: datetime | None = None
    for at, lng, lat in rows:
        if previous is None or at - previous > gap:
            segments.append([])
        segments[-1].append((lng, lat))
        previous = at
    return TrackOut(
        shift=shift_out(shift),
        inspector_id=str(shift.inspector_id),
        segments=[_simplified(s) for s in segments],
        gaps=max(len(segments) - 1, 0),
    )


def _simplified(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    if len(points) < 3:
        return points
    line = LineString(points).simplify(SIMPLIFY_DEGREES, preserve_topology=False)
    return [(round(x, 6), round(y, 6)) for x, y in line.coords]


async def coverage(
    session: AsyncSession, settings: Settings, catalog: CatalogSnapshot, principal: Principal, day: date
) -> CoverageOut:
    """Per grid, for a day in the city's time: inspectors who patrolled it, points, minutes inside."""
    require_role(principal, *WATCHING)
    start = datetime.combine(day, time(), settings.tz)
    end = start + timedelta(days=1)
    gap = timedelta(seconds=settings.field_track_gap_seconds)
    async with session.begin():
        rows = (
            await session.execute(
                select(
                    Shift.inspector_id,
                    TrackPoint.shift_id,
                    TrackPoint.recorded_at,
                    TrackPoint.lat,
                    TrackPoint.lng,
                )
                .join(Shift, Shift.id == TrackPoint.shift_id)
                .where(TrackPoint.recorded_at >= start, TrackPoint.recorded_at < end)
                .order_by(TrackPoint.shift_id, TrackPoint.recorded_at)
            )
        ).all()
        names = dict((await session.execute(select(Grid.code, Grid.name))).all())
    per_grid: dict[str, _Patrol] = {}
    previous: tuple[uuid.UUID, datetime, str] | None = None
    for inspector_id, shift_id, at, lat, lng in rows:
        grid = catalog.grid_at(lat, lng)
        if grid is None:
            previous = None
            continue
        patrol = per_grid.setdefault(grid.code, _Patrol())
        patrol.inspectors.add(inspector_id)
        patrol.points += 1
        # Time counts between two points of one shift in the same grid, a gap apart at most.
        if (
            previous is not None
            and previous[0] == shift_id
            and previous[2] == grid.code
            and at - previous[1] <= gap
        ):
            patrol.seconds += (at - previous[1]).total_seconds()
        previous = (shift_id, at, grid.code)
    return CoverageOut(
        day=day.isoformat(),
        items=[
            CoverageRow(
                grid_code=code,
                grid_name=names.get(code, code),
                inspectors=len(patrol.inspectors),
                points=patrol.points,
                minutes=round(patrol.seconds / 60, 1),
            )
            for code, patrol in sorted(per_grid.items())
        ],
    )


@dataclass(slots=True)
class _Patrol:
    inspectors: set[uuid.UUID] = field(default_factory=set)
    points: int = 0
    seconds: float = 0.0
