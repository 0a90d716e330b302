"""The platform's callbacks into the workflow: signed like our events, kept by event id, and applied
through backend/cases/workflow.py as the `integration` role, so the state machine holds. A callback
that arrives before the step it follows (handled before started) waits, and is applied as soon as
the case has caught up; none is dropped."""

from __future__ import annotations

import asyncio
import time
import uuid

import msgspec
import structlog
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.accounts.models import User
from backend.accounts.tokens import Principal
from backend.cases import workflow
from backend.cases.models import Case
from backend.cases.staff_schemas import ActionIn, CheckPass, Dispatch, Handle, Return, Start
from backend.catalog.lookup import CatalogCache, CatalogSnapshot
from backend.coordination import photos
from backend.coordination.models import CoordinationCallback
from backend.coordination.schemas import (
    CallbackIn,
    CallbackOut,
    Closed,
    Dispatched,
    Handled,
    Returned,
    Started,
)
from backend.coordination.signing import BadSignature, verify
from backend.db import utcnow
from backend.errors import ApiError
from backend.settings import Settings
from backend.uploads.models import Photo
from backend.uploads.storage import ObjectStore

log = structlog.get_logger(__name__)
PLATFORM_USERNAME = "coordination-platform"
# Refusals that mean "not yet": the case has not reached the step this one follows.
NOT_YET = frozenset({"invalid_transition"})
_DECODER = msgspec.json.Decoder(CallbackIn)
# Beside the callback as sent, the row keeps the ids of the after-photos we took for it.
PHOTO_IDS = "photo_ids"


def checked(settings: Settings, body: bytes, timestamp: str | None, signed: str | None) -> CallbackIn:
    """The callback, once its signature and time are right (401 otherwise)."""
    try:
        verify(settings.coordination_secret, timestamp, signed, body, now=time.time())
    except BadSignature as refused:
        log.warning("callback_refused", reason=str(refused))
        raise ApiError(401, "bad_signature") from None
    try:
        return _DECODER.decode(body)
    except msgspec.ValidationError as invalid:
        raise ApiError(422, "validation_error", reason=str(invalid)) from None
    except msgspec.DecodeError:
        raise ApiError(400, "invalid_json") from None


async def receive(
    session: AsyncSession,
    settings: Settings,
    store: ObjectStore,
    slots: asyncio.Semaphore,
    catalog: CatalogSnapshot,
    callback: CallbackIn,
) -> CallbackOut:
    async with session.begin():
        case = await session.get(Case, callback.case_id)
        if case is None:
            raise ApiError(404, "not_found")
        seen = await session.get(CoordinationCallback, callback.event_id)
        actor = await platform_principal(session)
    if seen is not None:
        return CallbackOut(status="duplicate", case_status=case.status)
    # Fetched before the case is locked: a slow photo server holds no other callback of the case.
    photo_ids = []
    if isinstance(callback, Handled) and callback.photo_urls:
        photo_ids = await photos.take(session, store, settings, slots, actor.user_id, callback.photo_urls)
    try:
        outcome = await _record(session, settings, catalog, callback, photo_ids)
    except BaseException:
        await photos.discard(session, store, photo_ids)
        raise
    if outcome.status == "duplicate":  # the same callback, taken by another request meanwhile
        await photos.discard(session, store, photo_ids)
    return outcome


async def _record(
    session: AsyncSession,
    settings: Settings,
    catalog: CatalogSnapshot,
    callback: CallbackIn,
    photo_ids: list[uuid.UUID],
) -> CallbackOut:
    async with session.begin():
        # Locked first: callbacks of one case are taken one after the other.
        case = await session.get(Case, callback.case_id, with_for_update=True, populate_existing=True)
        assert case is not None
        if await session.get(CoordinationCallback, callback.event_id) is not None:
            return CallbackOut(status="duplicate", case_status=case.status)
        row = CoordinationCallback(
            event_id=callback.event_id,
            callback_type=type(callback).__struct_config__.tag,
            case_id=case.id,
            payload=msgspec.to_builtins(callback) | {PHOTO_IDS: [str(i) for i in photo_ids]},
            occurred_at=callback.occurred_at,
            received_at=utcnow(),
        )
        session.add(row)
        await session.flush()
        await apply_waiting(session, settings, catalog, case)
        log.info(
            "callback_received",
            event_id=str(row.event_id),
            type=row.callback_type,
            applied=bool(row.applied_at),
        )
        return CallbackOut(status="applied" if row.applied_at else "waiting", case_status=case.status)


async def apply_all_waiting(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, catalogs: CatalogCache, batch: int = 100
) -> int:
    """The worker's round over cases with waiting callbacks: a step taken on the desk (staff dispatch
    before the platform's `started` came) lets them apply too, not only the platform's next callback.
    Safe beside other workers and callbacks: each case is locked while its callbacks are tried.
    Returns how many callbacks were applied."""
    async with sessions() as session:
        catalog = await catalogs.snapshot(session)
        async with session.begin():
            case_ids = list(
                await session.scalars(
                    select(CoordinationCallback.case_id)
                    .where(CoordinationCallback.applied_at.is_(None))
                    .group_by(CoordinationCallback.case_id)
                    .order_by(func.min(CoordinationCallback.received_at))
                    .limit(batch)
                )
            )
    applied = 0
    for case_id in case_ids:
        async with sessions() as session, session.begin():
            case = await session.get(Case, case_id, with_for_update=True)
            if case is not None:
                applied += await apply_waiting(session, settings, catalog, case)
    return applied


async def apply_waiting(
    session: AsyncSession, settings: Settings, catalog: CatalogSnapshot, case: Case
) -> int:
    """Apply the case's waiting callbacks in the platform's order, again while any of them moves it.
    Returns how many were applied."""
    actor = await platform_principal(session)
    applied = 0
    moved = True
    while moved:
        moved = False
        waiting = await session.scalars(
            select(CoordinationCallback)
            .where(CoordinationCallback.case_id == case.id, CoordinationCallback.applied_at.is_(None))
            .order_by(CoordinationCallback.occurred_at, CoordinationCallback.event_id)
        )
        for row in list(waiting):
            payload = dict(row.payload)
            photo_ids = await _still_here([uuid.UUID(i) for i in payload.pop(PHOTO_IDS, [])], session, row)
            callback = msgspec.convert(payload, CallbackIn)
            context = workflow.Context(catalog=catalog, tz=settings.tz, at=utcnow())
            try:
                async with session.begin_nested():
                    await workflow.act(
                        session, case, actor, _action(callback, case.version, photo_ids), context
                    )
            except ApiError as refused:
                row.waiting_for = refused.code
                if refused.code not in NOT_YET:
                    log.warning("callback_refused_by_workflow", event_id=str(row.event_id), code=refused.code)
                continue
            row.applied_at = context.at
            row.waiting_for = None
            applied += 1
            moved = True
    return applied


async def _still_here(
    photo_ids: list[uuid.UUID], session: AsyncSession, row: CoordinationCallback
) -> list[uuid.UUID]:
    """The callback's photos that are still unattached: one that waited past the orphan-photo sweep
    (CITY_ORPHAN_PHOTO_HOURS) is applied without those it lost rather than never."""
    if not photo_ids:
        return []
    present = set(
        await session.scalars(select(Photo.id).where(Photo.id.in_(photo_ids), Photo.case_id.is_(None)))
    )
    if len(present) < len(photo_ids):
        log.warning("callback_photos_gone", event_id=str(row.event_id), lost=len(photo_ids) - len(present))
    return [i for i in photo_ids if i in present]


def _action(callback: CallbackIn, version: int, photo_ids: list[uuid.UUID]) -> ActionIn:
    match callback:
        case Dispatched():
            return Dispatch(
                expected_version=version,
                department_code=callback.department_code,
                deadline_at=callback.deadline_at,
            )
        case Started():
            return Start(expected_version=version)
        case Handled():
            return Handle(expected_version=version, public_message=callback.feedback, photo_ids=photo_ids)
        case Returned():
            return Return(expected_version=version, internal_note=callback.reason)
        case Closed():
            return CheckPass(expected_version=version)
    raise AssertionError(callback)


async def platform_principal(session: AsyncSession) -> Principal:
    """The platform as an actor: one account with the integration role, made the first time."""
    query = select(User).where(User.username == PLATFORM_USERNAME)
    user = await session.scalar(query)
    if user is None:
        try:
            async with session.begin_nested():
                user = User(
                    kind="staff",
                    username=PLATFORM_USERNAME,
                    roles=["integration"],
                    display_name="指挥协调平台",
                )
                session.add(user)
        except IntegrityError:  # another process made it just now
            user = await session.scalar(query)
    assert user is not None
    return Principal(user_id=user.id, kind=user.kind, roles=tuple(user.roles))
