"""GB/T 30428.2 categories (components and events) and GB/T 30428.1 unit grids."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base, JsonDoc


class Category(Base):
    __tablename__ = "categories"

    # Unique across kinds: "C" (component) or "E" (event) + the GB/T 30428.2 code, e.g. C0101.
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    gb_code: Mapped[str] = mapped_column(String(12))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("categories.code"))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    # 处置时限; null on major classes.
    deadline_hours: Mapped[int | None]
    icon: Mapped[str | None] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(default=0)
    # A city's new file retires codes instead of deleting them: old cases keep their category.
    active: Mapped[bool] = mapped_column(default=True)
    # Extra questions a report of this category may answer (Open311 attributes); see AttributeDef.
    attributes: Mapped[list[dict[str, Any]] | None] = mapped_column(JsonDoc)

    @property
    def is_minor(self) -> bool:
        return self.parent_code is not None


class ReplyDeadline(Base):
    """答复时限: how long the desk has to answer a request type it can settle itself."""

    __tablename__ = "reply_deadlines"

    request_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    hours: Mapped[int]


class Grid(Base):
    __tablename__ = "grids"
    __table_args__ = (Index(None, "min_lat", "max_lat", "min_lng", "max_lng"),)

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(100))
    street: Mapped[str | None] = mapped_column(String(100))
    community: Mapped[str | None] = mapped_column(String(100))
    # GeoJSON geometry (Polygon or MultiPolygon) in WGS84; the bounding box prefilters lookups.
    geometry: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    min_lat: Mapped[float]
    max_lat: Mapped[float]
    min_lng: Mapped[float]
    max_lng: Mapped[float]
