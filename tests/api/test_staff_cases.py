"""The staff API: who may use it, the queue (filters, keyset pages, counts), a case in full with its
audit trail, duplicate candidates and the map."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from PIL import Image
from sqlalchemy import select

from backend.models import AuditEntry
from tests.api.conftest import INSIDE, act, device_headers, set_fields, staff_headers, submit, upload_photo

STAFF_GETS = (
    "/api/v1/staff/cases",
    "/api/v1/staff/cases/counts",
    "/api/v1/staff/cases/geo?bbox=120.1,30.2,120.2,30.3",
    f"/api/v1/staff/cases/{uuid.uuid4()}",
    f"/api/v1/staff/cases/{uuid.uuid4()}/duplicates",
    f"/api/v1/staff/photos/{uuid.uuid4()}/original",
    "/api/v1/staff/stream",
    "/api/v1/stats/overview",
)


@pytest.mark.parametrize("roles", [("citizen",), ("inspector",), ("integration",)])
async def test_staff_routes_refuse_other_roles(
    client: httpx.AsyncClient, app: Litestar, roles: tuple[str]
) -> None:
    headers = await staff_headers(app, *roles)
    for path in STAFF_GETS:
        response = await client.get(path, headers=headers)
        assert response.status_code == 403, (path, response.status_code)
        assert response.json()["code"] == "forbidden"
    body = {"action": "accept", "expected_version": 1}
    refused = await client.post(f"/api/v1/staff/cases/{uuid.uuid4()}/actions", json=body, headers=headers)
    assert refused.status_code == 403


async def test_staff_routes_need_a_token(client: httpx.AsyncClient) -> None:
    for path in STAFF_GETS:
        assert (await client.get(path)).status_code == 401, path


async def test_queue_filters_and_counts(client: httpx.AsyncClient, app: Litestar) -> None:
    staff = await staff_headers(app, "dispatcher")
    citizen = await device_headers(client)
    manhole = await submit(client, citizen, description="井盖破损 A")
    dumping = await submit(client, citizen, category_code="E0101", description="倾倒垃圾 B", address="湖滨路")
    praise = await submit(client, citizen, type="praise", category_code=None, description="表扬环卫工人")
    late = await submit(client, citizen, description="井盖缺失 C")
    past = datetime.now(UTC) - timedelta(hours=2)
    await set_fields(app, late["id"], status="dispatched", department_code="SZ-MUNI", deadline_at=past)

    async def ids(**params: Any) -> list[str]:
        response = await client.get("/api/v1/staff/cases", params=params, headers=staff)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids() == [late["id"], praise["id"], dumping["id"], manhole["id"]]
    assert await ids(status="submitted") == [praise["id"], dumping["id"], manhole["id"]]
    assert await ids(status=["dispatched", "submitted"], type="praise") == [praise["id"]]
    assert await ids(category="E01") == [dumping["id"]]
    assert await ids(category="C0101") == [late["id"], manhole["id"]]
    assert await ids(overdue="true") == [late["id"]]
    assert late["id"] not in await ids(overdue="false")
    assert await ids(department="SZ-MUNI") == [late["id"]]
    assert await ids(q="湖滨") == [dumping["id"]]
    assert await ids(q=manhole["tracking_no"]) == [manhole["id"]]
    assert await ids(grid=manhole["grid_code"][:9]) == await ids()
    assert await ids(**{"from": "2000-01-01T00:00:00Z", "to": "2000-01-02T00:00:00Z"}) == []
    naive = await client.get("/api/v1/staff/cases", params={"from": "2026-01-01T00:00:00"}, headers=staff)
    assert naive.status_code == 400 and naive.json()["code"] == "naive_datetime"
    bad_status = await client.get("/api/v1/staff/cases", params={"status": "lost"}, headers=staff)
    assert bad_status.status_code == 422 and bad_status.json()["code"] == "validation_error"

    row = next(
        item
        for item in (await client.get("/api/v1/staff/cases", headers=staff)).json()["items"]
        if item["id"] == late["id"]
    )
    assert row["overdue"] is True and row["department_name"] and row["status_name"]

    counts = (
        await client.get("/api/v1/staff/cases/counts", params={"status": "closed"}, headers=staff)
    ).json()
    assert counts == {"counts": {"submitted": 3, "dispatched": 1}, "total": 4, "overdue": 1}
    by_type = (
        await client.get("/api/v1/staff/cases/counts", params={"type": "praise"}, headers=staff)
    ).json()
    assert by_type["counts"] == {"submitted": 1} and by_type["overdue"] == 0


@pytest.mark.parametrize("sort", ["-created_at", "created_at"])
async def test_keyset_pages_stay_stable_while_cases_arrive(
    client: httpx.AsyncClient, app: Litestar, sort: str
) -> None:
    staff = await staff_headers(app, "dispatcher")
    citizen = await device_headers(client)
    before = [(await submit(client, citizen))["id"] for _ in range(7)]
    # Two cases reported in the same instant still page apart, by id.
    same = datetime.now(UTC) - timedelta(minutes=5)
    for case_id in before[2:4]:
        await set_fields(app, case_id, created_at=same)

    seen: list[str] = []
    cursor = None
    for page in range(10):
        params: dict[str, Any] = {"limit": 3, "sort": sort}
        if cursor:
            params["cursor"] = cursor
        answer = (await client.get("/api/v1/staff/cases", params=params, headers=staff)).json()
        seen += [item["id"] for item in answer["items"]]
        if page == 0:
            for _ in range(3):
                await submit(client, citizen)
        cursor = answer["next_cursor"]
        if not cursor:
            break
    expected_order = (
        await client.get("/api/v1/staff/cases", params={"limit": 100, "sort": sort}, headers=staff)
    ).json()
    ordered = [item["id"] for item in expected_order["items"] if item["id"] in before]
    assert len(seen) == len(set(seen)), "a case appeared on two pages"
    if sort == "-created_at":
        # Newer cases belong before page one; the pages after it are exactly the rest of the old ones.
        assert seen == ordered
    else:
        assert seen[:7] == ordered and len(seen) == 10


async def test_cursors_are_checked(client: httpx.AsyncClient, app: Litestar) -> None:
    staff = await staff_headers(app, "dispatcher")
    citizen = await device_headers(client)
    for _ in range(3):
        await submit(client, citizen)
    cursor = (await client.get("/api/v1/staff/cases", params={"limit": 1}, headers=staff)).json()[
        "next_cursor"
    ]
    other_sort = await client.get(
        "/api/v1/staff/cases", params={"cursor": cursor, "sort": "created_at"}, headers=staff
    )
    assert other_sort.status_code == 400 and other_sort.json()["code"] == "invalid_cursor"
    garbage = await client.get("/api/v1/staff/cases", params={"cursor": "bm9wZQ"}, headers=staff)
    assert garbage.status_code == 400 and garbage.json()["code"] == "invalid_cursor"


def exif_jpeg() -> bytes:
    image = Image.new("RGB", (320, 240), "olive")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


async def test_case_detail_shows_contact_and_is_audited(client: httpx.AsyncClient, app: Litestar) -> None:
    staff = await staff_headers(app, "dispatcher", username="li.dispatcher")
    citizen = await device_headers(client)
    photo = (await upload_photo(client, citizen, exif_jpeg())).json()
    case = await submit(client, citizen, photo_ids=[photo["id"]])

    response = await client.get(f"/api/v1/staff/cases/{case['id']}", headers=staff)
    assert response.status_code == 200, response.text
    detail = response.json()
    assert detail["contact_phone"] == "13912345678"
    assert detail["reporter"]["kind"] == "device"
    assert detail["description"] == case["description"]
    assert detail["allowed_actions"] == ["accept", "reject", "merge"]
    assert [e["action"] for e in detail["timeline"]] == ["submit"]
    original_url = detail["photos"][0]["original_url"]

    original = await client.get(original_url, headers=staff)
    assert original.status_code == 200
    assert {d.strip() for d in original.headers["cache-control"].split(",")} == {"private", "no-store"}
    assert Image.open(io.BytesIO(original.content)).getexif().get(0x010F) == "PhoneMaker"
    assert (await client.get(original_url, headers=citizen)).status_code == 403

    async with app.state.sessionmaker() as session:
        entries = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.occurred_at)))
    assert [(e.action, str(e.case_id)) for e in entries] == [
        ("case.viewed", case["id"]),
        ("photo.original_viewed", case["id"]),
    ]
    assert entries[1].subject == photo["id"]
    # The client's address is kept only as a keyed digest.
    assert entries[0].address_digest and "203.0.113.7" not in entries[0].address_digest

    supervisor = await staff_headers(app, "supervisor")
    log = (await client.get("/api/v1/audit", params={"case_id": case["id"]}, headers=supervisor)).json()
    assert [(e["action"], e["actor"]) for e in log["items"]] == [
        ("photo.original_viewed", "li.dispatcher"),
        ("case.viewed", "li.dispatcher"),
    ]
    assert (await client.get("/api/v1/audit", headers=staff)).status_code == 403
    assert (await client.get(f"/api/v1/staff/cases/{uuid.uuid4()}", headers=staff)).status_code == 404


async def test_duplicate_candidates(client: httpx.AsyncClient, app: Litestar) -> None:
    staff = await staff_headers(app, "dispatcher")
    citizen = await device_headers(client)
    case = await submit(client, citizen)
    near = await submit(client, citizen, location={"lat": INSIDE["lat"] + 0.0003, "lng": INSIDE["lng"]})
    nearer = await submit(client, citizen, location={"lat": INSIDE["lat"] + 0.0001, "lng": INSIDE["lng"]})
    other_kind = await submit(client, citizen, category_code="E0101")
    far = await submit(client, citizen, location={"lat": INSIDE["lat"] + 0.005, "lng": INSIDE["lng"]})
    old = await submit(client, citizen)
    await set_fields(app, old["id"], created_at=datetime.now(UTC) - timedelta(days=30))
    rejected = await submit(client, citizen)
    assert (await act(client, staff, rejected["id"], "reject", 1, public_message="无效")).status_code == 200

    answer = (
        await client.get(
            f"/api/v1/staff/cases/{case['id']}/duplicates", params={"same_category": "true"}, headers=staff
        )
    ).json()
    assert [c["case"]["id"] for c in answer["items"]] == [nearer["id"], near["id"]]
    assert 8 <= answer["items"][0]["distance_m"] <= 14 and 30 <= answer["items"][1]["distance_m"] <= 37

    wider = await client.get(
        f"/api/v1/staff/cases/{case['id']}/duplicates",
        params={"radius_m": 1000, "days": 60, "same_category": "false"},
        headers=staff,
    )
    found = {c["case"]["id"] for c in wider.json()["items"]}
    assert {near["id"], nearer["id"], other_kind["id"], far["id"], old["id"]} <= found
    assert case["id"] not in found and rejected["id"] not in found


SAMPLES = Path(__file__).resolve().parents[2] / "media" / "samples"


def photographed_again(path: Path) -> bytes:
    """The same scene as another picture of it: other size, other compression, other bytes."""
    with Image.open(path) as image:
        smaller = image.resize((image.width * 3 // 4, image.height * 3 // 4))
        buffer = io.BytesIO()
        smaller.save(buffer, "JPEG", quality=60)
    return buffer.getvalue()


async def test_the_same_scene_photographed_twice_ranks_first(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    staff = await staff_headers(app, "dispatcher")
    citizen = await device_headers(client)

    async def photo(data: bytes) -> str:
        answer = await upload_photo(client, citizen, data)
        assert answer.status_code == 201, answer.text
        return answer.json()["id"]

    case = await submit(client, citizen, photo_ids=[await photo((SAMPLES / "manhole.jpg").read_bytes())])
    # Same spot, category and words, another picture: alike in everything but the photo.
    twin_text = await submit(client, citizen, photo_ids=[await photo((SAMPLES / "dumping.jpg").read_bytes())])
    # 100 m off, filed as an event in other words, yet the same manhole in its photo.
    same_scene = await submit(
        client,
        citizen,
        category_code="E0406",
        description="路上有个坑",
        location={"lat": INSIDE["lat"] + 0.0009, "lng": INSIDE["lng"]},
        photo_ids=[await photo(photographed_again(SAMPLES / "manhole.jpg"))],
    )
    answer = (await client.get(f"/api/v1/staff/cases/{case['id']}/duplicates", headers=staff)).json()
    ranked = [(c["case"]["id"], c["reasons"]) for c in answer["items"]]
    assert [case_id for case_id, _ in ranked] == [same_scene["id"], twin_text["id"]]
    assert "same_photo" in ranked[0][1] and "same_category" not in ranked[0][1]
    assert {"same_category", "similar_text", "near"} <= set(ranked[1][1]) and "same_photo" not in ranked[1][1]
    scores = [c["score"] for c in answer["items"]]
    assert scores == sorted(scores, reverse=True) and 0 < scores[-1] < scores[0] <= 1


async def test_map_points_in_a_box(client: httpx.AsyncClient, app: Litestar) -> None:
    staff = await staff_headers(app, "dispatcher")
    citizen = await device_headers(client)
    inside = await submit(client, citizen)
    closed = await submit(client, citizen)
    await set_fields(app, closed["id"], status="closed")
    box = f"{INSIDE['lng'] - 0.01},{INSIDE['lat'] - 0.01},{INSIDE['lng'] + 0.01},{INSIDE['lat'] + 0.01}"
    answer = (await client.get("/api/v1/staff/cases/geo", params={"bbox": box}, headers=staff)).json()
    assert answer["type"] == "FeatureCollection" and answer["truncated"] is False
    assert [f["properties"]["id"] for f in answer["features"]] == [inside["id"]]
    feature = answer["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [INSIDE["lng"], INSIDE["lat"]]}
    with_closed = await client.get(
        "/api/v1/staff/cases/geo", params={"bbox": box, "status": ["closed"]}, headers=staff
    )
    assert [f["properties"]["id"] for f in with_closed.json()["features"]] == [closed["id"]]
    elsewhere = await client.get("/api/v1/staff/cases/geo", params={"bbox": "0,0,1,1"}, headers=staff)
    assert elsewhere.json()["features"] == []
    for bad in ("1,2,3", "a,b,c,d", "10,10,5,5"):
        refused = await client.get("/api/v1/staff/cases/geo", params={"bbox": bad}, headers=staff)
        assert refused.status_code == 400 and refused.json()["code"] == "invalid_bbox"
