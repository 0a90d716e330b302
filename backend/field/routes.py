"""/api/v1/field/: the inspector's day (inspector role); /api/v1/staff/: the desk's side of it."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody, MultipartBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.tokens import Principal
from backend.catalog.dependencies import CATALOG_DEPENDENCIES
from backend.catalog.lookup import CatalogSnapshot
from backend.deps import client_address
from backend.edge.caching import NO_STORE
from backend.errors import ApiError
from backend.field import reports, roll_calls, shifts, staff, tasks, voice
from backend.field.schemas import (
    CoverageOut,
    FieldReportIn,
    FieldReportList,
    FieldReportOut,
    GridAssignmentIn,
    GridList,
    GridNames,
    InspectorList,
    PointBatchIn,
    PointBatchOut,
    PositionIn,
    RollCallAnswerIn,
    RollCallIn,
    RollCallList,
    RollCallOut,
    ShiftList,
    ShiftOut,
    TaskAssignIn,
    TaskList,
    TaskOut,
    TaskResultIn,
    TrackOut,
    VoiceNoteOut,
)
from backend.settings import Settings
from backend.uploads.storage import ObjectStore

Limit = Annotated[int, QueryParameter(ge=1, le=200)]
POINT_BATCH_BYTES = 256 * 1024


class FieldController(Controller):
    path = "/api/v1/field"
    tags = ["field"]
    cache_control = NO_STORE
    dependencies = CATALOG_DEPENDENCIES

    @get("/grids", summary="My responsible grids (责任网格), with their outlines")
    async def grids(
        self, principal: NamedDependency[Principal], db_session: NamedDependency[AsyncSession]
    ) -> GridList:
        return await shifts.my_grids(db_session, principal)

    @post(
        "/shifts",
        status_code=201,
        summary="Clock in (上班打卡); an open shift is answered as it is (200)",
        responses={200: ResponseSpec(ShiftOut, description="Already on shift")},
    )
    async def clock_in(
        self,
        data: JSONBody[PositionIn],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[ShiftOut]:
        shift, created = await shifts.start(db_session, principal, data.location)
        return Response(shift, status_code=201 if created else 200)

    @post(
        "/shifts/{shift_id:uuid}/end", status_code=200, summary="Clock out (下班打卡); again answers the same"
    )
    async def clock_out(
        self,
        shift_id: FromPath[uuid.UUID],
        data: JSONBody[PositionIn],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
    ) -> ShiftOut:
        return await shifts.end(db_session, principal, shift_id, data.location)

    @get("/shifts", summary="My shifts, the open one first")
    async def my_shifts(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        limit: Limit = 20,
    ) -> ShiftList:
        return await shifts.mine(db_session, principal, limit)

    @post(
        "/shifts/{shift_id:uuid}/points",
        status_code=200,
        summary="A batch of track points (at most 1,000), stored once per batch id",
        # A full batch is about 100 KB of JSON, beyond the limit on other bodies.
        request_max_body_size=POINT_BATCH_BYTES,
    )
    async def points(
        self,
        shift_id: FromPath[uuid.UUID],
        data: JSONBody[PointBatchIn],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
    ) -> PointBatchOut:
        return await shifts.store_points(db_session, principal, shift_id, data)

    @post(
        "/reports",
        status_code=201,
        summary="File a report (问题上报) or a self-handled one (自处置); once per client_id",
        responses={200: ResponseSpec(FieldReportOut, description="A retry of a report already filed")},
    )
    async def file_report(
        self,
        data: JSONBody[FieldReportIn],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        catalog: NamedDependency[CatalogSnapshot],
        locale: NamedDependency[str],
    ) -> Response[FieldReportOut]:
        out, created = await reports.file_report(db_session, settings, catalog, principal, data, locale)
        return Response(out, status_code=201 if created else 200)

    @get("/reports", summary="My reports, newest first, with their status and position check")
    async def my_reports(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        catalog: NamedDependency[CatalogSnapshot],
        locale: NamedDependency[str],
        limit: Limit = 50,
    ) -> FieldReportList:
        return await reports.my_reports(db_session, catalog, principal, limit, locale)

    @get("/tasks", summary="My tasks (个人任务) with their cases: open ones by due time, or done ones")
    async def my_tasks(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        catalog: NamedDependency[CatalogSnapshot],
        locale: NamedDependency[str],
        wanted: Annotated[Literal["open", "done"], QueryParameter(name="state")] = "open",
    ) -> TaskList:
        return await tasks.my_tasks(db_session, catalog, principal, wanted, locale)

    @post("/tasks/{task_id:uuid}/result", status_code=200, summary="A task's result; once per client_id")
    async def task_result(
        self,
        task_id: FromPath[uuid.UUID],
        data: JSONBody[TaskResultIn],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        catalog: NamedDependency[CatalogSnapshot],
        locale: NamedDependency[str],
    ) -> TaskOut:
        return await tasks.result(db_session, settings, catalog, principal, task_id, data, locale)

    @get("/roll-calls", summary="Roll calls (点名抽查) put to me")
    async def my_roll_calls(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        wanted: Annotated[Literal["open", "answered", "all"], QueryParameter(name="state")] = "open",
    ) -> RollCallList:
        return await roll_calls.mine(db_session, principal, wanted)

    @post("/roll-calls/{call_id:uuid}/answer", status_code=200, summary="Answer with my position now")
    async def answer_roll_call(
        self,
        call_id: FromPath[uuid.UUID],
        data: JSONBody[RollCallAnswerIn],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
    ) -> RollCallOut:
        return await roll_calls.answer(db_session, principal, call_id, data)


class StaffFieldController(Controller):
    path = "/api/v1/staff"
    tags = ["staff"]
    cache_control = NO_STORE
    dependencies = CATALOG_DEPENDENCIES

    @get("/inspectors", summary="Inspectors: on shift or not, last position and its age, grids, open tasks")
    async def inspectors(
        self, principal: NamedDependency[Principal], db_session: NamedDependency[AsyncSession]
    ) -> InspectorList:
        return await staff.inspectors(db_session, principal)

    @put(
        "/inspectors/{inspector_id:uuid}/grids", summary="Replace an inspector's responsible grids (audited)"
    )
    async def grids(
        self,
        request: Request[Any, Any, Any],
        inspector_id: FromPath[uuid.UUID],
        data: JSONBody[GridAssignmentIn],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        catalog: NamedDependency[CatalogSnapshot],
    ) -> GridAssignmentIn:
        address = client_address(request, settings)
        codes = await staff.assign_grids(
            db_session, settings, catalog, principal, inspector_id, data, address
        )
        return GridAssignmentIn(grid_codes=codes)

    @post(
        "/cases/{case_id:uuid}/tasks",
        status_code=201,
        summary="Send a case to an inspector to verify or check",
    )
    async def assign_task(
        self,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[TaskAssignIn],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        catalog: NamedDependency[CatalogSnapshot],
        locale: NamedDependency[str],
    ) -> TaskOut:
        return await tasks.assign(db_session, settings, catalog, principal, case_id, data, locale)

    @get("/tasks", summary="Inspectors' tasks: open, overdue, done or all; of one case if asked")
    async def every_task(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        catalog: NamedDependency[CatalogSnapshot],
        locale: NamedDependency[str],
        wanted: Annotated[Literal["open", "overdue", "done", "all"], QueryParameter(name="state")] = "open",
        case_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        limit: Limit = 100,
    ) -> TaskList:
        return await tasks.all_tasks(db_session, catalog, principal, wanted, case_id, limit, locale)

    @get("/grids", summary="Every unit grid (code and name): what grid assignment chooses from")
    async def every_grid(
        self, principal: NamedDependency[Principal], catalog: NamedDependency[CatalogSnapshot]
    ) -> GridNames:
        return staff.grid_names(principal, catalog)

    @post("/roll-calls", status_code=201, summary="Ask an inspector on shift where they are (点名)")
    async def roll_call(
        self,
        data: JSONBody[RollCallIn],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
    ) -> RollCallOut:
        return await roll_calls.call(db_session, principal, data.inspector_id)

    @get("/roll-calls", summary="Roll calls, newest first: open ones are unanswered")
    async def roll_calls(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        wanted: Annotated[Literal["open", "answered", "all"], QueryParameter(name="state")] = "all",
        limit: Limit = 100,
    ) -> RollCallList:
        return await roll_calls.every(db_session, principal, wanted, limit)

    @get("/shifts/{shift_id:uuid}/track", summary="A shift's track for the map: split at gaps, simplified")
    async def track(
        self,
        shift_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
    ) -> TrackOut:
        return await staff.track(db_session, settings, principal, shift_id)

    @get("/coverage", summary="Patrol coverage per grid for a day (city time)")
    async def coverage(
        self,
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        catalog: NamedDependency[CatalogSnapshot],
        day: Annotated[date, QueryParameter()],
    ) -> CoverageOut:
        return await staff.coverage(db_session, settings, catalog, principal, day)


class VoiceNoteController(Controller):
    """Voice notes: multipart uploads (the app gives them a larger body limit), played to staff only."""

    path = "/api/v1"
    tags = ["field"]
    cache_control = NO_STORE

    @post(
        "/field/voice-notes",
        status_code=201,
        summary="Upload a voice note (录音, at most 120 s) for a report",
    )
    async def upload(
        self,
        data: MultipartBody[dict[str, Any]],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        store: NamedDependency[ObjectStore],
        settings: NamedDependency[Settings],
    ) -> VoiceNoteOut:
        upload = data.get("file")
        if not isinstance(upload, UploadFile):
            raise ApiError(422, "file_required")
        content = await upload.read()
        await upload.close()
        return await voice.accept(db_session, store, settings, principal, content)

    @get(
        "/staff/voice-notes/{note_id:uuid}",
        summary="Play a voice note (staff; each listening is audited)",
        # WebM, Ogg, MP4 or MP3: the answer names which.
        media_type="audio/*",
    )
    async def play(
        self,
        request: Request[Any, Any, Any],
        note_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        db_session: NamedDependency[AsyncSession],
        store: NamedDependency[ObjectStore],
        settings: NamedDependency[Settings],
    ) -> Response[bytes]:
        data, mime_type = await voice.play(
            db_session, store, settings, principal, note_id, client_address(request, settings)
        )
        return Response(data, media_type=mime_type, headers={"Cache-Control": "private, no-store"})
