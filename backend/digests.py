"""Keyed digests: match a phone number, an address or a code later without storing it."""

from __future__ import annotations

import hashlib
import hmac

from backend.settings import Settings


def keyed_digest(settings: Settings, purpose: str, value: str) -> str:
    """An HMAC under a key derived for one purpose, so digests of one purpose never match another's."""
    key = hashlib.sha256(f"{purpose}:{settings.secret_key}".encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
