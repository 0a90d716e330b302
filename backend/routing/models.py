"""派遣规则: which department a case of a category (and grid) goes to unless the dispatcher says otherwise."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, UtcDateTime, new_id, utcnow


class RoutingRule(Base):
    __tablename__ = "routing_rules"
    __table_args__ = (UniqueConstraint("category_code", "grid_prefix"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # A minor class, or a major class for all its minors.
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"))
    # A grid code prefix (a street's or a community's grids); empty for the whole city, so that the
    # unique constraint holds (NULLs never collide).
    grid_prefix: Mapped[str] = mapped_column(String(32), default="")
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
