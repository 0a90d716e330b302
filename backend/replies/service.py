"""Reply templates: the admin's list, and the ones that fit a case, filled in for it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from string import Formatter

import msgspec
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.guards import require_role
from backend.accounts.tokens import Principal
from backend.audit import service as audit
from backend.catalog.models import Category
from backend.db import utcnow
from backend.errors import ApiError, FieldError
from backend.replies.models import ReplyTemplate
from backend.replies.schemas import (
    RenderedTemplate,
    RenderedTemplateList,
    ReplyTemplateFile,
    ReplyTemplateIn,
    ReplyTemplateList,
    ReplyTemplateOut,
)
from backend.settings import Settings

DEMO_TEMPLATE_FILE = Path(__file__).resolve().parent / "data" / "demo-templates.json"
PLACEHOLDERS = ("tracking_no", "category", "department", "deadline", "submitted_on")


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What a template may say about the case it answers, already in the reader's language."""

    request_type: str
    category_code: str | None
    parent_code: str | None
    values: dict[str, str]


def _placeholder_errors(field: str, text: str) -> list[FieldError]:
    """Only the known names, bare: "{tracking_no}", never "{tracking_no.__class__}" or "{0:>9}"."""
    try:
        parts = list(Formatter().parse(text))
    except ValueError:
        return [FieldError(field, "unbalanced braces: write {{ and }} for literal ones")]
    return [
        FieldError(field, f"unknown placeholder {{{name}}}; known: {', '.join(PLACEHOLDERS)}")
        for _, name, spec, conversion in parts
        if name is not None and (name not in PLACEHOLDERS or spec or conversion)
    ]


async def _checked(session: AsyncSession, body: ReplyTemplateIn) -> None:
    errors = _placeholder_errors("text_zh", body.text_zh) + _placeholder_errors("text_en", body.text_en)
    if errors:
        raise ApiError(422, "unknown_placeholder", fields=errors)
    if body.category_code is not None and await session.get(Category, body.category_code) is None:
        raise ApiError(422, "unknown_category", code=body.category_code)


def _out(template: ReplyTemplate) -> ReplyTemplateOut:
    return ReplyTemplateOut(
        id=str(template.id),
        action=template.action,
        request_type=template.request_type,
        category_code=template.category_code,
        title_zh=template.title_zh,
        title_en=template.title_en,
        text_zh=template.text_zh,
        text_en=template.text_en,
        active=template.active,
        updated_at=template.updated_at,
    )


def _apply(template: ReplyTemplate, body: ReplyTemplateIn) -> ReplyTemplate:
    for field in (
        "action",
        "request_type",
        "category_code",
        "title_zh",
        "title_en",
        "text_zh",
        "text_en",
        "active",
    ):
        setattr(template, field, getattr(body, field))
    template.updated_at = utcnow()
    return template


async def list_templates(session: AsyncSession, principal: Principal) -> ReplyTemplateList:
    require_role(principal, "admin")
    query = select(ReplyTemplate).order_by(ReplyTemplate.action, ReplyTemplate.title_zh, ReplyTemplate.id)
    async with session.begin():
        return ReplyTemplateList(items=[_out(t) for t in await session.scalars(query)])


async def save_template(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    template_id: uuid.UUID | None,
    body: ReplyTemplateIn,
    address: str,
) -> ReplyTemplateOut:
    """Create a template (no id) or replace one; retire it with active=false. Audited."""
    require_role(principal, "admin")
    async with session.begin():
        await _checked(session, body)
        if template_id is None:
            template = ReplyTemplate(id=uuid.uuid4())
        else:
            found = await session.get(ReplyTemplate, template_id, with_for_update=True)
            if found is None:
                raise ApiError(404, "not_found")
            template = found
        session.add(_apply(template, body))
        audit.record(
            session,
            settings,
            principal.user_id,
            "reply_template.created" if template_id is None else "reply_template.saved",
            address,
            subject=str(template.id),
            details={"action": body.action, "title_zh": body.title_zh, "active": body.active},
        )
        await session.flush()
        return _out(template)


async def fitting(session: AsyncSession, facts: CaseFacts, action: str, locale: str) -> RenderedTemplateList:
    """The active templates for this action that fit the case's request type and category, the most
    specific first (a minor class before its major class before any; a named type before any)."""
    categories = [c for c in (facts.category_code, facts.parent_code) if c]
    query = select(ReplyTemplate).where(
        ReplyTemplate.action == action,
        ReplyTemplate.active.is_(True),
        or_(ReplyTemplate.request_type.is_(None), ReplyTemplate.request_type == facts.request_type),
        or_(ReplyTemplate.category_code.is_(None), ReplyTemplate.category_code.in_(categories)),
    )
    templates = list(await session.scalars(query))
    english = locale == "en"

    def specificity(t: ReplyTemplate) -> tuple[int, int, str]:
        category = 2 if t.category_code == facts.category_code else 1 if t.category_code else 0
        return (-category, -(t.request_type is not None), t.title_en if english else t.title_zh)

    return RenderedTemplateList(
        items=[
            RenderedTemplate(
                id=str(t.id),
                title=t.title_en if english else t.title_zh,
                text=(t.text_en if english else t.text_zh).format_map(facts.values),
            )
            for t in sorted(templates, key=specificity)
        ]
    )


async def load_demo_templates(session: AsyncSession) -> int:
    """Upsert the demo file's templates by their fixed ids."""
    rows = msgspec.json.decode(DEMO_TEMPLATE_FILE.read_bytes(), type=list[ReplyTemplateFile])
    for row in rows:
        await _checked(session, row)
        template = await session.get(ReplyTemplate, row.id) or ReplyTemplate(id=row.id)
        session.add(_apply(template, row))
    return len(rows)
