"""Demo data so that a newcomer can click through at once. Every step is an upsert: run it twice,
get the same data once."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.models import User
from backend.accounts.service import create_staff_user
from backend.accounts.tokens import Principal
from backend.cases.schemas import LocationIn, RequestCreate
from backend.cases.service import submit_request
from backend.catalog.lookup import load_snapshot
from backend.catalog.service import DEFAULT_CATEGORY_FILE, DEMO_GRID_FILE, import_grids, load_categories
from backend.departments.service import DEMO_DEPARTMENT_FILE, load_departments
from backend.replies.service import load_demo_templates
from backend.routing.service import DEMO_ROUTING_FILE, load_rules
from backend.settings import REPO_ROOT, Settings
from backend.uploads.service import accept_upload
from backend.uploads.storage import make_store

# The README lists these accounts; they exist for demonstration only.
DEMO_USERS: tuple[tuple[str, str, list[str]], ...] = (
    ("inspector", "inspector-demo", ["inspector"]),
    ("dispatcher", "dispatcher-demo", ["dispatcher"]),
    ("supervisor", "supervisor-demo", ["supervisor", "dispatcher"]),
    ("admin", "admin-demo", ["admin"]),
)
DEMO_CITIZEN_PHONE = "13800000000"
SAMPLES = REPO_ROOT / "media" / "samples"
# Fixed ids make the demo requests idempotent across runs.
DEMO_REQUESTS = (
    (
        "8f1c1a52-3a55-4d7e-9a3e-5d1b6a0c0001",
        "complaint",
        "C0102",
        "manhole.jpg",
        "人行道上的污水井盖松动，踩上去会翻动，很危险。",
        30.2745,
        120.1548,
        "示范路 12 号门前",
    ),
    (
        "8f1c1a52-3a55-4d7e-9a3e-5d1b6a0c0002",
        "complaint",
        "E0101",
        "dumping.jpg",
        "绿化带旁边有人倾倒建筑垃圾，已经堆了好几天。",
        30.2730,
        120.1570,
        "湖滨路与示范路交叉口东北角",
    ),
    (
        "8f1c1a52-3a55-4d7e-9a3e-5d1b6a0c0003",
        "inquiry",
        None,
        None,
        "请问小区门口的共享单车停放点归哪个部门管理？晚上经常堆满，想了解投诉渠道。",
        30.2738,
        120.1556,
        None,
    ),
)


async def seed_demo(session: AsyncSession, settings: Settings) -> int:
    async with session.begin():
        report = await load_categories(session, DEFAULT_CATEGORY_FILE.read_bytes())
        grids = await import_grids(session, DEMO_GRID_FILE.read_bytes())
        departments = await load_departments(session, DEMO_DEPARTMENT_FILE.read_bytes())
        rules = await load_rules(session, DEMO_ROUTING_FILE.read_bytes())
        templates = await load_demo_templates(session)
    for username, password, roles in DEMO_USERS:
        await create_staff_user(session, username, password, roles)
    requests = await _demo_requests(session, settings)
    print(
        f"demo data ready: {report.loaded} categories, {grids} grids, {departments} departments, "
        f"{rules} routing rules, {templates} reply templates, {len(DEMO_USERS)} staff users, "
        f"{requests} citizen requests"
    )
    return 0


async def _demo_citizen(session: AsyncSession) -> User:
    async with session.begin():
        citizen = await session.scalar(select(User).where(User.phone == DEMO_CITIZEN_PHONE))
        if citizen is None:
            citizen = User(
                kind="citizen", roles=["citizen"], phone=DEMO_CITIZEN_PHONE, display_name="演示市民"
            )
            session.add(citizen)
    return citizen


async def _demo_requests(session: AsyncSession, settings: Settings) -> int:
    # Plain values from here on: a replay's rollback expires every ORM object in the session.
    citizen_id = (await _demo_citizen(session)).id
    principal = Principal(user_id=citizen_id, kind="citizen", roles=("citizen",))
    store = await make_store(settings)
    slots = asyncio.Semaphore(1)
    async with session.begin():
        catalog = await load_snapshot(session)
    for client_id, kind, category, sample, description, lat, lng, address in DEMO_REQUESTS:
        photo_ids = []
        if sample is not None:
            photo = await accept_upload(
                session,
                store,
                settings,
                slots,
                citizen_id,
                "seed-demo",
                (SAMPLES / sample).read_bytes(),
                f"demo-{client_id}",
            )
            photo_ids.append(photo.photo.id)
        body = RequestCreate(
            client_id=uuid.UUID(client_id),
            type=kind,
            category_code=category,  # type: ignore[arg-type]
            description=description,
            location=LocationIn(lat=lat, lng=lng, accuracy_m=8.0),
            address=address,
            photo_ids=photo_ids,
        )
        await submit_request(session, settings, catalog, principal, body, "zh-CN")
    return len(DEMO_REQUESTS)
