"""Guards the rest of the suite walks past: what "nearby" may list, who may rate or follow a case, and
that expired codes, expired tokens, deactivated accounts and withdrawn roles are refused. Each test
checks the answer AND what is stored."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import jwt
from litestar import Litestar
from sqlalchemy import func, select, update

from backend.accounts.models import OtpChallenge, User
from backend.accounts.service import create_staff_user
from backend.db import utcnow
from backend.models import Case, CaseFollower, OutboxEvent, TimelineEntry
from backend.settings import Settings
from tests.api.conftest import INSIDE, advance, device_headers, last_code, staff_headers, submit

TO_CLOSED: list[tuple[str, dict[str, Any]]] = [
    ("accept", {}),
    ("dispatch", {"department_code": "SZ-MUNI"}),
    ("start", {}),
    ("handle", {"public_message": "已更换井盖"}),
    ("check_pass", {"internal_note": "核查通过"}),
]


async def new_device(client: httpx.AsyncClient) -> tuple[dict[str, str], uuid.UUID]:
    response = await client.post("/api/v1/auth/device")
    assert response.status_code == 201, response.text
    body = response.json()
    return {"Authorization": f"Bearer {body['token']}"}, uuid.UUID(body["user_id"])


async def load_case(app: Litestar, case_id: str) -> Case:
    async with app.state.sessionmaker() as session:
        case = await session.get(Case, uuid.UUID(case_id))
        assert case is not None
        return case


async def count(app: Litestar, model: type, *where: Any) -> int:
    async with app.state.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def closed_rejected_merged(
    client: httpx.AsyncClient, app: Litestar, reporter: dict[str, str]
) -> tuple[dict[str, str], str, dict[str, str]]:
    """Three cases driven through the staff workflow API to closed, rejected and merged; returns the
    staff headers, the id of the open case the merged one went into, and {status: case id}."""
    desk = await staff_headers(app, "dispatcher", "supervisor")
    original = await submit(client, reporter)
    done: dict[str, str] = {}
    for status, steps in (
        ("closed", TO_CLOSED),
        ("rejected", [("reject", {"public_message": "不属于城市管理范围"})]),
        ("merged", [("merge", {"target_id": original["id"]})]),
    ):
        case = await submit(client, reporter)
        answer = await advance(client, desk, case["id"], steps)
        assert answer["summary"]["status"] == status
        done[status] = case["id"]
    return desk, original["id"], done


# 1. "Already reported?" lists open cases only.


async def test_nearby_lists_only_open_cases(client: httpx.AsyncClient, app: Litestar) -> None:
    reporter = await device_headers(client)
    desk, original_id, finished = await closed_rejected_merged(client, app, reporter)
    open_ids = {"submitted": original_id}
    for status, steps in (
        ("accepted", TO_CLOSED[:1]),
        ("dispatched", TO_CLOSED[:2]),
        ("in_progress", TO_CLOSED[:3]),
        ("handled", TO_CLOSED[:4]),
    ):
        case = await submit(client, reporter)
        assert (await advance(client, desk, case["id"], steps))["summary"]["status"] == status
        open_ids[status] = case["id"]
    # Reopened, a closed case is open again (accepted).
    reopened = await submit(client, reporter)
    await advance(client, desk, reopened["id"], [*TO_CLOSED, ("reopen", {"internal_note": "问题复发"})])
    open_ids["reopened"] = reopened["id"]
    for status, case_id in finished.items():
        assert (await load_case(app, case_id)).status == status

    response = await client.get("/api/v1/requests/nearby", params={**INSIDE, "radius_m": 200})

    assert response.status_code == 200, response.text
    items = response.json()["items"]
    listed = {item["id"]: item["status"] for item in items}
    leaked = {status for status, case_id in finished.items() if case_id in listed}
    assert not leaked, f"nearby lists {sorted(leaked)} cases"
    assert set(listed) == set(open_ids.values())
    assert sorted(listed.values()) == sorted(
        ["submitted", "accepted", "dispatched", "in_progress", "handled", "accepted"]
    )
    # The same with the category filter the report screen sends.
    filtered = await client.get(
        "/api/v1/requests/nearby", params={**INSIDE, "radius_m": 200, "category_code": "C0101"}
    )
    assert filtered.status_code == 200
    assert {item["id"] for item in filtered.json()["items"]} == set(open_ids.values())


# 2. Only the reporter may rate.


async def test_rating_someone_elses_case_is_not_found_and_stores_nothing(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    reporter = await device_headers(client)
    desk = await staff_headers(app, "dispatcher", "supervisor")
    case = await submit(client, reporter)
    await advance(client, desk, case["id"], TO_CLOSED)
    before = await load_case(app, case["id"])
    assert before.status == "closed" and before.rating_score is None
    stranger = await device_headers(client)
    url = f"/api/v1/requests/{case['id']}/rating"

    refused = await client.post(url, json={"score": 1, "comment": "差评"}, headers=stranger)

    assert refused.status_code == 404, refused.text
    assert refused.json()["code"] == "not_found"
    after = await load_case(app, case["id"])
    assert (after.rating_score, after.rating_comment, after.rated_at) == (None, None, None)
    assert after.version == before.version
    assert (
        await count(app, TimelineEntry, TimelineEntry.case_id == after.id, TimelineEntry.action == "rate")
        == 0
    )
    assert await count(app, OutboxEvent, OutboxEvent.event_type == "case.rated") == 0

    # The case was rateable all along: its reporter may.
    own = await client.post(url, json={"score": 5, "comment": "处理及时"}, headers=reporter)
    assert own.status_code == 200, own.text
    assert (await load_case(app, case["id"])).rating_score == 5


# 3. Following is for open cases.


async def test_following_a_finished_case_is_refused_and_stores_nothing(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    reporter = await device_headers(client)
    _, original_id, finished = await closed_rejected_merged(client, app, reporter)
    neighbour, neighbour_id = await new_device(client)

    for status, case_id in finished.items():
        refused = await client.post(f"/api/v1/requests/{case_id}/follow", headers=neighbour)
        assert refused.status_code == 404, (status, refused.text)
        assert refused.json()["code"] == "not_found", status
        assert await count(app, CaseFollower, CaseFollower.case_id == uuid.UUID(case_id)) == 0, status
    assert await count(app, CaseFollower, CaseFollower.user_id == neighbour_id) == 0
    followed = await client.get("/api/v1/requests/followed", headers=neighbour)
    assert followed.status_code == 200 and followed.json()["items"] == []

    # The same neighbour may follow the open one.
    ok = await client.post(f"/api/v1/requests/{original_id}/follow", headers=neighbour)
    assert ok.status_code == 200 and ok.json() == {"following": True}
    assert await count(app, CaseFollower, CaseFollower.user_id == neighbour_id) == 1


# 5. An SMS code is good until its expiry only.


async def test_an_expired_sms_code_does_not_sign_in(
    client: httpx.AsyncClient, app: Litestar, settings: Settings
) -> None:
    phone = "13755550123"
    sent = await client.post("/api/v1/auth/otp", json={"phone": phone})
    assert sent.status_code == 202, sent.text
    code = last_code(settings, phone)
    async with app.state.sessionmaker() as session, session.begin():
        moved = await session.execute(update(OtpChallenge).values(expires_at=utcnow() - timedelta(seconds=1)))
        assert moved.rowcount == 1

    refused = await client.post("/api/v1/auth/otp/verify", json={"phone": phone, "code": code})

    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "otp_invalid"
    assert "token" not in refused.json()
    assert await count(app, User, User.phone == phone) == 0
    assert await count(app, User, User.kind == "citizen") == 0
    async with app.state.sessionmaker() as session:
        challenge = await session.scalar(select(OtpChallenge))
        assert challenge is not None and challenge.consumed_at is None

    # The code itself was right: within its time it signs in.
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(update(OtpChallenge).values(expires_at=utcnow() + timedelta(minutes=5)))
    ok = await client.post("/api/v1/auth/otp/verify", json={"phone": phone, "code": code})
    assert ok.status_code == 200, ok.text
    assert await count(app, User, User.phone == phone) == 1


# 6. An expired token is refused.


def resigned(token: str, secret: str, exp_offset: timedelta) -> str:
    """The same token with every claim kept but `exp`, signed again with the app's key."""
    claims = jwt.decode(token, secret, algorithms=["HS256"])
    claims["exp"] = int((utcnow() + exp_offset).timestamp())
    return jwt.encode(claims, secret, algorithm="HS256")


async def test_an_expired_token_is_refused(
    client: httpx.AsyncClient, app: Litestar, settings: Settings
) -> None:
    registered = await client.post("/api/v1/auth/device")
    assert registered.status_code == 201
    token = registered.json()["token"]
    async with app.state.sessionmaker() as session:
        await create_staff_user(session, "desk-expired", "a long enough password", ["dispatcher"])
    login = await client.post(
        "/api/v1/auth/login", json={"username": "desk-expired", "password": "a long enough password"}
    )
    assert login.status_code == 200, login.text
    staff_token = login.json()["token"]

    for url, raw in (("/api/v1/requests", token), ("/api/v1/staff/cases", staff_token)):
        # Re-signing alone changes nothing: with a future exp the token still works.
        fresh = resigned(raw, settings.secret_key, timedelta(hours=1))
        assert (await client.get(url, headers={"Authorization": f"Bearer {fresh}"})).status_code == 200

        expired = resigned(raw, settings.secret_key, -timedelta(minutes=5))
        refused = await client.get(url, headers={"Authorization": f"Bearer {expired}"})

        assert refused.status_code == 401, (url, refused.text)
        assert refused.json()["code"] == "invalid_token"
        assert "invalid_token" in refused.headers["www-authenticate"]


# 7. Deactivation and withdrawn roles take effect on the next call.


async def staff_login(
    client: httpx.AsyncClient, app: Litestar, username: str, roles: list[str]
) -> dict[str, str]:
    async with app.state.sessionmaker() as session:
        await create_staff_user(session, username, "a long enough password", roles)
    response = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": "a long enough password"}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def test_a_deactivated_account_is_refused_at_once(client: httpx.AsyncClient, app: Litestar) -> None:
    headers = await staff_login(client, app, "desk-leaver", ["dispatcher"])
    assert (await client.get("/api/v1/staff/cases", headers=headers)).status_code == 200
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(update(User).where(User.username == "desk-leaver").values(is_active=False))

    refused = await client.get("/api/v1/staff/cases", headers=headers)

    assert refused.status_code == 401, refused.text
    assert refused.json()["code"] == "invalid_token"


async def test_a_withdrawn_role_is_refused_at_once(client: httpx.AsyncClient, app: Litestar) -> None:
    citizen = await device_headers(client)
    case = await submit(client, citizen)
    headers = await staff_login(client, app, "desk-mover", ["dispatcher", "inspector"])
    assert (await client.get("/api/v1/staff/cases", headers=headers)).status_code == 200
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(update(User).where(User.username == "desk-mover").values(roles=["inspector"]))

    refused = await client.get("/api/v1/staff/cases", headers=headers)

    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "forbidden"
    action = await client.post(
        f"/api/v1/staff/cases/{case['id']}/actions",
        json={"action": "accept", "expected_version": 1},
        headers=headers,
    )
    assert action.status_code == 403, action.text
    assert action.json()["code"] == "forbidden"
    stored = await load_case(app, case["id"])
    assert (stored.status, stored.version) == ("submitted", 1)
