"""Values that break parsers and databases, mixed into the cases schemathesis generates.

Schemathesis' own strings are arbitrary Unicode (NUL included, rarely) in bodies, query and path
values mostly stay printable, and its numbers stay modest. The hooks in test_openapi_fuzz.py use
`body` and `parameters` below to swap one part of a generated (or a valid, tests/fuzz/seeds.py)
request for one of these values: NUL and other control characters, huge and non-finite numbers,
nesting deeper than a JSON parser's recursion limit. Hypothesis draws and shrinks the choice like
any other part of the case; one choice is always "as generated".
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

# NUL first and on its own: PostgreSQL refuses it in any text value, so it gets a third of the draws.
NUL_TEXT = ("\x00", "a\x00b", "\x00" * 3 + "x", "C01\x00")
NASTY_TEXT = (
    "\x01\x02\x03\x1b[31m\x7f",
    "\r\n\t\x0b\x0c",
    "\u202e\u200b\ufeff",
    "\x85\x9f",
    "💥🏳️‍🌈",
    "%00",
    "' OR '1'='1' --",
    "../../../../etc/passwd",
    " ",
    "NaN",
    "-Infinity",
    "1e999",
    "-0",
    "99999999999999999999999999999999",
    "x" * 5000,
)

NASTY_NUMBERS = (
    2**63,
    -(2**63) - 1,
    2**64,
    10**400,
    1e308,
    -1e308,
    5e-324,
    -0.0,
    float("nan"),
    float("inf"),
    float("-inf"),
)


class Deep:
    """Arrays nested `depth` levels deep; serialized as raw JSON text (json.dumps would recurse)."""

    def __init__(self, depth: int) -> None:
        self.depth = depth

    def __repr__(self) -> str:
        return f"[[[...{self.depth} nested arrays...]]]"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Deep) and other.depth == self.depth

    def __hash__(self) -> int:
        return hash(("Deep", self.depth))


control_text = st.text(st.characters(codec="utf-8", max_codepoint=0x9F, categories=["Cc"]), min_size=1)
nasty_text = st.one_of(st.sampled_from(NUL_TEXT), st.sampled_from(NASTY_TEXT), control_text)
nasty_json = st.one_of(
    nasty_text,
    st.sampled_from(NASTY_NUMBERS),
    st.sampled_from((Deep(64), Deep(5000))),
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*prefix, index)))
    return found


def get(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


def replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    """A copy of `value` with the part at `path` (keys and indexes) replaced by `new`."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: replace(value[head], rest, new)}
    copy = list(value)
    copy[head] = replace(copy[head], rest, new)
    return copy


def _swap_one(value: Any, replacements: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`value` with one of its parts (the whole of it included) replaced."""
    return st.tuples(st.sampled_from(_paths(value)), replacements).map(lambda pick: replace(value, *pick))


def _swap_parameter(values: dict[str, Any], names: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """`values` with one parameter (given or not yet) set to a nasty text."""
    names = sorted(set(names) | set(values))
    if not names:
        return st.just(values)
    return st.tuples(st.sampled_from(names), nasty_text).map(lambda pick: {**values, pick[0]: pick[1]})


def body(generated: Any, valid: st.SearchStrategy[Any] | None) -> st.SearchStrategy[Any]:
    """The generated body as it is or with one part swapped; a valid one as it is or likewise."""
    options = [st.just(generated), _swap_one(generated, nasty_json)]
    if valid is not None:
        options += [valid, valid.flatmap(lambda value: _swap_one(value, nasty_json))]
    return st.one_of(options)


def parameters(
    generated: dict[str, Any] | None, names: list[str], valid: st.SearchStrategy[dict[str, Any]] | None
) -> st.SearchStrategy[dict[str, Any]]:
    """Query or path parameters: the same choices as `body`, one parameter at a time."""
    generated = dict(generated or {})
    options = [st.just(generated), _swap_parameter(generated, names)]
    if valid is not None:
        options += [valid, valid.flatmap(lambda value: _swap_parameter(value, names))]
    return st.one_of(options)


def dump_json(value: Any) -> bytes:
    """JSON as a careless client might send it: NaN and Infinity as bare words, `Deep` as raw text,
    lone surrogates as the invalid UTF-8 they become."""
    deep: dict[str, Deep] = {}

    def hide(item: Any) -> Any:
        if isinstance(item, Deep):
            token = f"__deep_{len(deep)}__"
            deep[token] = item
            return token
        if isinstance(item, dict):
            return {key: hide(inner) for key, inner in item.items()}
        if isinstance(item, list):
            return [hide(inner) for inner in item]
        return item

    text = json.dumps(hide(value), allow_nan=True, ensure_ascii=False)
    for token, item in deep.items():
        text = text.replace(json.dumps(token), "[" * item.depth + "]" * item.depth, 1)
    return text.encode("utf-8", "surrogatepass")
