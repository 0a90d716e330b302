"""Reply template bodies and answers, and the demo file's shape."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from backend.catalog.schemas import RequestType

# The actions whose public message a template may fill.
TemplateAction = Literal["reply", "reject", "accept", "merge", "dispatch", "handle", "check_pass"]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class ReplyTemplateIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    action: TemplateAction
    title_zh: Title
    title_en: Title
    # May name {tracking_no} {category} {department} {deadline} {submitted_on}.
    text_zh: Text
    text_en: Text
    # None: for every request type / every category; a major class covers its minors.
    request_type: RequestType | None = None
    category_code: Annotated[str, msgspec.Meta(max_length=16)] | None = None
    active: bool = True


class ReplyTemplateFile(ReplyTemplateIn, frozen=True, kw_only=True):
    """A template in the demo file: the same fields with a fixed id, so that seeding twice is once."""

    id: uuid.UUID


class ReplyTemplateOut(msgspec.Struct, frozen=True):
    id: str
    action: str
    request_type: str | None
    category_code: str | None
    title_zh: str
    title_en: str
    text_zh: str
    text_en: str
    active: bool
    updated_at: datetime


class ReplyTemplateList(msgspec.Struct, frozen=True):
    items: list[ReplyTemplateOut]


class RenderedTemplate(msgspec.Struct, frozen=True):
    """A template filled in for one case, in the caller's language: what the action form offers."""

    id: str
    title: str
    text: str


class RenderedTemplateList(msgspec.Struct, frozen=True):
    items: list[RenderedTemplate]
