"""Departments: list, save (admin), and load a city's file."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.guards import require_role
from backend.accounts.tokens import Principal
from backend.audit import service as audit
from backend.catalog.service import CatalogFileError, category_name
from backend.db import utcnow
from backend.departments.models import Department
from backend.departments.schemas import (
    CODE_PATTERN,
    DepartmentFile,
    DepartmentIn,
    DepartmentList,
    DepartmentOut,
)
from backend.errors import ApiError, FieldError
from backend.settings import Settings

DEMO_DEPARTMENT_FILE = Path(__file__).resolve().parent / "data" / "demo-departments.json"


def department_out(department: Department, locale: str) -> DepartmentOut:
    return DepartmentOut(
        code=department.code,
        name=category_name(department, locale),
        name_zh=department.name_zh,
        name_en=department.name_en,
        phone=department.phone,
        active=department.active,
    )


async def list_departments(session: AsyncSession, locale: str, *, include_retired: bool) -> DepartmentList:
    query = select(Department).order_by(Department.code)
    if not include_retired:
        query = query.where(Department.active.is_(True))
    async with session.begin():
        return DepartmentList(items=[department_out(d, locale) for d in await session.scalars(query)])


async def save_department(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    code: str,
    body: DepartmentIn,
    address: str,
    locale: str,
) -> tuple[DepartmentOut, bool]:
    """Create or replace one department (audited); returns whether it was created."""
    require_role(principal, "admin")
    if not re.fullmatch(CODE_PATTERN, code):
        raise ApiError(422, "validation_error", fields=[FieldError("code", f"must match {CODE_PATTERN}")])
    async with session.begin():
        department = await session.get(Department, code, with_for_update=True)
        created = department is None
        department = _apply(department or Department(code=code), body)
        session.add(department)
        audit.record(
            session,
            settings,
            principal.user_id,
            "department.created" if created else "department.saved",
            address,
            subject=code,
            details={"name_zh": department.name_zh, "active": department.active},
        )
        await session.flush()
        return department_out(department, locale), created


def _apply(department: Department, body: DepartmentIn) -> Department:
    department.name_zh = body.name_zh.strip()
    department.name_en = body.name_en.strip()
    department.phone = body.phone.strip() if body.phone else None
    department.active = body.active
    department.updated_at = utcnow()
    return department


async def load_departments(session: AsyncSession, data: bytes) -> int:
    """Upsert every department of a JSON file (a list of {code, name_zh, name_en, phone?, active?})."""
    try:
        rows = msgspec.json.decode(data, type=list[DepartmentFile])
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise CatalogFileError(f"department file: {exc}") from None
    for row in rows:
        department = await session.get(Department, row.code) or Department(code=row.code)
        session.add(_apply(department, row))
    return len(rows)
