"""RFC 9457 problem details: one exception type for the domain, one handler for everything."""

from __future__ import annotations

import math
import re
from typing import Any

import msgspec
import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from sqlalchemy.exc import DBAPIError

from backend.i18n import negotiate, translate

log = structlog.get_logger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"

_CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


class FieldError(msgspec.Struct, frozen=True):
    name: str
    reason: str


class Problem(msgspec.Struct, omit_defaults=True):
    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    fields: list[FieldError] | None = None


class ApiError(Exception):
    """A refusal the caller can act on: `code` is stable, the message is translated at render time."""

    def __init__(
        self,
        status: int,
        code: str,
        /,
        *,
        fields: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        **params: object,
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.fields = fields
        self.headers = headers or {}
        self.params = params


def problem_of(request: Request[Any, Any, Any], error: ApiError) -> tuple[Problem, str]:
    """The refusal in the caller's language, and that language."""
    locale = negotiate(request.headers.get("accept-language"))
    values = dict(error.params)
    if isinstance(wait := values.get("retry_after"), int):
        values["wait"] = wait_text(wait, locale)
    problem = Problem(
        type=f"urn:city-service:problem:{error.code}",
        title=translate(f"error.{error.code}.title", locale),
        status=error.status,
        detail=translate(f"error.{error.code}.detail", locale, **values),
        code=error.code,
        instance=request.url.path,
        fields=error.fields,
    )
    return problem, locale


def problem_response(request: Request[Any, Any, Any], error: ApiError) -> Response[Problem]:
    problem, locale = problem_of(request, error)
    return Response(
        problem,
        status_code=error.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers={**error.headers, "Content-Language": locale},
    )


def handle_api_error(request: Request[Any, Any, Any], exc: ApiError) -> Response[Problem]:
    return problem_response(request, exc)


def as_api_error(request: Request[Any, Any, Any], exc: HTTPException) -> ApiError:
    """Litestar's own refusals (validation, 404, 405, 413...) with our stable codes."""
    if isinstance(exc, ValidationException):
        return ApiError(422, "validation_error", fields=_field_errors(exc))
    status = exc.status_code
    code = _CODE_BY_STATUS.get(status, "http_error")
    if status >= 500:
        log.error("http_exception", status=status, detail=exc.detail, exc_info=exc)
    params: dict[str, object] = {"http_status": status}
    if status == 413:
        params["limit"] = size_text(request.route_handler.resolve_request_max_body_size() or 0)
    return ApiError(status, code, headers=exc.headers, **params)


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    return problem_response(request, as_api_error(request, exc))


def size_text(size: int) -> str:
    """A byte limit as people read it: "64 KB", "20 MB"."""
    return f"{size // (1024 * 1024)} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def wait_text(seconds: int, locale: str) -> str:
    """A wait as people say it: "40 秒", "约 59 分钟", "about 2 hours"; never "3540 seconds"."""
    if seconds < 60:
        return translate("wait.seconds", locale, n=seconds)
    if seconds < 3600:
        minutes = math.ceil(seconds / 60)
        return translate("wait.minute" if minutes == 1 else "wait.minutes", locale, n=minutes)
    hours = round(seconds / 3600)
    return translate("wait.hour" if hours == 1 else "wait.hours", locale, n=hours)


# Deadlock and serialization failure: two writers met (say, two cases merged into each other at
# once); the database rolled one back, and the same request again will go through.
_RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    if isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES:
        log.warning("concurrent_update", path=request.url.path, sqlstate=exc.orig.sqlstate)  # type: ignore[union-attr]
        return problem_response(request, ApiError(409, "concurrent_update"))
    if isinstance(exc, DBAPIError):
        # Not the exception's text: the database repeats the failing row in it (citizens' words,
        # phone numbers). The statement, the error class and its SQL state are enough to find it.
        log.error(
            "database_error",
            path=request.url.path,
            method=request.method,
            error=type(exc.orig).__name__,
            sqlstate=getattr(exc.orig, "sqlstate", None),
            statement=exc.statement,
        )
    else:
        log.exception("unhandled_exception", path=request.url.path, method=request.method)
    return problem_response(request, ApiError(500, "internal_error"))


_LOCATION = re.compile(r" - at `\$\.?([^`]*)`$")


def field_error(message: str, key: str = "") -> FieldError:
    """A msgspec message ("Expected `int`, got `str` - at `$.x`") as the field it names and the reason."""
    name = key
    match = _LOCATION.search(message)
    if match:
        inner = match.group(1)
        message = message[: match.start()]
        name = f"{key}.{inner}" if key and key != "data" and inner else inner or key
    return FieldError(name=name or "body", reason=message)


def _field_errors(exc: ValidationException) -> list[FieldError]:
    """Litestar reports msgspec errors as [{message, key, source}]; name the field, keep the reason."""
    return [
        field_error(str(item.get("message", "")), str(item.get("key") or ""))
        for item in (exc.extra if isinstance(exc.extra, list) else [])
        if isinstance(item, dict)
    ]


EXCEPTION_HANDLERS = {
    ApiError: handle_api_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
