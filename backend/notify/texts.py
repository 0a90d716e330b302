"""What a notification says, in the reader's language, and where tapping it leads: rendered from the
stored kind and params each time, for the inbox (Accept-Language) and for each device (its language)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from backend.i18n import DEFAULT_LOCALE, translate

# A push body is read on a lock screen: a long public message is cut, the inbox shows the same cut.
MESSAGE_CHARS = 120


@dataclass(frozen=True, slots=True)
class Rendered:
    title: str
    body: str
    url: str
    tag: str


def render(
    kind: str,
    audience: str,
    params: dict[str, Any],
    case_id: uuid.UUID | None,
    task_id: uuid.UUID | None,
    locale: str,
) -> Rendered:
    subjects: dict[str, str] = params.get("subject") or {}
    values = {
        "tracking_no": params.get("tracking_no") or "",
        "subject": subjects.get(locale) or subjects.get(DEFAULT_LOCALE, ""),
        "task": translate(f"notify.task_kind.{params.get('task_kind')}", locale),
    }
    message = params.get("message")
    body_key = f"notify.{kind}.body_message" if message else f"notify.{kind}.body"
    if message:
        values["message"] = message if len(message) <= MESSAGE_CHARS else message[: MESSAGE_CHARS - 1] + "…"
    return Rendered(
        title=translate(f"notify.{kind}.title", locale, **values),
        body=translate(body_key, locale, **values),
        url=_url(audience, case_id, task_id),
        tag=f"task-{task_id}" if task_id else f"case-{case_id}" if case_id else kind,
    )


def _url(audience: str, case_id: uuid.UUID | None, task_id: uuid.UUID | None) -> str:
    if audience == "field":
        return f"/field/tasks/{task_id}" if task_id else "/field"
    if audience == "staff":
        return f"/staff/cases/{case_id}"
    return f"/requests/{case_id}"
