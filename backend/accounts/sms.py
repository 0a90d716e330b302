"""Pluggable SMS senders. The default writes messages to a file so that development needs no gateway."""

from __future__ import annotations

import asyncio
import importlib
import json
from pathlib import Path
from typing import Protocol

from backend.db import utcnow
from backend.settings import Settings


class SmsSendError(Exception):
    pass


class SmsSender(Protocol):
    async def send(self, phone: str, text: str) -> None: ...


class FileSmsSender:
    """Appends one JSON line per message to a file (the README names it: var/sms-outbox.log)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def send(self, phone: str, text: str) -> None:
        line = json.dumps({"to": phone, "text": text, "at": utcnow().isoformat()}, ensure_ascii=False)
        await asyncio.to_thread(self._append, line)

    def _append(self, line: str) -> None:
        try:
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line + "\n")
        except OSError as exc:
            raise SmsSendError(str(exc)) from exc


def make_sms_sender(settings: Settings) -> SmsSender:
    """`file`, or `package.module:factory` where factory(settings) returns a sender for a real gateway."""
    if settings.sms_sender == "file":
        return FileSmsSender(settings.sms_outbox_path)
    module_name, _, attribute = settings.sms_sender.partition(":")
    factory = getattr(importlib.import_module(module_name), attribute)
    return factory(settings)
