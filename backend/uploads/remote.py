"""Photos fetched from a URL someone else gives us (a platform's after-photo, an Open311 client's
media_url): with limits on scheme, size, redirects and time, and, for callers outside the city's
network, never from loopback or private addresses, redirects and DNS rebinding included (the
resolver keeps public addresses only, at every connection)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urljoin, urlsplit

import aiohttp

from backend.notify.addresses import PublicResolver, is_public

MAX_REDIRECTS = 3
_CHUNK = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class Unusable(Exception):
    """Why a URL gave no usable photo (a stable reason, not the remote's words)."""


def client(timeout_seconds: float, allow_private: bool) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(resolver=None if allow_private else PublicResolver())
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout_seconds))


async def fetch(http: aiohttp.ClientSession, url: str, limit: int, allow_private: bool) -> bytes:
    """The body at the URL, redirects followed here one by one so that each hop is checked as the
    first: a literal address never reaches the resolver, so a private one is refused by name."""
    for _ in range(MAX_REDIRECTS + 1):
        _check(url, allow_private)
        try:
            async with http.get(url, allow_redirects=False) as answer:
                if answer.status in _REDIRECTS and "Location" in answer.headers:
                    url = urljoin(url, answer.headers["Location"])
                    continue
                if not 200 <= answer.status < 300:
                    raise Unusable(f"http_{answer.status}")
                return await _body(answer, limit)
        except (aiohttp.ClientError, TimeoutError, OSError) as failed:
            raise Unusable(f"unreachable: {type(failed).__name__}") from None
    raise Unusable("too_many_redirects")


def _check(url: str, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise Unusable("scheme_not_allowed")
    if allow_private:
        return
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return  # a name: the resolver keeps its public addresses only
    if not is_public(str(literal)):
        raise Unusable("private_address")


async def _body(answer: aiohttp.ClientResponse, limit: int) -> bytes:
    if (answer.content_length or 0) > limit:
        raise Unusable("too_large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in answer.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > limit:  # a length that lied, or none given
            raise Unusable("too_large")
        chunks.append(chunk)
    return b"".join(chunks)
