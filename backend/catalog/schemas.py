"""What crosses HTTP for the catalog, and the shape of the files a city loads."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

RequestType = Literal["complaint", "inquiry", "suggestion", "help", "praise"]
REQUEST_TYPES: tuple[RequestType, ...] = ("complaint", "inquiry", "suggestion", "help", "praise")
# A complaint or a call for help is about a thing on the street: it needs a category.
TYPES_NEEDING_CATEGORY = frozenset({"complaint", "help"})
# Requests the desk may settle itself with a reply (答复); a complaint always goes to a department.
TYPES_THE_DESK_ANSWERS = frozenset({"inquiry", "suggestion", "praise", "help"})
CategoryKind = Literal["component", "event"]
KIND_PREFIX: dict[str, str] = {"component": "C", "event": "E"}

GbCode = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{2,6}$")]


class Names(msgspec.Struct, frozen=True):
    zh_cn: str = msgspec.field(name="zh-CN")
    en: str = ""


class RequestTypeOut(msgspec.Struct, frozen=True):
    code: RequestType
    name: str
    needs_category: bool
    # 答复时限: hours the desk has to answer; None for a type that goes to a department.
    reply_hours: int | None


class CategoryOut(msgspec.Struct, frozen=True, omit_defaults=True):
    code: str
    kind: CategoryKind
    gb_code: str
    name: str
    names: Names
    deadline_hours: int | None = None
    icon: str | None = None
    parent_code: str | None = None
    minors: list[CategoryOut] | None = None


class CatalogOut(msgspec.Struct, frozen=True):
    request_types: list[RequestTypeOut]
    categories: list[CategoryOut]


# Open311's datatypes for a category's extra questions.
AttributeType = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
LIST_TYPES = frozenset({"singlevaluelist", "multivaluelist"})


class AttributeValue(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    key: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
    zh: str
    en: str


class AttributeDef(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An extra question a report of one category may answer (e.g. which way a manhole cover is broken)."""

    code: Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
    datatype: AttributeType
    zh: str
    en: str
    required: bool = False
    values: list[AttributeValue] = []

    def __post_init__(self) -> None:
        if (self.datatype in LIST_TYPES) != bool(self.values):
            raise ValueError(f"attribute {self.code}: values are for list datatypes, and those need them")


# The category file (backend/catalog/data/categories.json is the shipped example).
class MinorClassFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    code: GbCode
    zh: str
    en: str
    deadline_hours: Hours
    icon: str | None = None
    attributes: list[AttributeDef] = []


class MajorClassFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    code: GbCode
    zh: str
    en: str
    minors: list[MinorClassFile]


Hours = Annotated[int, msgspec.Meta(gt=0, le=24 * 365)]


class CategoryFile(msgspec.Struct, frozen=True):
    component: list[MajorClassFile]
    event: list[MajorClassFile]
    source: str = ""
    # 答复时限 per request type the desk answers itself; when given, it replaces the stored ones.
    reply_hours: dict[RequestType, Hours] | None = None


# Unit grids arrive as a GeoJSON FeatureCollection.
class GridProperties(msgspec.Struct, frozen=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    name_en: str | None = None
    street: str | None = None
    community: str | None = None


class GridFeature(msgspec.Struct, frozen=True):
    properties: GridProperties
    geometry: dict[str, Any]
    type: Literal["Feature"] = "Feature"


class GridFile(msgspec.Struct, frozen=True):
    features: list[GridFeature]
    type: Literal["FeatureCollection"] = "FeatureCollection"
