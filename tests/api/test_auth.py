"""Device tokens, SMS codes (with their rate limits), staff login."""

from __future__ import annotations

import io
import logging
import uuid
from datetime import timedelta

import httpx
from litestar import Litestar
from sqlalchemy import select

from backend.accounts.models import OtpChallenge, User
from backend.accounts.service import create_staff_user
from backend.accounts.sms import SmsSendError, make_sms_sender
from backend.accounts.tokens import read
from backend.logs import json_formatter
from backend.models import Case, CaseFollower, Photo
from backend.settings import Settings
from tests.api.conftest import device_headers, last_code, request_body, sms_codes, submit, upload_photo

PHONE = "13812345678"


async def test_device_token_needs_no_personal_data(client: httpx.AsyncClient, app: Litestar) -> None:
    response = await client.post("/api/v1/auth/device")
    assert response.status_code == 201
    body = response.json()
    assert body["kind"] == "device" and body["roles"] == ["citizen"] and body["token_type"] == "Bearer"
    async with app.state.sessionmaker() as session:
        user = await session.get(User, uuid.UUID(body["user_id"]))
    assert user is not None and user.phone is None and user.kind == "device"


async def test_otp_login_moves_the_devices_requests(
    client: httpx.AsyncClient, app: Litestar, settings: Settings
) -> None:
    device = await device_headers(client)
    created = (await client.post("/api/v1/requests", json=request_body(), headers=device)).json()

    sent = await client.post("/api/v1/auth/otp", json={"phone": "+86 138-1234-5678"})
    assert sent.status_code == 202, sent.text
    assert sent.json()["resend_after"] == settings.otp_phone_interval_seconds
    code = last_code(settings, PHONE)

    verified = await client.post(
        "/api/v1/auth/otp/verify", json={"phone": PHONE, "code": code}, headers=device
    )
    assert verified.status_code == 200, verified.text
    citizen = verified.json()
    assert citizen["kind"] == "citizen" and citizen["moved_requests"] == 1
    citizen_headers = {"Authorization": f"Bearer {citizen['token']}"}

    mine = (await client.get("/api/v1/requests", headers=citizen_headers)).json()["items"]
    assert [item["id"] for item in mine] == [created["id"]]
    async with app.state.sessionmaker() as session:
        case = await session.get(Case, uuid.UUID(created["id"]))
        assert case is not None and str(case.reporter_id) == citizen["user_id"]

    # A code is good once.
    reused = await client.post("/api/v1/auth/otp/verify", json={"phone": PHONE, "code": code})
    assert reused.status_code == 422 and reused.json()["code"] == "otp_invalid"


async def test_phone_sign_in_moves_only_this_devices_photos_and_follows(
    client: httpx.AsyncClient, app: Litestar, settings: Settings
) -> None:
    this, other = await device_headers(client), await device_headers(client)
    mine = (await upload_photo(client, this)).json()["id"]
    theirs = (await upload_photo(client, other)).json()["id"]
    followed_by_both = await submit(client, await device_headers(client))
    followed_by_this = await submit(client, await device_headers(client))
    for headers, case in ((this, followed_by_both), (other, followed_by_both), (this, followed_by_this)):
        assert (
            await client.post(f"/api/v1/requests/{case['id']}/follow", headers=headers)
        ).status_code == 200
    # The citizen already follows one of them from another phone.
    await client.post("/api/v1/auth/otp", json={"phone": PHONE})
    first_phone = await client.post(
        "/api/v1/auth/otp/verify", json={"phone": PHONE, "code": last_code(settings, PHONE)}
    )
    citizen_id = uuid.UUID(first_phone.json()["user_id"])
    citizen = {"Authorization": f"Bearer {first_phone.json()['token']}"}
    assert (
        await client.post(f"/api/v1/requests/{followed_by_both['id']}/follow", headers=citizen)
    ).status_code == 200

    # A second code for the same phone, as if a few minutes had passed.
    async with app.state.sessionmaker() as session, session.begin():
        for challenge in await session.scalars(select(OtpChallenge)):
            challenge.created_at -= timedelta(minutes=5)
    await client.post("/api/v1/auth/otp", json={"phone": PHONE})
    verified = await client.post(
        "/api/v1/auth/otp/verify", json={"phone": PHONE, "code": last_code(settings, PHONE)}, headers=this
    )
    assert verified.status_code == 200 and uuid.UUID(verified.json()["user_id"]) == citizen_id

    this_id = await user_of(app, this)
    other_id = await user_of(app, other)
    async with app.state.sessionmaker() as session:
        owners = dict((await session.execute(select(Photo.id, Photo.owner_id))).all())
        follows = sorted(
            (str(case_id), user_id == citizen_id, user_id == other_id)
            for case_id, user_id in (
                await session.execute(select(CaseFollower.case_id, CaseFollower.user_id))
            ).all()
        )
    assert owners[uuid.UUID(mine)] == citizen_id and owners[uuid.UUID(theirs)] == other_id
    assert this_id not in owners.values()
    # Each case followed once by the citizen (no duplicate row), the other phone's follow untouched.
    assert follows == sorted(
        [
            (followed_by_both["id"], True, False),
            (followed_by_both["id"], False, True),
            (followed_by_this["id"], True, False),
        ]
    )


async def user_of(app: Litestar, headers: dict[str, str]) -> uuid.UUID:
    token = headers["Authorization"].split()[1]
    return read(token, app.state.settings.secret_key).user_id


async def test_the_same_phone_is_the_same_citizen(
    client: httpx.AsyncClient, app: Litestar, settings: Settings
) -> None:
    ids = []
    for _ in range(2):
        await client.post("/api/v1/auth/otp", json={"phone": PHONE})
        code = last_code(settings, PHONE)
        ids.append(
            (await client.post("/api/v1/auth/otp/verify", json={"phone": PHONE, "code": code})).json()[
                "user_id"
            ]
        )
        # Let the resend interval pass without sleeping.
        async with app.state.sessionmaker() as session, session.begin():
            for challenge in await session.scalars(select(OtpChallenge)):
                challenge.created_at = challenge.created_at.replace(year=2000)
    assert ids[0] == ids[1]


async def test_wrong_codes_burn_the_challenge(client: httpx.AsyncClient, settings: Settings) -> None:
    await client.post("/api/v1/auth/otp", json={"phone": PHONE})
    code = last_code(settings, PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        response = await client.post("/api/v1/auth/otp/verify", json={"phone": PHONE, "code": wrong})
        assert response.status_code == 422 and response.json()["code"] == "otp_invalid"
    late = await client.post("/api/v1/auth/otp/verify", json={"phone": PHONE, "code": code})
    assert late.status_code == 422, "the right code must not work after five wrong guesses"


async def test_otp_rate_limit_per_phone(client: httpx.AsyncClient, settings: Settings) -> None:
    assert (await client.post("/api/v1/auth/otp", json={"phone": PHONE})).status_code == 202
    again = await client.post("/api/v1/auth/otp", json={"phone": PHONE})
    assert again.status_code == 429
    assert again.json()["code"] == "otp_rate_limited"
    assert 0 < int(again.headers["retry-after"]) <= settings.otp_phone_interval_seconds
    assert len(sms_codes(settings)) == 1, "a refused request must not send a message"


async def test_otp_rate_limit_per_phone_per_hour(
    client: httpx.AsyncClient, app: Litestar, settings: Settings
) -> None:
    for _ in range(settings.otp_per_phone_per_hour):
        assert (await client.post("/api/v1/auth/otp", json={"phone": PHONE})).status_code == 202
        async with app.state.sessionmaker() as session, session.begin():
            # Age every challenge past the resend interval, still within the hour.
            for challenge in await session.scalars(select(OtpChallenge)):
                challenge.created_at = challenge.created_at - timedelta(
                    seconds=settings.otp_phone_interval_seconds + 1
                )
    response = await client.post("/api/v1/auth/otp", json={"phone": PHONE})
    assert response.status_code == 429


async def test_otp_rate_limit_per_client_address(client: httpx.AsyncClient, settings: Settings) -> None:
    for n in range(settings.otp_per_address_per_hour):
        response = await client.post("/api/v1/auth/otp", json={"phone": f"137{n:08d}"})
        assert response.status_code == 202, response.text
    blocked = await client.post("/api/v1/auth/otp", json={"phone": "13699999999"})
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "otp_rate_limited"


async def test_invalid_phone_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/otp", json={"phone": "12345"}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_phone"
    assert "11-digit" in response.json()["detail"]


async def test_no_phone_or_code_in_logs(client: httpx.AsyncClient, settings: Settings) -> None:
    """What the app's log handler writes, at DEBUG, holds no phone number, code or token."""
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.DEBUG)
    try:
        device = await device_headers(client)
        await client.post("/api/v1/auth/otp", json={"phone": PHONE})
        code = last_code(settings, PHONE)
        verified = await client.post("/api/v1/auth/otp/verify", json={"phone": PHONE, "code": code})
        await client.post("/api/v1/requests", json=request_body(contact_phone=PHONE), headers=device)
        logging.getLogger("probe").info("a careless line: %s %s", PHONE, device["Authorization"])
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    logged = written.getvalue()
    assert "request_submitted" in logged, "the app logged nothing, so this test would prove nothing"
    assert "a careless line" in logged
    for secret in (PHONE, code, verified.json()["token"], device["Authorization"].split()[1]):
        assert secret not in logged


async def test_staff_login(client: httpx.AsyncClient, app: Litestar) -> None:
    async with app.state.sessionmaker() as session:
        await create_staff_user(session, "zhang", "correct horse", ["dispatcher", "supervisor"])
    ok = await client.post("/api/v1/auth/login", json={"username": "zhang", "password": "correct horse"})
    assert ok.status_code == 200
    assert ok.json()["roles"] == ["dispatcher", "supervisor"] and ok.json()["kind"] == "staff"
    async with app.state.sessionmaker() as session:
        user = await session.scalar(select(User).where(User.username == "zhang"))
    assert user is not None and user.password_hash and user.password_hash.startswith("$argon2id$")

    for body in ({"username": "zhang", "password": "wrong"}, {"username": "nobody", "password": "x"}):
        refused = await client.post("/api/v1/auth/login", json=body)
        assert refused.status_code == 401
        assert refused.json()["code"] == "invalid_credentials"


async def test_an_sms_gateway_failure_stores_no_code(client: httpx.AsyncClient, app: Litestar) -> None:
    """The phone may ask again at once: a code that was never sent neither counts nor waits."""

    class Down:
        async def send(self, phone: str, text: str) -> None:
            raise SmsSendError("gateway down")

    app.state.sms = Down()
    failed = await client.post("/api/v1/auth/otp", json={"phone": PHONE})
    assert failed.status_code == 503 and failed.json()["code"] == "sms_unavailable"
    async with app.state.sessionmaker() as session:
        assert list(await session.scalars(select(OtpChallenge))) == []
    app.state.sms = make_sms_sender(app.state.settings)
    assert (await client.post("/api/v1/auth/otp", json={"phone": PHONE})).status_code == 202
