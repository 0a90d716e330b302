"""Department bodies and answers."""

from __future__ import annotations

from typing import Annotated

import msgspec

CODE_PATTERN = r"^[A-Za-z0-9_.-]{1,32}$"
DepartmentCode = Annotated[str, msgspec.Meta(pattern=CODE_PATTERN)]


class DepartmentIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name_zh: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    name_en: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    phone: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    active: bool = True


class DepartmentFile(DepartmentIn, frozen=True, kw_only=True):
    """A department in a city's file: the same fields, with its code."""

    code: DepartmentCode


class DepartmentOut(msgspec.Struct, frozen=True):
    code: str
    name: str
    name_zh: str
    name_en: str
    phone: str | None
    active: bool


class DepartmentList(msgspec.Struct, frozen=True):
    items: list[DepartmentOut]
