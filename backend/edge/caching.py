"""Answers that no browser or proxy may keep: tokens, staff views with reporters' contacts, the audit
log, the indicators. The phone app's service worker honours it too (pwa/src/cachePolicy.ts)."""

from __future__ import annotations

from litestar.datastructures import CacheControlHeader

NO_STORE = CacheControlHeader(private=True, no_store=True)
