"""Sign-in cannot be guessed at speed or stall the server; a session ends when it should; a device
that signed in with a phone files as that citizen from then on."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import httpx
import msgspec
from litestar import Litestar
from sqlalchemy import func, select, update

from backend.accounts import passwords
from backend.accounts import service as accounts
from backend.accounts.models import AuthSession
from backend.accounts.service import create_staff_user
from backend.audit.models import AuditEntry
from backend.models import Case
from backend.quotas.models import QuotaHit
from backend.settings import Settings
from tests.api.conftest import device_headers, last_code, request_body

LOGIN = "/api/v1/auth/login"


async def make_staff(app: Litestar, username: str = "zhang", password: str = "correct horse") -> None:
    async with app.state.sessionmaker() as session:
        await create_staff_user(session, username, password, ["dispatcher"])


async def login(client: httpx.AsyncClient, username: str, password: str, **headers: str) -> httpx.Response:
    return await client.post(LOGIN, json={"username": username, "password": password}, headers=headers)


async def age_failures(app: Litestar, seconds: float) -> None:
    """As if the failures so far had happened `seconds` earlier."""
    async with app.state.sessionmaker() as session, session.begin():
        for hit in await session.scalars(select(QuotaHit)):
            hit.created_at -= timedelta(seconds=seconds)


async def test_wrong_passwords_are_throttled_with_a_growing_delay(
    client: httpx.AsyncClient, app: Litestar, settings: Settings
) -> None:
    await make_staff(app)
    free = settings.login_max_failures_per_user
    for _ in range(free):
        assert (await login(client, "zhang", "wrong")).status_code == 401
    throttled = await login(client, "zhang", "wrong")
    assert throttled.status_code == 429 and throttled.json()["code"] == "login_throttled"
    first_wait = int(throttled.headers["retry-after"])
    assert 1 <= first_wait <= accounts.FIRST_DELAY_SECONDS
    # While throttled even the right password is not looked at.
    assert (await login(client, "zhang", "correct horse")).status_code == 429

    await age_failures(app, first_wait + 1)
    assert (await login(client, "zhang", "wrong")).status_code == 401
    again = await login(client, "zhang", "wrong")
    assert again.status_code == 429
    assert int(again.headers["retry-after"]) > first_wait, "the delay must grow"

    # Other accounts from another address are not held up by zhang's guesser.
    await make_staff(app, "li", "another pass")
    other = await login(client, "li", "another pass")
    assert other.status_code == 200


async def test_one_address_trying_many_usernames_is_throttled(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    app.state.settings = msgspec.structs.replace(app.state.settings, login_max_failures_per_address=4)
    for n in range(4):
        assert (await login(client, f"user{n}", "guess")).status_code == 401
    blocked = await login(client, "someone-new", "guess")
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1


async def test_a_successful_sign_in_resets_the_count(client: httpx.AsyncClient, app: Litestar) -> None:
    await make_staff(app)
    for _ in range(3):
        await login(client, "zhang", "wrong")
    assert (await login(client, "zhang", "correct horse")).status_code == 200
    for _ in range(3):
        assert (await login(client, "zhang", "wrong")).status_code == 401


async def test_failed_sign_ins_are_audited(client: httpx.AsyncClient, app: Litestar) -> None:
    await make_staff(app)
    await login(client, "zhang", "wrong")
    await login(client, "nobody", "wrong")
    await login(client, "zhang", "correct horse")
    async with app.state.sessionmaker() as session:
        rows = (
            await session.execute(select(AuditEntry.action, AuditEntry.actor_id, AuditEntry.details))
        ).all()
    failed = [row for row in rows if row.action == "auth.login_failed"]
    assert len(failed) == 2
    assert sum(1 for row in failed if row.actor_id is None) == 1, "the unknown username has no actor"
    assert all("nobody" not in str(row.details) and "wrong" not in str(row.details) for row in failed)
    assert [row.action for row in rows].count("auth.login") == 1


async def test_passwords_are_checked_off_the_event_loop(
    client: httpx.AsyncClient, app: Litestar, monkeypatch: object
) -> None:
    await make_staff(app)
    threads: list[bool] = []
    real = passwords.verify_password

    def spy(password_hash: str | None, password: str) -> bool:
        threads.append(threading.current_thread() is threading.main_thread())
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", spy)  # type: ignore[attr-defined]
    await login(client, "zhang", "wrong")
    await login(client, "zhang", "correct horse")
    assert threads == [False, False], "argon2 ran on the event loop's thread"


async def test_sign_out_ends_the_session(client: httpx.AsyncClient, app: Litestar) -> None:
    await make_staff(app)
    token = (await login(client, "zhang", "correct horse")).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/staff/cases", headers=headers)).status_code == 200
    assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    refused = await client.get("/api/v1/staff/cases", headers=headers)
    assert refused.status_code == 401 and refused.json()["code"] == "invalid_token"
    async with app.state.sessionmaker() as session:
        revoked = await session.scalar(select(func.count()).where(AuthSession.revoked_at.is_not(None)))
    assert revoked == 1
    # A second sign-in is a session of its own.
    again = (await login(client, "zhang", "correct horse")).json()["token"]
    assert (
        await client.get("/api/v1/staff/cases", headers={"Authorization": f"Bearer {again}"})
    ).status_code == 200


async def test_a_forged_session_id_is_refused(client: httpx.AsyncClient, app: Litestar) -> None:
    device = await device_headers(client)
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(update(AuthSession).values(id=uuid.uuid4()))
    refused = await client.get("/api/v1/requests", headers=device)
    assert refused.status_code == 401 and refused.json()["code"] == "invalid_token"


async def test_an_old_device_token_files_with_the_citizen_after_phone_sign_in(
    client: httpx.AsyncClient, app: Litestar, settings: Settings
) -> None:
    device = await device_headers(client)
    phone = "13912340000"
    await client.post("/api/v1/auth/otp", json={"phone": phone})
    verified = await client.post(
        "/api/v1/auth/otp/verify", json={"phone": phone, "code": last_code(settings, phone)}, headers=device
    )
    citizen = {"Authorization": f"Bearer {verified.json()['token']}"}

    later = await client.post("/api/v1/requests", json=request_body(), headers=device)
    assert later.status_code == 201
    async with app.state.sessionmaker() as session:
        reporter = await session.scalar(
            select(Case.reporter_id).where(Case.id == uuid.UUID(later.json()["id"]))
        )
    assert str(reporter) == verified.json()["user_id"]
    mine = (await client.get("/api/v1/requests", headers=citizen)).json()["items"]
    assert later.json()["id"] in [item["id"] for item in mine]
    # And the old token reads the citizen's list too, so the phone shows what it filed.
    assert [i["id"] for i in (await client.get("/api/v1/requests", headers=device)).json()["items"]] == [
        i["id"] for i in mine
    ]


async def test_sign_out_ends_only_that_session(client: httpx.AsyncClient, app: Litestar) -> None:
    await make_staff(app)
    await make_staff(app, "li", "another pass")
    desk = {"Authorization": f"Bearer {(await login(client, 'zhang', 'correct horse')).json()['token']}"}
    tablet = {"Authorization": f"Bearer {(await login(client, 'zhang', 'correct horse')).json()['token']}"}
    colleague = {"Authorization": f"Bearer {(await login(client, 'li', 'another pass')).json()['token']}"}
    assert (await client.post("/api/v1/auth/logout", headers=desk)).status_code == 204
    assert (await client.get("/api/v1/staff/cases", headers=desk)).status_code == 401
    for still_in in (tablet, colleague):
        assert (await client.get("/api/v1/staff/cases", headers=still_in)).status_code == 200
