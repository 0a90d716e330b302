"""create_app(settings) -> Litestar: routes, dependencies, lifespan, error handlers."""

from __future__ import annotations

import asyncio
import gc
import os

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin

from backend.accounts.auth import authentication
from backend.accounts.routes import AuthController
from backend.accounts.sms import make_sms_sender
from backend.audit.routes import AuditController
from backend.cases.routes import RequestController
from backend.cases.staff_routes import StaffCaseController
from backend.catalog.lookup import CatalogCache
from backend.catalog.routes import CatalogController
from backend.coordination.routes import CoordinationController, OutboxAdminController
from backend.db import create_engine, dispose, session_factory
from backend.departments.routes import DepartmentAdminController, DepartmentController
from backend.deps import DEPENDENCIES
from backend.edge.asgi import CityApp
from backend.edge.compression import COMPRESSION
from backend.edge.request import CityRequest, refuse_control_characters
from backend.errors import EXCEPTION_HANDLERS
from backend.field.routes import FieldController, StaffFieldController, VoiceNoteController
from backend.health import health
from backend.logs import configure_logging
from backend.notify.feed import FeedHub
from backend.notify.routes import NotificationController, PushController, staff_stream
from backend.open311.routes import ApiKeyAdminController, Open311Controller
from backend.pwa import ConfigController, app_shell, robots
from backend.replies.routes import ReplyTemplateAdminController
from backend.routing.routes import RoutingAdminController
from backend.settings import Settings, load_settings
from backend.stats.routes import StatsController
from backend.uploads.routes import PhotoController, UploadController
from backend.uploads.storage import make_store
from backend.worker import run_forever

# Multipart framing around the file itself.
_FORM_OVERHEAD = 64 * 1024


async def open_resources(app: Litestar) -> None:
    settings: Settings = app.state.settings
    engine = create_engine(settings.resolved_database_url, settings.db_pool_size)
    app.state.engine = engine
    app.state.sessionmaker = session_factory(engine)
    app.state.store = await make_store(settings)
    app.state.sms = make_sms_sender(settings)
    app.state.catalog = CatalogCache(settings.catalog_ttl_seconds)
    app.state.feed = FeedHub(engine)
    # Each slot holds one decoded photo: bounded memory under a burst of uploads.
    app.state.image_slots = asyncio.Semaphore(max(2, os.cpu_count() or 2))
    app.state.worker = (
        asyncio.create_task(run_forever(settings, app.state.sessionmaker, app.state.store))
        if settings.worker == "inline"
        else None
    )
    # What exists once started (modules, the app, its routes) lives as long as the process: kept out of
    # the collector's full passes, which otherwise stalled answers by tens of ms (bench/track_ingest.py).
    gc.freeze()


async def close_resources(app: Litestar) -> None:
    await app.state.feed.close()
    if app.state.worker is not None:
        app.state.worker.cancel()
        await asyncio.gather(app.state.worker, return_exceptions=True)
    await dispose(app.state.engine)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings()
    configure_logging(settings.log_level)

    return CityApp(
        route_handlers=[
            robots,
            app_shell,
            health,
            ConfigController,
            AuthController,
            CatalogController,
            RequestController,
            # Only photo and voice uploads may send large bodies; every JSON route keeps the small limit.
            Router(
                path="/",
                route_handlers=[UploadController],
                request_max_body_size=settings.max_upload_bytes + _FORM_OVERHEAD,
            ),
            # Open311 clients may send a photo in the form (multipart `media`).
            Router(
                path="/",
                route_handlers=[Open311Controller],
                request_max_body_size=settings.max_upload_bytes + _FORM_OVERHEAD,
            ),
            Router(
                path="/",
                route_handlers=[VoiceNoteController],
                request_max_body_size=settings.voice_max_kb * 1024 + _FORM_OVERHEAD,
            ),
            PhotoController,
            StaffCaseController,
            FieldController,
            StaffFieldController,
            staff_stream,
            PushController,
            NotificationController,
            DepartmentController,
            DepartmentAdminController,
            RoutingAdminController,
            ReplyTemplateAdminController,
            CoordinationController,
            OutboxAdminController,
            ApiKeyAdminController,
            StatsController,
            AuditController,
        ],
        dependencies=DEPENDENCIES,
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        middleware=[authentication],
        before_request=refuse_control_characters,
        request_class=CityRequest,
        compression_config=COMPRESSION,
        on_startup=[open_resources],
        on_shutdown=[close_resources],
        state=State({"settings": settings}),
        request_max_body_size=settings.max_json_bytes,
        openapi_config=OpenAPIConfig(
            title="City Service API",
            version="1",
            description="Citizen requests, staff triage and the case workflow of a city service platform.",
            path="/schema",
            render_plugins=[SwaggerRenderPlugin(path="/"), JsonRenderPlugin()],
        ),
        logging_config=None,
    )
