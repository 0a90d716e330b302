"""Routing rule bodies, answers and the file a city loads."""

from __future__ import annotations

from typing import Annotated

import msgspec

from backend.departments.schemas import DepartmentCode

GridPrefix = Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Za-z_.-]{1,32}$")]


class RoutingRuleIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    # A minor class (C0101) or a major class (C01) for all its minors.
    category_code: Annotated[str, msgspec.Meta(min_length=1, max_length=16)]
    department_code: DepartmentCode
    # Only cases in grids whose code starts with it; none for the whole city.
    grid_prefix: GridPrefix | None = None


class RoutingRuleOut(msgspec.Struct, frozen=True):
    id: str
    category_code: str
    category_name: str
    grid_prefix: str | None
    department_code: str
    department_name: str


class RoutingRuleList(msgspec.Struct, frozen=True):
    items: list[RoutingRuleOut]


class RoutingFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A city's whole routing table (backend/routing/data/demo-routing.json is the shipped example)."""

    rules: list[RoutingRuleIn]
    source: str = ""
