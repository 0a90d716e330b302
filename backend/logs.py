"""Structured JSON logs. A last processor masks anything shaped like a phone number or a token,
in case one slips into a message or a field."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

_PHONE = re.compile(r"(?<![0-9])(?:\+?86)?1[3-9][0-9]{9}(?![0-9])")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def redact(value: str) -> str:
    return _JWT.sub("[token]", _BEARER.sub(r"\1[token]", _PHONE.sub("[phone]", value)))


def _redact_event(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    return {key: redact(value) if isinstance(value, str) else value for key, value in event.items()}


_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.format_exc_info,
]


def configure_logging(level: str = "INFO") -> None:
    structlog.configure(
        # A line below the level is dropped before any processor runs (they cost more than the drop).
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Its debug lines repeat every SQL parameter: noise at best, personal data at worst.
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)


def json_formatter() -> logging.Formatter:
    """One JSON object per line; records from uvicorn and other libraries get the same redaction."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _redact_event,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )
