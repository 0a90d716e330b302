"""The platform's callbacks into the workflow: signed like our events, kept by event id, and applied
through backend/cases/workflow.py as the `integration` role, so the state machine holds. A callback
that arrives before the step it follows (handled before started) waits, and is applied as soon as
the case has caught up; none is dropped."""

from __future__ import annotations

import time

import msgspec
import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.models import User
from backend.accounts.tokens import Principal
from backend.cases import workflow
from backend.cases.models import Case
from backend.cases.staff_schemas import ActionIn, CheckPass, Dispatch, Handle, Return, Start
from backend.catalog.lookup import CatalogSnapshot
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

log = structlog.get_logger(__name__)
PLATFORM_USERNAME = "coordination-platform"
# Refusals that mean "not yet": the case has not reached the step this one follows.
NOT_YET = frozenset({"invalid_transition"})
_DECODER = msgspec.json.Decoder(CallbackIn)


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
    session: AsyncSession, settings: Settings, catalog: CatalogSnapshot, callback: CallbackIn
) -> CallbackOut:
    async with session.begin():
        # Locked first: callbacks of one case are taken one after the other.
        case = await session.get(Case, callback.case_id, with_for_update=True)
        if case is None:
            raise ApiError(404, "not_found")
        if await session.get(CoordinationCallback, callback.event_id) is not None:
            return CallbackOut(status="duplicate", case_status=case.status)
        row = CoordinationCallback(
            event_id=callback.event_id,
            callback_type=type(callback).__struct_config__.tag,
            case_id=case.id,
            payload=msgspec.to_builtins(callback),
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


async def apply_waiting(
    session: AsyncSession, settings: Settings, catalog: CatalogSnapshot, case: Case
) -> None:
    """Apply the case's waiting callbacks in the platform's order, again while any of them moves it."""
    actor = await platform_principal(session)
    moved = True
    while moved:
        moved = False
        waiting = await session.scalars(
            select(CoordinationCallback)
            .where(CoordinationCallback.case_id == case.id, CoordinationCallback.applied_at.is_(None))
            .order_by(CoordinationCallback.occurred_at, CoordinationCallback.event_id)
        )
        for row in list(waiting):
            callback = msgspec.convert(row.payload, CallbackIn)
            context = workflow.Context(catalog=catalog, tz=settings.tz, at=utcnow())
            try:
                async with session.begin_nested():
                    await workflow.act(session, case, actor, _action(callback, case.version), context)
            except ApiError as refused:
                row.waiting_for = refused.code
                if refused.code not in NOT_YET:
                    log.warning("callback_refused_by_workflow", event_id=str(row.event_id), code=refused.code)
                continue
            row.applied_at = context.at
            row.waiting_for = None
            moved = True


def _action(callback: CallbackIn, version: int) -> ActionIn:
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
            return Handle(expected_version=version, public_message=callback.feedback)
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
