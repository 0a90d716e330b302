"""A Web Push service stand-in on loopback, and a browser's side of a subscription: what the worker's
pushes are checked against (the VAPID JWT, the aes128gcm body decrypted with the browser's key).

Each subscription is a path under /push/; a test scripts the answers a path gives (503 then 201, 410, a
slow answer) and reads what arrived there. Used by the tests and by bench/push.py.
"""

from __future__ import annotations

import asyncio
import base64
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Self

import http_ece
import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from multidict import CIMultiDict


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """The keys a browser makes when it subscribes (RFC 8291: a P-256 key pair and a 16-byte secret)."""

    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))

    def keys(self) -> dict[str, str]:
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"p256dh": _b64(point), "auth": _b64(self.auth_secret)}

    def subscription(self, endpoint: str, language: str = "zh-CN") -> dict[str, Any]:
        return {"endpoint": endpoint, "expirationTime": None, "keys": self.keys(), "language": language}

    def decrypt(self, body: bytes) -> bytes:
        return http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth_secret, version="aes128gcm")


@dataclass(frozen=True)
class Reply:
    status: int = 201
    retry_after: str | None = None
    delay: float = 0.0


@dataclass(frozen=True)
class Received:
    name: str
    # Case-insensitive, as HTTP headers are.
    headers: CIMultiDict[str]
    body: bytes
    at: float


def vapid_claims(authorization: str, audience: str) -> dict[str, Any]:
    """The JWT of an `Authorization: vapid t=…, k=…` header, its ES256 signature checked with the
    public key k (RFC 8292); PyJWT checks the audience and that it has not expired."""
    scheme, _, rest = authorization.partition(" ")
    assert scheme == "vapid", authorization
    parts = dict(item.strip().split("=", 1) for item in rest.split(","))
    point = _unb64(parts["k"])
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    return jwt.decode(
        parts["t"], public, algorithms=["ES256"], audience=audience, options={"require": ["exp"]}
    )


class PushService:
    """`async with PushService() as service:` serves on 127.0.0.1 at service.origin."""

    def __init__(self) -> None:
        self.received: dict[str, list[Received]] = defaultdict(list)
        self.scripts: dict[str, list[Reply]] = defaultdict(list)
        self.defaults: dict[str, Reply] = {}
        self.origin = ""
        self._runner: web.AppRunner | None = None

    def endpoint(self, name: str) -> str:
        return f"{self.origin}/push/{name}"

    def answer(self, name: str, *replies: Reply, then: Reply | None = None) -> None:
        """The next answers at this path, in order; after them `then` (default 201)."""
        self.scripts[name].extend(replies)
        if then is not None:
            self.defaults[name] = then

    async def _receive(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        body = await request.read()
        self.received[name].append(Received(name, request.headers.copy(), body, time.monotonic()))
        script = self.scripts[name]
        reply = script.pop(0) if script else self.defaults.get(name, Reply())
        if reply.delay:
            await asyncio.sleep(reply.delay)
        headers = {"Retry-After": reply.retry_after} if reply.retry_after else {}
        return web.Response(status=reply.status, headers=headers)

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_post("/push/{name}", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.origin = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()
