"""问题上报: an inspector's report enters the same triage queue as a citizen's (source `inspector`),
once per client id; a self-handled one (自处置) goes straight to handled, for the desk to confirm."""

from __future__ import annotations

import hashlib
import uuid

import msgspec
import structlog
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.guards import require_role
from backend.accounts.tokens import Principal
from backend.cases import workflow
from backend.cases.models import Case, TimelineEntry
from backend.cases.schemas import LocationOut
from backend.cases.staff_schemas import SelfHandle
from backend.catalog.geo import to_wgs84
from backend.catalog.lookup import CatalogSnapshot
from backend.catalog.service import category_name
from backend.db import utcnow
from backend.errors import ApiError
from backend.field import plausibility
from backend.field.models import PositionCheck, VoiceNote
from backend.field.schemas import FieldReportIn, FieldReportList, FieldReportOut
from backend.i18n import translate
from backend.settings import Settings
from backend.uploads.models import Photo
from backend.uploads.service import thumb_url

log = structlog.get_logger(__name__)
# An inspector reports a problem (部件 or 事件); the citizen's request types do not apply to it.
FIELD_REQUEST_TYPE = "complaint"


async def file_report(
    session: AsyncSession,
    settings: Settings,
    catalog: CatalogSnapshot,
    principal: Principal,
    body: FieldReportIn,
    locale: str,
) -> tuple[FieldReportOut, bool]:
    """The report, and True when it was stored now (False: a retry of one already stored)."""
    require_role(principal, "inspector")
    digest = hashlib.sha256(msgspec.json.encode(body)).hexdigest()
    try:
        async with session.begin():
            case_id = await _create(session, settings, catalog, principal, body, digest)
    except IntegrityError:
        async with session.begin():
            existing = await session.scalar(select(Case).where(Case.client_id == body.client_id))
            if existing is None:
                raise
            if existing.reporter_id != principal.user_id:
                raise ApiError(409, "client_id_conflict") from None
            if existing.client_digest != digest:
                raise ApiError(422, "idempotency_key_conflict") from None
            return (await _outs(session, catalog, [existing], locale))[0], False
    async with session.begin():
        case = await session.get(Case, case_id)
        assert case is not None
        out = (await _outs(session, catalog, [case], locale))[0]
    log.info("field_report_filed", case_id=out.id, tracking_no=out.tracking_no, self_handled=out.self_handled)
    return out, True


async def _create(
    session: AsyncSession,
    settings: Settings,
    catalog: CatalogSnapshot,
    principal: Principal,
    body: FieldReportIn,
    digest: str,
) -> uuid.UUID:
    category = workflow.minor_category(catalog, body.category_code)
    lat, lng = to_wgs84(body.location.lat, body.location.lng, body.location.crs)
    grid = catalog.grid_at(lat, lng)
    if grid is None:
        raise ApiError(422, "outside_service_area")
    photo_ids = list(dict.fromkeys(body.photo_ids))
    after_ids = [i for i in dict.fromkeys(body.after_photo_ids) if i not in photo_ids]
    now = utcnow()
    case = Case(
        id=uuid.uuid4(),
        client_id=body.client_id,
        client_digest=digest,
        source="inspector",
        request_type=FIELD_REQUEST_TYPE,
        category_code=category.code,
        description=body.description,
        lat=lat,
        lng=lng,
        accuracy_m=body.location.accuracy_m,
        address=body.address or None,
        grid_code=grid.code,
        reporter_id=principal.user_id,
        created_at=now,
    )
    context = workflow.Context(catalog=catalog, tz=settings.tz, at=now)
    # Stored first, with its photos: a retry's duplicate client_id fails here, before anything else.
    await workflow.submit(session, case, principal, photo_ids, context)
    if body.voice_note_id is not None:
        await _attach_voice_note(session, principal, case.id, body.voice_note_id)
    if body.self_handled:
        stored = await session.get(Case, case.id, with_for_update=True)
        assert stored is not None
        await workflow.act(
            session,
            stored,
            principal,
            SelfHandle(expected_version=stored.version, photo_ids=after_ids),
            context,
        )
    device = (
        to_wgs84(body.device_location.lat, body.device_location.lng, body.device_location.crs)
        if body.device_location
        else None
    )
    await plausibility.check(
        session,
        settings,
        case_id=case.id,
        case_point=(lat, lng),
        inspector_id=principal.user_id,
        photo_ids=photo_ids + after_ids,
        device_point=device,
        at=now,
        recorded_at=body.recorded_at,
    )
    return case.id


async def _attach_voice_note(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, note_id: uuid.UUID
) -> None:
    attached = await session.execute(
        update(VoiceNote)
        .where(VoiceNote.id == note_id, VoiceNote.owner_id == principal.user_id, VoiceNote.case_id.is_(None))
        .values(case_id=case_id)
    )
    if attached.rowcount != 1:
        raise ApiError(422, "voice_note_not_found", id=str(note_id))


async def my_reports(
    session: AsyncSession, catalog: CatalogSnapshot, principal: Principal, limit: int, locale: str
) -> FieldReportList:
    require_role(principal, "inspector")
    async with session.begin():
        cases = list(
            await session.scalars(
                select(Case)
                .where(Case.reporter_id == principal.user_id, Case.source == "inspector")
                .order_by(Case.created_at.desc())
                .limit(limit)
            )
        )
        return FieldReportList(await _outs(session, catalog, cases, locale))


async def _outs(
    session: AsyncSession, catalog: CatalogSnapshot, cases: list[Case], locale: str
) -> list[FieldReportOut]:
    """One query each for the cases' first photos, self-handled steps and position checks."""
    ids = [c.id for c in cases]
    if not ids:
        return []
    first_photo: dict[uuid.UUID, uuid.UUID] = {}
    for case_id, photo_id in await session.execute(
        select(Photo.case_id, Photo.id).where(Photo.case_id.in_(ids)).order_by(Photo.position)
    ):
        first_photo.setdefault(case_id, photo_id)
    self_handled = set(
        await session.scalars(
            select(TimelineEntry.case_id).where(
                TimelineEntry.case_id.in_(ids), TimelineEntry.action == "self_handle"
            )
        )
    )
    checks = {
        c.case_id: c
        for c in await session.scalars(
            select(PositionCheck)
            .where(PositionCheck.case_id.in_(ids), PositionCheck.task_id.is_(None))
            .order_by(PositionCheck.created_at)
        )
    }
    outs = []
    for case in cases:
        category = catalog.categories.get(case.category_code or "")
        check = checks.get(case.id)
        photo = first_photo.get(case.id)
        outs.append(
            FieldReportOut(
                id=str(case.id),
                tracking_no=case.tracking_no,
                status=case.status,
                status_name=translate(f"status.{case.status}", locale),
                category_code=case.category_code,
                category_name=category_name(category, locale) if category else None,
                description=case.description,
                address=case.address,
                location=LocationOut(lat=case.lat, lng=case.lng, accuracy_m=case.accuracy_m),
                created_at=case.created_at,
                self_handled=case.id in self_handled,
                thumb_url=thumb_url(photo) if photo else None,
                position_check=plausibility.check_out(check) if check else None,
            )
        )
    return outs
