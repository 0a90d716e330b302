"""答复模板: reusable public messages per action, request type and category, in both languages."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, UtcDateTime, new_id, utcnow


class ReplyTemplate(Base):
    __tablename__ = "reply_templates"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # The workflow action whose public message it fills (reply, reject, handle, ...).
    action: Mapped[str] = mapped_column(String(16), index=True)
    # Null: any request type.
    request_type: Mapped[str | None] = mapped_column(String(16))
    # A major or minor class; null: any category.
    category_code: Mapped[str | None] = mapped_column(ForeignKey("categories.code"))
    title_zh: Mapped[str] = mapped_column(String(100))
    title_en: Mapped[str] = mapped_column(String(100))
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    # Retired, not deleted: the audit log names it.
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
