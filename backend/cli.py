"""`python -m backend COMMAND`: serve, worker, migrate, seed-demo, create-user, import-grids,
load-categories, load-departments, load-routing, outbox replay --dead, coordination-sim, vapid-keys,
recount-cases, create-api-key, list-api-keys, revoke-api-key."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from backend.notify.vapid import new_private_key, public_key_of
from backend.settings import Settings, load_settings

if TYPE_CHECKING:
    from backend.coordination.simulator import Simulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the API (and the PWA once built) on CITY_HOST:CITY_PORT")
    serve.add_argument(
        "--demo-platform",
        type=int,
        metavar="PORT",
        help="without CITY_COORDINATION_URL: run the stand-in platform on this port and deliver to it",
    )
    serve.add_argument(
        "--demo-platform-delay", type=float, default=20.0, metavar="SECONDS", help="between its steps"
    )
    commands.add_parser("worker", help="run the maintenance jobs until stopped (safe to run several)")
    commands.add_parser("migrate", help="bring the database schema up to date (Alembic)")
    commands.add_parser("vapid-keys", help="print a new Web Push (VAPID) key pair as settings")
    commands.add_parser("seed-demo", help="load demo categories, grids, users and requests (idempotent)")
    user = commands.add_parser("create-user", help="create or update a staff or inspector account")
    user.add_argument("--username", required=True)
    user.add_argument("--password", required=True)
    user.add_argument("--role", required=True, action="append", help="repeat for several roles")
    grids = commands.add_parser("import-grids", help="upsert unit grids from a GeoJSON FeatureCollection")
    grids.add_argument("file", type=Path)
    categories = commands.add_parser("load-categories", help="load a city's GB/T 30428.2 category file")
    categories.add_argument("file", type=Path)
    departments = commands.add_parser("load-departments", help="upsert departments from a JSON file")
    departments.add_argument("file", type=Path)
    routing = commands.add_parser("load-routing", help="replace the routing rules with a JSON file's")
    routing.add_argument("file", type=Path)
    outbox = commands.add_parser("outbox", help="the events owed to the coordination platform")
    outbox_commands = outbox.add_subparsers(dest="outbox_command", required=True)
    replay = outbox_commands.add_parser("replay", help="send events again, due now")
    replay.add_argument("--dead", action="store_true", required=True, help="every dead-lettered event")
    api_key = commands.add_parser("create-api-key", help="a new Open311 client key, printed once")
    api_key.add_argument("--name", required=True, help="the client's name, shown beside its cases")
    commands.add_parser("list-api-keys", help="the Open311 clients' keys (never the keys themselves)")
    revoke = commands.add_parser("revoke-api-key", help="refuse an Open311 client's key from now on")
    revoke.add_argument("key", help="the client's name or the key's id")
    commands.add_parser(
        "recount-cases", help="count the cases per status again (after cases were imported around the app)"
    )
    sim = commands.add_parser("coordination-sim", help="a stand-in for the platform's departments")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=9100)
    sim.add_argument("--secret", help="shared with CITY_COORDINATION_SECRET (default: that setting)")
    sim.add_argument("--callback-url", help="default: this API's /api/v1/coordination/callbacks")
    sim.add_argument("--delay", type=float, default=20.0, help="seconds between a case's steps")
    sim.add_argument("--refuse", type=float, default=0.0, help="share of our POSTs dropped unanswered")
    sim.add_argument("--fail", type=float, default=0.0, help="share of our POSTs answered 500")
    sim.add_argument("--slow", type=float, default=0.0, help="share of our POSTs answered late")
    sim.add_argument("--slow-seconds", type=float, default=15.0)
    sim.add_argument("--duplicate", type=float, default=0.0, help="share of callbacks sent twice")
    sim.add_argument("--out-of-order", type=float, default=0.0, help="share of cases answered out of order")
    sim.add_argument("--seed", type=int, help="the same faults in the same places, run after run")
    args = parser.parse_args(argv)

    if args.command == "vapid-keys":
        # Before load_settings: it would make a key in the data dir that nobody asked for.
        private = new_private_key()
        print(f"CITY_VAPID_PRIVATE_KEY={private}")
        print(f"CITY_VAPID_PUBLIC_KEY={public_key_of(private)}")
        return 0
    settings = load_settings()
    if args.command == "serve":
        return _serve(settings, args.demo_platform, args.demo_platform_delay)
    if args.command == "coordination-sim":
        return _coordination_sim(settings, args)
    if args.command == "worker":
        return asyncio.run(_worker(settings))
    if args.command == "migrate":
        from backend.migrations import upgrade

        upgrade(settings.resolved_database_url)
        print("database schema is up to date")
        return 0
    return asyncio.run(_ASYNC_COMMANDS[args.command](settings, args))


def _serve(settings: Settings, demo_platform: int | None, delay: float) -> int:
    import uvicorn

    from backend.app import create_app

    simulator = None
    if demo_platform is not None and not settings.coordination_url:
        simulator = _demo_platform(settings, demo_platform, delay)
        settings = msgspec.structs.replace(
            settings,
            coordination_url=f"{simulator.platform.public_url}/events",
            coordination_secret=simulator.platform.secret,
        )
    try:
        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            log_config=None,
            proxy_headers=False,
            server_header=False,
            # A connection idle between requests is closed after this; slow clients beyond that are the
            # reverse proxy's to cut off (docker/proxy), and a stalled body gets 408 from the app.
            timeout_keep_alive=5,
            # Staff live feeds never end by themselves: do not let them hold a restart for ever.
            timeout_graceful_shutdown=5,
        )
    finally:
        if simulator is not None:
            simulator.close()
    return 0


def _callbacks_url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.port}/api/v1/coordination/callbacks"


def _demo_platform(settings: Settings, port: int, delay: float) -> Simulator:
    """The stand-in platform inside the demo server's process (it ends with it)."""
    from backend.coordination.simulator import Faults, Simulator
    from backend.logs import configure_logging

    configure_logging(settings.log_level)  # as the app will: its lines look like the server's
    return Simulator(
        "127.0.0.1",
        port,
        secret=settings.coordination_secret or secrets.token_urlsafe(32),
        callback_url=_callbacks_url(settings),
        delay=delay,
        faults=Faults(),
    ).start()


def _coordination_sim(settings: Settings, args: Any) -> int:
    from backend.coordination.simulator import Faults, Simulator
    from backend.logs import configure_logging

    secret = args.secret or settings.coordination_secret
    if not secret:
        sys.exit("coordination-sim: give --secret or set CITY_COORDINATION_SECRET")
    configure_logging(settings.log_level)
    faults = Faults(
        refuse=args.refuse,
        fail=args.fail,
        slow=args.slow,
        slow_seconds=args.slow_seconds,
        duplicate=args.duplicate,
        out_of_order=args.out_of_order,
    )
    simulator = Simulator(
        args.host,
        args.port,
        secret=secret,
        callback_url=args.callback_url or _callbacks_url(settings),
        delay=args.delay,
        faults=faults,
        seed=args.seed,
    ).start()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        simulator.close()
    return 0


async def _worker(settings: Settings) -> int:
    from backend.db import create_engine, dispose, session_factory
    from backend.logs import configure_logging
    from backend.uploads.storage import make_store
    from backend.worker import run_forever

    configure_logging(settings.log_level)
    engine = create_engine(settings.resolved_database_url, settings.db_pool_size)
    try:
        await run_forever(settings, session_factory(engine), await make_store(settings))
    finally:
        await dispose(engine)
    return 0


async def _with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[int]]) -> int:
    import backend.models  # noqa: F401  (every table: a command's rows may refer to any of them)
    from backend.db import create_engine, dispose, session_factory

    engine = create_engine(settings.resolved_database_url, settings.db_pool_size)
    try:
        async with session_factory(engine)() as session:
            return await work(session)
    finally:
        await dispose(engine)


async def _create_user(settings: Settings, args: Any) -> int:
    from backend.accounts.service import create_staff_user

    async def work(session: AsyncSession) -> int:
        try:
            user = await create_staff_user(session, args.username, args.password, args.role)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"user {user.username} ({', '.join(user.roles)}) is ready")
        return 0

    return await _with_session(settings, work)


async def _load_file(
    settings: Settings, path: Path, load: Callable[[AsyncSession, bytes], Awaitable[str]]
) -> int:
    """Load a city's file in one transaction: all of it, or (on any error) nothing."""
    from backend.catalog.service import CatalogFileError

    async def work(session: AsyncSession) -> int:
        try:
            async with session.begin():
                summary = await load(session, path.read_bytes())
        except (CatalogFileError, OSError) as exc:
            print(f"error: {exc}; nothing was loaded", file=sys.stderr)
            return 2
        print(summary)
        return 0

    return await _with_session(settings, work)


async def _import_grids(settings: Settings, args: Any) -> int:
    from backend.catalog.service import import_grids

    async def load(session: AsyncSession, data: bytes) -> str:
        return f"{await import_grids(session, data)} grids imported"

    return await _load_file(settings, args.file, load)


async def _load_categories(settings: Settings, args: Any) -> int:
    from backend.catalog.service import load_categories

    async def load(session: AsyncSession, data: bytes) -> str:
        report = await load_categories(session, data)
        return f"{report.loaded} categories loaded, {report.retired} retired"

    return await _load_file(settings, args.file, load)


async def _load_departments(settings: Settings, args: Any) -> int:
    from backend.departments.service import load_departments

    async def load(session: AsyncSession, data: bytes) -> str:
        return f"{await load_departments(session, data)} departments loaded"

    return await _load_file(settings, args.file, load)


async def _load_routing(settings: Settings, args: Any) -> int:
    from backend.routing.service import load_rules

    async def load(session: AsyncSession, data: bytes) -> str:
        return f"{await load_rules(session, data)} routing rules loaded"

    return await _load_file(settings, args.file, load)


async def _outbox(settings: Settings, _args: Any) -> int:
    # Every table, so that the audit entry's foreign keys resolve.
    import backend.models  # noqa: F401
    from backend.coordination.service import replay

    async def work(session: AsyncSession) -> int:
        async with session.begin():
            replayed = await replay(session, settings, None, "cli", None)
        print(f"{replayed} dead events replayed")
        return 0

    return await _with_session(settings, work)


async def _seed_demo(settings: Settings, _args: Any) -> int:
    from backend.demo import seed_demo

    return await _with_session(settings, lambda session: seed_demo(session, settings))


async def _create_api_key(settings: Settings, args: Any) -> int:
    from backend.errors import ApiError
    from backend.open311 import keys

    async def work(session: AsyncSession) -> int:
        try:
            row, key = await keys.create_key(session, settings, args.name, None, "cli")
        except ApiError as refused:
            print(f"error: {refused.code}", file=sys.stderr)
            return 2
        # The key goes to stdout alone, so that a script can take it; the words go to stderr.
        print(f"api key for {row.name} (id {row.id}); it is shown only now:", file=sys.stderr)
        print(key)
        return 0

    return await _with_session(settings, work)


async def _list_api_keys(settings: Settings, _args: Any) -> int:
    from backend.open311 import keys

    async def work(session: AsyncSession) -> int:
        for row in await keys.list_keys(session):
            state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "active"
            used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never"
            print(f"{row.id}  {row.prefix}…  {state:<24}  last used {used:<16}  {row.name}")
        return 0

    return await _with_session(settings, work)


async def _revoke_api_key(settings: Settings, args: Any) -> int:
    from backend.open311 import keys

    async def work(session: AsyncSession) -> int:
        row = await keys.find_key(session, args.key)
        if row is None:
            print(f"error: no key named or numbered {args.key}", file=sys.stderr)
            return 2
        row = await keys.revoke_key(session, settings, row.id, None, "cli")
        print(f"api key for {row.name} is revoked")
        return 0

    return await _with_session(settings, work)


async def _recount_cases(settings: Settings, _args: Any) -> int:
    from backend.cases import tally

    async def work(session: AsyncSession) -> int:
        async with session.begin():
            await tally.recount(session)
            total = await tally.total(session)
        print(f"counted {total} cases")
        return 0

    return await _with_session(settings, work)


_ASYNC_COMMANDS: dict[str, Callable[[Settings, Any], Awaitable[int]]] = {
    "create-api-key": _create_api_key,
    "list-api-keys": _list_api_keys,
    "revoke-api-key": _revoke_api_key,
    "create-user": _create_user,
    "import-grids": _import_grids,
    "load-categories": _load_categories,
    "load-departments": _load_departments,
    "load-routing": _load_routing,
    "outbox": _outbox,
    "recount-cases": _recount_cases,
    "seed-demo": _seed_demo,
}
