"""Push endpoints must be public: a subscription is a URL the server will POST to, so one pointing into
the city's own network (loopback, private, link-local) would let anyone make the worker call it."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from backend.errors import ApiError


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_global and not ip.is_multicast


async def check_endpoint(endpoint: str, allow_private: bool) -> str:
    """The endpoint's origin (scheme://host[:port]) if the worker may send to it; 422 otherwise."""
    try:
        parts = urlsplit(endpoint)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ApiError(422, "push_endpoint_refused", reason="not_a_url") from None
    if host is None or parts.scheme not in ("https", "http") or parts.username or parts.password:
        raise ApiError(422, "push_endpoint_refused", reason="not_a_url")
    if allow_private:
        return f"{parts.scheme}://{parts.netloc}"
    if parts.scheme != "https":
        raise ApiError(422, "push_endpoint_refused", reason="not_https")
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
    except OSError:
        raise ApiError(422, "push_endpoint_refused", reason="unknown_host") from None
    if not found or not all(is_public(str(info[4][0])) for info in found):
        raise ApiError(422, "push_endpoint_refused", reason="private_address")
    return f"{parts.scheme}://{parts.netloc}"


class PublicResolver(AbstractResolver):
    """Resolves as usual and keeps only public addresses, so a name that resolved to a public address
    when subscribed and to a private one since (DNS rebinding) is not sent to."""

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        public = [r for r in await self._inner.resolve(host, port, family) if is_public(r["host"])]
        if not public:
            raise OSError(f"{host} has no public address")
        return public

    async def close(self) -> None:
        await self._inner.close()
