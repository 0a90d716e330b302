"""One rule for every piece of text a caller sends, applied where a JSON body is decoded.

- C0 control characters (NUL and the rest, except tab and newlines) and DEL are refused: no text
  field needs them, and PostgreSQL cannot store NUL.
- Bidirectional embedding, override and isolate controls are removed: they make stored text read
  differently from what it is (a reason or an address shown reversed on the desk).
- Newlines become "\\n" and surrounding blanks go.
- A required text (a Struct field with min_length >= 1) must show at least one visible character:
  spaces and zero-width characters alone are not a description or a reason.
A field marked VERBATIM (a password) is checked for control characters and otherwise left alone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

import msgspec

from backend.errors import ApiError, FieldError

# Meta(extra=VERBATIM): the field is kept as sent (no trimming, no bidi removal).
VERBATIM = {"verbatim": True}
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# Letters and symbols that render as nothing: Hangul fillers, the blank braille pattern.
_BLANK_LOOKALIKES = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"})


def clean_text(text: str) -> str:
    """Plain text as stored: one newline style, no bidi controls, no surrounding blanks."""
    return _BIDI.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def has_visible(text: str) -> bool:
    return any(
        not ch.isspace()
        and unicodedata.category(ch) not in _INVISIBLE_CATEGORIES
        and ch not in _BLANK_LOOKALIKES
        for ch in text
    )


@dataclass(frozen=True, slots=True)
class _Rule:
    required: bool
    verbatim: bool


_PLAIN = _Rule(required=False, verbatim=False)


def clean_body(value: Any) -> Any:
    """The decoded body with every string cleaned by the rules above; 422 naming any that break them."""
    errors: list[FieldError] = []
    cleaned = _clean(value, "", _PLAIN, errors)
    if errors:
        code = "control_characters" if any(e.reason == "control_characters" for e in errors) else "blank_text"
        raise ApiError(422, code, fields=errors)
    return cleaned


def _clean(value: Any, path: str, rule: _Rule, errors: list[FieldError]) -> Any:
    if isinstance(value, str):
        if CONTROL.search(value):
            errors.append(FieldError(path or "body", "control_characters"))
            return value
        if rule.verbatim:
            return value
        text = clean_text(value)
        if rule.required and not has_visible(text):
            errors.append(FieldError(path or "body", "blank_text"))
        return text
    if isinstance(value, msgspec.Struct):
        rules = _rules(type(value))
        changes = {}
        for name in value.__struct_fields__:
            item = getattr(value, name)
            new = _clean(item, f"{path}.{name}" if path else name, rules.get(name, _PLAIN), errors)
            if new is not item:
                changes[name] = new
        return msgspec.structs.replace(value, **changes) if changes else value
    if isinstance(value, list):
        return [_clean(item, f"{path}[{i}]", _PLAIN, errors) for i, item in enumerate(value)]
    if isinstance(value, dict):
        return {
            _clean(key, f"{path}.{key}", _PLAIN, errors): _clean(item, f"{path}.{key}", _PLAIN, errors)
            for key, item in value.items()
        }
    return value


@cache
def _rules(struct: type[msgspec.Struct]) -> dict[str, _Rule]:
    """Which string fields are required text, and which are kept verbatim, read from their types."""
    rules: dict[str, _Rule] = {}
    for field in msgspec.inspect.type_info(struct).fields:  # type: ignore[attr-defined]
        kind = field.type
        verbatim = False
        if isinstance(kind, msgspec.inspect.Metadata):
            verbatim = bool((kind.extra or {}).get("verbatim"))
            kind = kind.type
        if isinstance(kind, msgspec.inspect.UnionType):
            kind = next((t for t in kind.types if isinstance(t, msgspec.inspect.StrType)), kind)
        if isinstance(kind, msgspec.inspect.StrType):
            rules[field.name] = _Rule(required=(kind.min_length or 0) >= 1, verbatim=verbatim)
    return rules
