"""What the notification tests share: a phone-signed-in citizen, and the worker's notify jobs run
on demand (fan-out, then pushes until none is owed, then the SMS outcomes)."""

from __future__ import annotations

import aiohttp
import httpx
from litestar import Litestar

from backend.accounts.sms import make_sms_sender
from backend.catalog.lookup import CatalogCache
from backend.notify.fanout import fan_out_pending
from backend.notify.push import PushSender
from backend.notify.sending import PushLoop, connector
from backend.notify.sms_outcome import send_due
from backend.settings import Settings
from tests.api.conftest import last_code


async def phone_citizen(client: httpx.AsyncClient, settings: Settings, phone: str) -> dict[str, str]:
    sent = await client.post("/api/v1/auth/otp", json={"phone": phone})
    assert sent.status_code == 202, sent.text
    verified = await client.post(
        "/api/v1/auth/otp/verify", json={"phone": phone, "code": last_code(settings, phone)}
    )
    assert verified.status_code == 200, verified.text
    return {"Authorization": f"Bearer {verified.json()['token']}"}


async def fan_out_all(app: Litestar) -> None:
    """The worker's fan-out, with a catalog cache of its own (cold, as a worker's starts)."""
    await fan_out_pending(app.state.settings, app.state.sessionmaker, CatalogCache(60))


async def push_all(app: Litestar, settings: Settings | None = None) -> None:
    """Send every push that is due now, and settle it (a retry that is due later stays owed)."""
    settings = settings or app.state.settings
    async with aiohttp.ClientSession(connector=connector(settings)) as http:
        loop = PushLoop(settings, app.state.sessionmaker, PushSender(settings, http))
        while await loop.run_once() or loop.in_flight or loop.ended:
            pass


async def send_sms(app: Litestar) -> int:
    settings: Settings = app.state.settings
    return await send_due(settings, app.state.sessionmaker, make_sms_sender(settings))
