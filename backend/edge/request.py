"""The request as this API reads it: strict JSON bodies, patient but bounded body reads, clean paths.

Litestar decodes a JSON body to Python values and then converts them leniently (strict=False), which
is right for query strings but lets `"1"` pass for a number in a body. Here a JSON body is decoded
once, strictly, straight into the handler's Struct, and its text cleaned by one rule
(backend.edge.text); the handler's signature then receives that Struct as it is.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import unquote_to_bytes

import msgspec
from litestar import Request
from litestar.connection.base import empty_receive, empty_send
from litestar.types import Message, Receive, Scope, Send
from litestar.types.empty import Empty

from backend.edge.text import CONTROL, clean_body
from backend.errors import ApiError, field_error

_RAW_CONTROL = re.compile(CONTROL.pattern.encode())


def _patient(receive: Receive, seconds: float) -> Receive:
    """Waits at most `seconds` for each piece of the body: a body that stops arriving gets 408."""

    async def timed() -> Message:
        try:
            async with asyncio.timeout(seconds):
                return await receive()
        except TimeoutError:
            raise ApiError(408, "request_timeout", headers={"Connection": "close"}) from None

    return timed


class CityRequest(Request[Any, Any, Any]):
    def __init__(self, scope: Scope, receive: Receive = empty_receive, send: Send = empty_send) -> None:
        settings = scope["litestar_app"].state.settings
        super().__init__(scope, _patient(receive, settings.body_timeout_seconds), send)

    async def json(self) -> Any:
        if self._json is Empty:
            media_type, _ = self.content_type
            if media_type != "application/json" and not media_type.endswith("+json"):
                raise ApiError(415, "json_required")
            field = self.route_handler.parsed_data_field
            self._json = decode_json_body(await self.body(), field.annotation if field else Any)
        return self._json


def decode_json_body(body: bytes, target: Any) -> Any:
    try:
        value = msgspec.json.decode(body, type=target, strict=True)
    except msgspec.ValidationError as exc:
        raise ApiError(422, "validation_error", fields=[field_error(str(exc))]) from None
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, "invalid_json") from None
    return clean_body(value)


async def refuse_control_characters(request: Request[Any, Any, Any]) -> None:
    """Before any handler: the path and the query carry no control character of the kind text bodies
    may not either (NUL and the rest but tab and newlines), so none reaches a database."""
    query = unquote_to_bytes(request.scope["query_string"])
    if CONTROL.search(request.scope["path"]) or _RAW_CONTROL.search(query):
        raise ApiError(400, "control_characters")
