"""Routing rules: the department a case should go to, the admin's table, and a city's file."""

from __future__ import annotations

import uuid
from pathlib import Path

import msgspec
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.guards import require_role
from backend.accounts.tokens import Principal
from backend.audit import service as audit
from backend.catalog.models import Category
from backend.catalog.service import CatalogFileError, category_name
from backend.db import utcnow
from backend.departments.models import Department
from backend.errors import ApiError
from backend.routing.models import RoutingRule
from backend.routing.schemas import RoutingFile, RoutingRuleIn, RoutingRuleList, RoutingRuleOut
from backend.settings import Settings

DEMO_ROUTING_FILE = Path(__file__).resolve().parent / "data" / "demo-routing.json"


async def route(
    session: AsyncSession, category_code: str | None, parent_code: str | None, grid_code: str
) -> Department | None:
    """The active department the table names for a case: the rule for its minor class beats the one
    for its major class, and of those the longest grid prefix that the case's grid starts with wins."""
    if category_code is None:
        return None
    codes = [category_code] + ([parent_code] if parent_code else [])
    rows = (
        await session.execute(
            select(RoutingRule.category_code, RoutingRule.grid_prefix, Department)
            .join(Department, Department.code == RoutingRule.department_code)
            .where(RoutingRule.category_code.in_(codes), Department.active.is_(True))
        )
    ).all()
    fitting = [row for row in rows if grid_code.startswith(row.grid_prefix)]
    best = max(
        fitting,
        key=lambda row: (row.category_code == category_code, len(row.grid_prefix)),
        default=None,
    )
    return best.Department if best else None


async def list_rules(session: AsyncSession, principal: Principal, locale: str) -> RoutingRuleList:
    require_role(principal, "admin")
    async with session.begin():
        rows = (
            await session.execute(
                select(RoutingRule, Category, Department)
                .join(Category, Category.code == RoutingRule.category_code)
                .join(Department, Department.code == RoutingRule.department_code)
                .order_by(RoutingRule.category_code, RoutingRule.grid_prefix)
            )
        ).all()
    return RoutingRuleList(
        items=[_out(rule, category, department, locale) for rule, category, department in rows]
    )


def _out(rule: RoutingRule, category: Category, department: Department, locale: str) -> RoutingRuleOut:
    return RoutingRuleOut(
        id=str(rule.id),
        category_code=rule.category_code,
        category_name=category_name(category, locale),
        grid_prefix=rule.grid_prefix or None,
        department_code=rule.department_code,
        department_name=category_name(department, locale),
    )


async def save_rule(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    body: RoutingRuleIn,
    address: str,
    locale: str,
) -> tuple[RoutingRuleOut, bool]:
    """Add a rule, or replace the one for the same category and grid prefix (audited)."""
    require_role(principal, "admin")
    async with session.begin():
        category, department = await _checked(session, body)
        grid_prefix = body.grid_prefix or ""
        rule = await session.scalar(
            select(RoutingRule)
            .where(RoutingRule.category_code == category.code, RoutingRule.grid_prefix == grid_prefix)
            .with_for_update()
        )
        created = rule is None
        rule = rule or RoutingRule(id=uuid.uuid4(), category_code=category.code, grid_prefix=grid_prefix)
        rule.department_code = department.code
        rule.updated_at = utcnow()
        session.add(rule)
        audit.record(
            session,
            settings,
            principal.user_id,
            "routing_rule.saved",
            address,
            subject=str(rule.id),
            details={
                "category_code": category.code,
                "grid_prefix": grid_prefix,
                "department": department.code,
            },
        )
        await session.flush()
        return _out(rule, category, department, locale), created


async def _checked(session: AsyncSession, body: RoutingRuleIn) -> tuple[Category, Department]:
    category = await session.get(Category, body.category_code)
    if category is None or not category.active:
        raise ApiError(422, "unknown_category", code=body.category_code)
    department = await session.get(Department, body.department_code)
    if department is None or not department.active:
        raise ApiError(422, "unknown_department", code=body.department_code)
    return category, department


async def delete_rule(
    session: AsyncSession, settings: Settings, principal: Principal, rule_id: uuid.UUID, address: str
) -> None:
    require_role(principal, "admin")
    async with session.begin():
        rule = await session.get(RoutingRule, rule_id, with_for_update=True)
        if rule is None:
            raise ApiError(404, "not_found")
        audit.record(
            session,
            settings,
            principal.user_id,
            "routing_rule.deleted",
            address,
            subject=str(rule.id),
            details={"category_code": rule.category_code, "grid_prefix": rule.grid_prefix},
        )
        await session.delete(rule)


async def load_rules(session: AsyncSession, data: bytes) -> int:
    """Replace the whole table with a city's file; a rule naming an unknown category or department
    refuses the file, and nothing is written."""
    try:
        rules = msgspec.json.decode(data, type=RoutingFile).rules
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise CatalogFileError(f"routing file: {exc}") from None
    keys = [(rule.category_code, rule.grid_prefix or "") for rule in rules]
    if len(set(keys)) != len(keys):
        raise CatalogFileError("routing file: two rules for the same category and grid prefix")
    categories = set(await session.scalars(select(Category.code)))
    departments = set(await session.scalars(select(Department.code)))
    for rule in rules:
        if rule.category_code not in categories:
            raise CatalogFileError(f"routing file: unknown category {rule.category_code}")
        if rule.department_code not in departments:
            raise CatalogFileError(f"routing file: unknown department {rule.department_code}")
    await session.execute(delete(RoutingRule))
    now = utcnow()
    session.add_all(
        RoutingRule(
            category_code=rule.category_code,
            grid_prefix=rule.grid_prefix or "",
            department_code=rule.department_code,
            updated_at=now,
        )
        for rule in rules
    )
    return len(rules)
