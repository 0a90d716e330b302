"""The two formats GeoReport v2 serves, chosen by the path's suffix (services.json, services.xml).
XML follows the specification's examples: a plural root, one element per item, one child per field,
lists nested under their plural with one singular element per entry."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from xml.etree import ElementTree

import msgspec

from backend.errors import ApiError

Format = Literal["json", "xml"]
MEDIA_TYPES: dict[Format, str] = {"json": "application/json", "xml": "text/xml"}
# Lists inside an item: the element each entry is written as.
_SINGULAR = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value"}


def split(resource: str) -> tuple[str, Format]:
    """ "services.json" -> ("services", "json"); 404 for a name without one of the two suffixes."""
    name, dot, suffix = resource.rpartition(".")
    if not dot or not name or suffix not in MEDIA_TYPES:
        raise ApiError(404, "not_found")
    return name, suffix  # type: ignore[return-value]


def suffix_of(path: str) -> Format:
    """The format a path asks for, for answering its errors in kind; JSON when it asks for neither."""
    return "xml" if path.endswith(".xml") else "json"


def encode(document: Any, fmt: Format, root: str, item: str | None = None) -> bytes:
    """A Struct (root element with fields) or a list of them (root element with one `item` each)."""
    if fmt == "json":
        return msgspec.json.encode(document)
    top = ElementTree.Element(root)
    if isinstance(document, list):
        for entry in document:
            _fill(
                ElementTree.SubElement(top, item or root),
                msgspec.to_builtins(entry, builtin_types=(datetime,)),
            )
    else:
        _fill(top, msgspec.to_builtins(document, builtin_types=(datetime,)))
    return ElementTree.tostring(top, encoding="utf-8", xml_declaration=True)


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, dict):
        for name, child in value.items():
            _fill(ElementTree.SubElement(element, name), child)
    elif isinstance(value, list):
        for entry in value:
            _fill(ElementTree.SubElement(element, _SINGULAR.get(element.tag, "item")), entry)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif isinstance(value, datetime):
        element.text = value.isoformat()
    elif value is not None:
        element.text = str(value)
