"""Sending one Web Push message: the payload encrypted for the browser (RFC 8291, aes128gcm, by
pywebpush) and signed for the push service (VAPID, RFC 8292), and what the service's answer means."""

from __future__ import annotations

import enum
import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import aiohttp
from py_vapid import Vapid02
from pywebpush import WebPusher, WebPushException

from backend.notify.vapid import b64url
from backend.settings import Settings

# A VAPID token may live up to 24 h; each is made for 12 and replaced after 11.
TOKEN_HOURS = 12
TOKEN_REUSE_SECONDS = 11 * 3600


class Verdict(enum.Enum):
    DELIVERED = "delivered"
    # 404/410: the browser unsubscribed or the subscription expired; it is removed.
    GONE = "gone"
    # 429, 5xx, no answer: tried again later.
    RETRY = "retry"
    # Any other refusal (400 malformed, 403 wrong key, 413 too large): sending again would not help.
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Outcome:
    verdict: Verdict
    status: int | None = None
    # The service's Retry-After, in seconds.
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class Message:
    endpoint: str
    p256dh: str
    auth: str
    payload: bytes
    ttl: int
    urgency: str
    tag: str


class PushSender:
    """One per worker: a signed VAPID header per push service, reused while it is valid."""

    def __init__(self, settings: Settings, http: aiohttp.ClientSession) -> None:
        self._vapid = Vapid02.from_raw(settings.vapid_private_key.encode())
        self._subject = settings.vapid_subject
        self._timeout = aiohttp.ClientTimeout(total=settings.push_timeout_seconds)
        self._http = http
        self._tokens: dict[str, tuple[float, dict[str, str]]] = {}

    def vapid_headers(self, endpoint: str) -> dict[str, str]:
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        now = time.time()
        made = self._tokens.get(audience)
        if made is None or now - made[0] > TOKEN_REUSE_SECONDS:
            claims = {"aud": audience, "sub": self._subject, "exp": int(now) + TOKEN_HOURS * 3600}
            made = (now, self._vapid.sign(claims))
            self._tokens[audience] = made
        return made[1]

    async def send(self, message: Message) -> Outcome:
        headers = {
            **self.vapid_headers(message.endpoint),
            "Urgency": message.urgency,
            # A newer message on the same case or task replaces one the service still holds.
            "Topic": topic(message.tag),
        }
        try:
            pusher = WebPusher(
                {"endpoint": message.endpoint, "keys": {"p256dh": message.p256dh, "auth": message.auth}},
                aiohttp_session=self._http,
            )
            response = await pusher.send_async(
                data=message.payload,
                headers=headers,
                ttl=message.ttl,
                content_encoding="aes128gcm",
                timeout=self._timeout,
            )
        except (TimeoutError, aiohttp.ClientError, OSError):
            return Outcome(Verdict.RETRY)
        except (WebPushException, ValueError):
            # Keys no browser would make (checked when subscribing; stored before that check): for good.
            return Outcome(Verdict.FAILED)
        assert not isinstance(response, str)
        return judge(response.status, response.headers.get("Retry-After"))


def topic(tag: str) -> str:
    """RFC 8030 Topic: at most 32 characters of the URL-safe base64 alphabet."""
    return b64url(hashlib.sha256(tag.encode()).digest()[:24])


def judge(status: int, retry_after: str | None) -> Outcome:
    if 200 <= status < 300:
        return Outcome(Verdict.DELIVERED, status)
    if status in (404, 410):
        return Outcome(Verdict.GONE, status)
    if status == 429 or status >= 500:
        return Outcome(Verdict.RETRY, status, _seconds(retry_after))
    return Outcome(Verdict.FAILED, status)


def _seconds(retry_after: str | None) -> float | None:
    """Retry-After as delay-seconds or as an HTTP date (RFC 9110 §10.2.3)."""
    if not retry_after:
        return None
    value = retry_after.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
