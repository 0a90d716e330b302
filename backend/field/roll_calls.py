"""点名抽查: the desk asks an inspector on shift where they are; the answer is their position now (and
a photo if they like). Unanswered calls stay visible on both sides."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.accounts.guards import require_role
from backend.accounts.models import User
from backend.accounts.tokens import Principal
from backend.cases.schemas import LocationOut
from backend.catalog.geo import to_wgs84
from backend.db import utcnow
from backend.errors import ApiError
from backend.field.models import RollCall, Shift
from backend.field.schemas import RollCallAnswerIn, RollCallList, RollCallOut
from backend.field.shifts import touch_last_position
from backend.notify.events import ROLL_CALL, inspector_event
from backend.uploads.models import Photo
from backend.uploads.service import display_url

TRIAGE = ("dispatcher", "supervisor")


async def call(session: AsyncSession, principal: Principal, inspector_id: uuid.UUID) -> RollCallOut:
    require_role(principal, *TRIAGE)
    async with session.begin():
        shift = await session.scalar(
            select(Shift).where(Shift.inspector_id == inspector_id, Shift.ended_at.is_(None))
        )
        if shift is None:
            raise ApiError(409, "inspector_not_on_shift")
        row = RollCall(
            id=uuid.uuid4(),
            inspector_id=inspector_id,
            shift_id=shift.id,
            asked_by=principal.user_id,
            asked_at=utcnow(),
        )
        session.add(row)
        session.add(inspector_event(ROLL_CALL, inspector_id, row.id, row.asked_at))
        await session.flush()
        return (await _outs(session, select(RollCall).where(RollCall.id == row.id)))[0]


async def answer(
    session: AsyncSession, principal: Principal, call_id: uuid.UUID, body: RollCallAnswerIn
) -> RollCallOut:
    """The first answer stays: a retry (or a second tap) does not move it."""
    require_role(principal, "inspector")
    lat, lng = to_wgs84(body.location.lat, body.location.lng, body.location.crs)
    async with session.begin():
        row = await session.get(RollCall, call_id, with_for_update=True)
        if row is None or row.inspector_id != principal.user_id:
            raise ApiError(404, "not_found")
        if row.answered_at is None:
            if body.photo_id is not None:
                await _own_photo(session, principal, body.photo_id)
            row.answered_at = utcnow()
            row.lat, row.lng, row.accuracy_m = lat, lng, body.location.accuracy_m
            row.photo_id = body.photo_id
            shift = await session.get(Shift, row.shift_id) if row.shift_id else None
            if shift is not None:
                await touch_last_position(session, shift, lat, lng, row.answered_at)
        await session.flush()
        return (await _outs(session, select(RollCall).where(RollCall.id == row.id)))[0]


async def _own_photo(session: AsyncSession, principal: Principal, photo_id: uuid.UUID) -> None:
    photo = await session.get(Photo, photo_id)
    if photo is None or photo.owner_id != principal.user_id:
        raise ApiError(422, "photo_not_found", id=str(photo_id))


async def mine(session: AsyncSession, principal: Principal, state: str) -> RollCallList:
    require_role(principal, "inspector")
    async with session.begin():
        query = _in_state(state).where(RollCall.inspector_id == principal.user_id)
        return RollCallList(await _outs(session, query))


async def every(session: AsyncSession, principal: Principal, state: str, limit: int) -> RollCallList:
    require_role(principal, *TRIAGE)
    async with session.begin():
        return RollCallList(await _outs(session, _in_state(state).limit(limit)))


def _in_state(state: str) -> Select[tuple[RollCall]]:
    query = select(RollCall).order_by(RollCall.asked_at.desc())
    if state == "open":
        return query.where(RollCall.answered_at.is_(None))
    if state == "answered":
        return query.where(RollCall.answered_at.is_not(None))
    return query


async def _outs(session: AsyncSession, query: Select[tuple[RollCall]]) -> list[RollCallOut]:
    inspector, asker = aliased(User), aliased(User)
    rows = await session.execute(
        select(
            RollCall,
            func.coalesce(inspector.display_name, inspector.username),
            func.coalesce(asker.display_name, asker.username),
        )
        .join(inspector, inspector.id == RollCall.inspector_id)
        .join(asker, asker.id == RollCall.asked_by)
        .where(RollCall.id.in_(query.with_only_columns(RollCall.id)))
        .order_by(RollCall.asked_at.desc())
    )
    return [
        RollCallOut(
            id=str(row.id),
            inspector_id=str(row.inspector_id),
            inspector_name=inspector_name,
            asked_at=row.asked_at,
            asked_by_name=asker_name,
            answered_at=row.answered_at,
            location=LocationOut(lat=row.lat, lng=row.lng, accuracy_m=row.accuracy_m)
            if row.lat is not None and row.lng is not None
            else None,
            photo_url=display_url(row.photo_id) if row.photo_id else None,
        )
        for row, inspector_name, asker_name in rows
    ]
