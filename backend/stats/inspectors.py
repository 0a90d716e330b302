"""Inspector indicators (监督员考核, in the manner of GB/T 30428.4) for a period of city days: reports
filed and accepted, verify and check tasks done on time, patrol distance and time."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.guards import STAFF_ROLES, require_role
from backend.accounts.models import User
from backend.accounts.tokens import Principal
from backend.cases.models import Case
from backend.db import utcnow
from backend.field.models import Shift, Task
from backend.settings import Settings
from backend.stats.schemas import InspectorIndicators, InspectorOverview
from backend.stats.service import city_days, rate


async def inspector_overview(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    date_from: date | None,
    date_to: date | None,
) -> InspectorOverview:
    require_role(principal, *STAFF_ROLES, "admin")
    date_from, date_to, start, end = city_days(settings, date_from, date_to)
    now = utcnow()
    async with session.begin():
        # Staff accounts are few beside the citizens' devices; the role is then checked on each.
        inspectors = [
            u
            for u in await session.scalars(select(User).where(User.kind == "staff"))
            if "inspector" in u.roles
        ]
        reports = {
            r.reporter_id: (r.filed, r.valid)
            for r in await session.execute(
                select(
                    Case.reporter_id, func.count().label("filed"), func.count(Case.accepted_at).label("valid")
                )
                .where(Case.source == "inspector", Case.created_at >= start, Case.created_at < end)
                .group_by(Case.reporter_id)
            )
        }
        # Due: done, or open past its due time; on time: done by it.
        tasks = {
            (r.inspector_id, r.kind): (r.due, r.on_time)
            for r in await session.execute(
                select(
                    Task.inspector_id,
                    Task.kind,
                    func.count().filter(or_(Task.status == "done", Task.due_at < now)).label("due"),
                    func.count()
                    .filter(and_(Task.status == "done", Task.completed_at <= Task.due_at))
                    .label("on_time"),
                )
                .where(Task.assigned_at >= start, Task.assigned_at < end, Task.status != "cancelled")
                .group_by(Task.inspector_id, Task.kind)
            )
        }
        patrol: dict[uuid.UUID, tuple[float, float]] = {}
        for shift in await session.scalars(
            select(Shift).where(Shift.started_at >= start, Shift.started_at < end)
        ):
            metres, seconds = patrol.get(shift.inspector_id, (0.0, 0.0))
            patrol[shift.inspector_id] = (
                metres + shift.distance_m,
                seconds + ((shift.ended_at or now) - shift.started_at).total_seconds(),
            )
    items = []
    for user in sorted(inspectors, key=lambda u: u.username or ""):
        filed, valid = reports.get(user.id, (0, 0))
        verify_due, verify_on_time = tasks.get((user.id, "verify"), (0, 0))
        check_due, check_on_time = tasks.get((user.id, "check"), (0, 0))
        metres, seconds = patrol.get(user.id, (0.0, 0.0))
        items.append(
            InspectorIndicators(
                inspector_id=str(user.id),
                name=user.display_name or user.username or "",
                reports=filed,
                reports_valid=valid,
                valid_rate=rate(valid, filed),
                verify_due=verify_due,
                verify_on_time=verify_on_time,
                verify_on_time_rate=rate(verify_on_time, verify_due),
                check_due=check_due,
                check_on_time=check_on_time,
                check_on_time_rate=rate(check_on_time, check_due),
                patrol_km=round(metres / 1000, 2),
                patrol_hours=round(seconds / 3600, 2),
            )
        )
    return InspectorOverview(date_from=date_from, date_to=date_to, timezone=settings.timezone, items=items)
