"""The outermost layer of the app: security headers on every answer, and HEAD wherever GET answers.

Both sit around Litestar itself rather than in its middleware, which runs only once a route has
matched: a 404, a 405 or a problem raised while routing gets the same headers as a page.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from litestar import Litestar
from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Receive, Scope, Send

from backend.settings import Settings

# The API docs page (Swagger UI) loads its script from a CDN and starts it inline; only that page may.
DOCS_PATH = "/schema"
DOCS_CDN = "https://cdn.jsdelivr.net"
HSTS = "max-age=31536000; includeSubDomains"


def content_security_policy(settings: Settings, *, docs: bool = False) -> str:
    tiles = urlsplit(settings.tile_url.replace("{s}", "a"))
    tile_origin = f"{tiles.scheme}://{tiles.hostname}" if tiles.hostname else ""
    script = f"'self' 'unsafe-inline' {DOCS_CDN}" if docs else "'self'"
    style = f"'self' 'unsafe-inline' {DOCS_CDN}" if docs else "'self' 'unsafe-inline'"
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {script}",
            # Vue and Leaflet position elements with style attributes.
            f"style-src {style}",
            f"img-src 'self' data: blob: {tile_origin}".rstrip(),
            "connect-src 'self'",
            "worker-src 'self'",
            "manifest-src 'self'",
            "font-src 'self' data:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


# The app's own pages may take photos, the position and (inspectors' voice notes) sound; no one pays.
PERMISSIONS = "camera=(self), geolocation=(self), microphone=(self), payment=()"


class CityApp(Litestar):
    """Litestar with the outer layer above; everything else is Litestar's own."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # type: ignore[override]
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        send = self._with_security_headers(scope, send)
        if scope["method"] == "HEAD":
            await _as_head(super().__call__, scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    def _with_security_headers(self, scope: Scope, send: Send) -> Send:
        settings: Settings = self.state.settings
        docs = scope["path"].startswith(DOCS_PATH)
        policy = content_security_policy(settings, docs=docs)
        https = scope.get("scheme") == "https" or _forwarded_https(scope, settings)

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders(message)
                headers["Content-Security-Policy"] = policy
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
                headers["Permissions-Policy"] = PERMISSIONS
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                if https:
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        return secured


def _forwarded_https(scope: Scope, settings: Settings) -> bool:
    """X-Forwarded-Proto counts only from a proxy the city named (CITY_TRUSTED_PROXIES)."""
    client = scope.get("client")
    if not client or client[0] not in settings.proxies:
        return False
    for name, value in scope["headers"]:
        if name == b"x-forwarded-proto":
            return value.split(b",")[0].strip().lower() == b"https"
    return False


async def _as_head(app: Any, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer HEAD as GET would, headers only. Once the answer has begun the app is told the client
    left, so an endless stream (the staff live feed) ends instead of running for nobody."""
    answered = asyncio.Event()
    started = False

    async def head_send(message: Message) -> None:
        nonlocal started
        if message["type"] == "http.response.start":
            started = True
            await send(message)
        elif message["type"] == "http.response.body" and not answered.is_set():
            answered.set()
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def head_receive() -> Message:
        if answered.is_set():
            return {"type": "http.disconnect"}
        upstream = asyncio.ensure_future(receive())
        gone = asyncio.ensure_future(answered.wait())
        done, _ = await asyncio.wait({upstream, gone}, return_when=asyncio.FIRST_COMPLETED)
        if upstream in done:
            gone.cancel()
            return upstream.result()
        upstream.cancel()
        return {"type": "http.disconnect"}

    await app({**scope, "method": "GET"}, head_receive, head_send)
    if started and not answered.is_set():
        await send({"type": "http.response.body", "body": b"", "more_body": False})
