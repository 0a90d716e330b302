"""Open311 GeoReport v2 at /open311/v2: each endpoint in JSON and in XML (read with a real XML parser),
a request filed by a keyed client entering the desk's queue like any citizen's, its status flowing
back as the workflow moves it, no personal data in any GET, and the spec's errors."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from xml.etree import ElementTree

import httpx
import msgspec
import pytest
from litestar import Litestar
from PIL import Image
from sqlalchemy import select, update

from backend.cases.models import Case
from backend.db import utcnow
from backend.open311 import keys
from backend.open311.models import ApiKey
from backend.uploads.models import Photo
from tests.api.conftest import INSIDE, OUTSIDE, advance, staff_headers
from tests.api.test_uploads import jpeg_with_gps
from tests.file_server import serving

PHONE = "13912345678"
EMAIL = "wang.fang@example.com"


@pytest.fixture(scope="module")
def media_server() -> Iterator[str]:
    with serving({"/photo.jpg": jpeg_with_gps(), "/notes.txt": "这不是照片".encode()}) as url:
        yield url


def configure(app: Litestar, **values: Any) -> None:
    app.state.settings = msgspec.structs.replace(app.state.settings, **values)


async def new_key(app: Litestar, name: str = "12345 热线") -> tuple[ApiKey, str]:
    async with app.state.sessionmaker() as session:
        return await keys.create_key(session, app.state.settings, name, None, "test")


def report(api_key: str, **overrides: str) -> dict[str, str]:
    form = {
        "api_key": api_key,
        "service_code": "C0101",
        "lat": str(INSIDE["lat"]),
        "long": str(INSIDE["lng"]),
        "address_string": "示范路 8 号",
        "description": f"井盖松动，请联系我 {PHONE}",
        "email": EMAIL,
        "phone": PHONE,
        "first_name": "芳",
        "last_name": "王",
        "account_id": "hotline-778",
        "attribute[cover_state]": "loose",
    }
    return {**form, **overrides}


def xml(response: httpx.Response) -> ElementTree.Element:
    assert response.headers["content-type"].startswith("text/xml"), response.headers["content-type"]
    return ElementTree.fromstring(response.content)


async def file_request(client: httpx.AsyncClient, form: dict[str, str], fmt: str = "json") -> httpx.Response:
    return await client.post(f"/open311/v2/requests.{fmt}", data=form)


async def stored_case(app: Litestar, tracking_no: str) -> Case:
    async with app.state.sessionmaker() as session:
        case = await session.scalar(select(Case).where(Case.tracking_no == tracking_no))
        assert case is not None
        return case


async def test_discovery_names_the_endpoint_and_both_formats(client: httpx.AsyncClient) -> None:
    found = (await client.get("/open311/v2/discovery.json")).json()
    [endpoint] = found["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert set(endpoint["formats"]) == {"application/json", "text/xml"}
    assert found["contact"] and found["changeset"]

    root = xml(await client.get("/open311/v2/discovery.xml"))
    assert root.tag == "discovery"
    formats = [f.text for f in root.findall("./endpoints/endpoint/formats/format")]
    assert set(formats) == {"application/json", "text/xml"}


async def test_services_are_the_minor_categories_and_the_types_that_need_none(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    services = (await client.get("/open311/v2/services.json")).json()
    catalog = await app.state.catalog.snapshot(app.state.sessionmaker())
    minors = [c.code for c in catalog.categories.values() if c.active and c.parent_code]
    assert [s["service_code"] for s in services] == minors + ["inquiry", "suggestion", "praise"]
    cover = next(s for s in services if s["service_code"] == "C0101")
    assert cover == {
        "service_code": "C0101",
        "service_name": "上水井盖",
        "description": "部件 · 公用设施 · 上水井盖",
        "metadata": True,
        "type": "realtime",
        "keywords": "部件, 公用设施, 0101",
        "group": "公用设施",
    }
    assert next(s for s in services if s["service_code"] == "C0102")["metadata"] is False

    english = xml(await client.get("/open311/v2/services.xml", headers={"Accept-Language": "en"}))
    assert english.tag == "services"
    first = english.find("service")
    assert first is not None and first.findtext("service_code") == "C0101"
    assert first.findtext("service_name") == "Water supply manhole cover"
    assert first.findtext("metadata") == "true"
    assert len(english.findall("service")) == len(services)


async def test_a_service_definition_lists_its_attributes(client: httpx.AsyncClient) -> None:
    definition = (await client.get("/open311/v2/services/C0101.json")).json()
    [attribute] = definition["attributes"]
    assert attribute["code"] == "cover_state" and attribute["datatype"] == "singlevaluelist"
    assert attribute["variable"] is True and attribute["required"] is False and attribute["order"] == 1
    assert {"key": "loose", "name": "松动"} in attribute["values"]

    root = xml(await client.get("/open311/v2/services/C0101.xml", headers={"Accept-Language": "en"}))
    assert root.tag == "service_definition" and root.findtext("service_code") == "C0101"
    values = root.findall("./attributes/attribute/values/value")
    assert ("loose", "Loose") in [(v.findtext("key"), v.findtext("name")) for v in values]

    plain = (await client.get("/open311/v2/services/E0101.json")).json()
    assert plain == {"service_code": "E0101", "attributes": []}


async def test_unknown_services_and_formats_are_the_specs_404(client: httpx.AsyncClient) -> None:
    missing = await client.get("/open311/v2/services/X9999.json")
    assert missing.status_code == 404
    [error] = missing.json()
    assert (
        error["code"] == 404 and error["problem"] == "service_not_found" and "X9999" in error["description"]
    )

    in_xml = await client.get("/open311/v2/services/X9999.xml", headers={"Accept-Language": "en"})
    root = xml(in_xml)
    assert in_xml.status_code == 404 and root.tag == "errors"
    assert root.findtext("./error/code") == "404"
    assert (
        root.findtext("./error/description")
        == "There is no service with code X9999; read the services list first."
    )

    assert (await client.get("/open311/v2/services.yaml")).status_code == 404
    other = await client.get("/open311/v2/services.json", params={"jurisdiction_id": "elsewhere.example"})
    assert other.status_code == 404 and other.json()[0]["problem"] == "jurisdiction_not_found"
    ours = await client.get("/open311/v2/services.json", params={"jurisdiction_id": "city.example"})
    assert ours.status_code == 200


async def test_a_filed_request_is_a_case_in_the_desks_queue_with_its_client(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    _, api_key = await new_key(app)
    answer = await file_request(client, report(api_key))
    assert answer.status_code == 201, answer.text
    [created] = answer.json()
    assert created["account_id"] == "hotline-778"
    assert created["service_request_id"] in created["service_notice"]

    case = await stored_case(app, created["service_request_id"])
    assert (case.source, case.source_client, case.status) == ("open311", "12345 热线", "submitted")
    assert (case.request_type, case.category_code) == ("complaint", "C0101")
    assert (case.contact_phone, case.contact_email, case.contact_name) == (PHONE, EMAIL, "王芳")
    assert case.attributes == {"cover_state": "loose"}
    assert case.address == "示范路 8 号"

    desk = await staff_headers(app, "dispatcher")
    queue = (await client.get("/api/v1/staff/cases", params={"status": "submitted"}, headers=desk)).json()
    row = next(item for item in queue["items"] if item["tracking_no"] == created["service_request_id"])
    assert (row["source"], row["source_client"]) == ("open311", "12345 热线")
    detail = (await client.get(f"/api/v1/staff/cases/{row['id']}", headers=desk)).json()
    assert (detail["contact_name"], detail["contact_email"]) == ("王芳", EMAIL)
    assert detail["attributes"] == [{"code": "cover_state", "name": "井盖的情况", "value": "松动"}]

    inquiry = {
        k: v for k, v in report(api_key, service_code="inquiry").items() if not k.startswith("attribute")
    }
    in_xml = await file_request(client, inquiry, "xml")
    assert in_xml.status_code == 201
    root = xml(in_xml)
    assert root.tag == "service_requests"
    tracking_no = root.findtext("./request/service_request_id")
    assert tracking_no and (await stored_case(app, tracking_no)).request_type == "inquiry"


async def test_the_status_flows_back_and_no_get_shows_personal_data(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    _, api_key = await new_key(app)
    [created] = (await file_request(client, report(api_key))).json()
    tracking_no = created["service_request_id"]
    case = await stored_case(app, tracking_no)

    def public(document: dict[str, Any]) -> None:
        text = msgspec.json.encode(document).decode()
        for secret in (PHONE, EMAIL, "王", "芳", "示范路", "hotline-778", "仍有晃动"):
            assert secret not in text, secret

    [first] = (await client.get(f"/open311/v2/requests/{tracking_no}.json")).json()
    public(first)
    assert first["status"] == "open" and first["status_notes"] is None
    assert first["service_code"] == "C0101" and first["service_name"] == "上水井盖"
    assert first["description"].startswith("井盖松动") and "*" * 11 in first["description"]
    assert (first["lat"], first["long"]) == (round(case.lat, 4), round(case.lng, 4))
    catalog = await app.state.catalog.snapshot(app.state.sessionmaker())
    grid = next(g for g in catalog.grids if g.code == case.grid_code)
    assert first["address"] == grid.name, "the unit grid, never the address given"
    assert first["requested_datetime"].endswith("+08:00")

    desk = await staff_headers(app, "dispatcher", "supervisor")
    await advance(
        client,
        desk,
        str(case.id),
        [
            ("accept", {}),
            ("dispatch", {"department_code": "SZ-MUNI"}),
            ("start", {}),
            ("handle", {"public_message": "已更换井盖"}),
            ("check_fail", {"internal_note": "井盖仍有晃动"}),
        ],
    )
    [reworked] = (await client.get(f"/open311/v2/requests/{tracking_no}.json")).json()
    public(reworked)
    assert reworked["status"] == "open"
    assert reworked["agency_responsible"] and reworked["expected_datetime"]
    await advance(
        client,
        desk,
        str(case.id),
        [("start", {}), ("handle", {"public_message": "已重新安装并固定井盖"}), ("check_pass", {})],
    )
    root = xml(await client.get(f"/open311/v2/requests/{tracking_no}.xml"))
    request = root.find("request")
    assert request is not None
    assert request.findtext("status") == "closed"
    assert request.findtext("status_notes") == "已重新安装并固定井盖"
    for secret in (PHONE, EMAIL, "王芳", "示范路", "仍有晃动"):
        assert secret not in ElementTree.tostring(root, encoding="unicode")

    missing = await client.get("/open311/v2/requests/209901010000.json")
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404


async def test_requests_are_filtered_by_code_status_and_dates_newest_first(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    _, api_key = await new_key(app)
    made = []
    for code in ("C0101", "C0102", "inquiry"):
        # An empty field is a question not answered, whatever the service.
        answer = await file_request(
            client, report(api_key, service_code=code, **{"attribute[cover_state]": ""})
        )
        assert answer.status_code == 201, answer.text
        made.append(answer.json()[0])
    ids = [m["service_request_id"] for m in made]
    # The first was filed 100 days ago: outside the default window of 90.
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(Case).where(Case.tracking_no == ids[0]).values(created_at=utcnow() - timedelta(days=100))
        )

    listed = [r["service_request_id"] for r in (await client.get("/open311/v2/requests.json")).json()]
    assert listed == [ids[2], ids[1]]
    by_code = (await client.get("/open311/v2/requests.json", params={"service_code": "C0102,inquiry"})).json()
    assert [r["service_code"] for r in by_code] == ["inquiry", "C0102"]
    assert (await client.get("/open311/v2/requests.json", params={"status": "closed"})).json() == []
    both = await client.get("/open311/v2/requests.json", params={"status": "open,closed"})
    assert len(both.json()) == 2
    old = (utcnow() - timedelta(days=120)).isoformat()
    window = {"start_date": old, "end_date": (utcnow() - timedelta(days=50)).isoformat()}
    assert [
        r["service_request_id"] for r in (await client.get("/open311/v2/requests.json", params=window)).json()
    ] == [ids[0]]
    # Ids given: those, whatever their date.
    chosen = await client.get("/open311/v2/requests.xml", params={"service_request_id": f"{ids[0]},{ids[2]}"})
    assert sorted(r.findtext("service_request_id") or "" for r in xml(chosen).findall("request")) == sorted(
        [ids[0], ids[2]]
    )

    configure(app, open311_max_requests=1)
    assert len((await client.get("/open311/v2/requests.json")).json()) == 1
    wrong = await client.get("/open311/v2/requests.json", params={"status": "pending"})
    assert wrong.status_code == 400 and wrong.json()[0]["problem"] == "open311_invalid_status"
    bad_date = await client.get("/open311/v2/requests.json", params={"start_date": "last tuesday"})
    assert bad_date.status_code == 400 and bad_date.json()[0]["problem"] == "open311_invalid_date"


@pytest.mark.parametrize(
    ("change", "status", "problem"),
    [
        ({"api_key": ""}, 400, "api_key_required"),
        ({"api_key": "c311_not-a-key"}, 403, "api_key_invalid"),
        ({"lat": "", "long": ""}, 400, "open311_location_required"),
        ({"lat": str(OUTSIDE["lat"]), "long": str(OUTSIDE["lng"])}, 400, "outside_service_area"),
        ({"service_code": "X9999"}, 404, "service_not_found"),
        ({"attribute[cover_state]": "shiny"}, 400, "open311_invalid_attribute"),
        ({"attribute[colour]": "red"}, 400, "open311_invalid_attribute"),
        ({"email": "not an address"}, 400, "open311_invalid_email"),
        ({"phone": "12"}, 400, "invalid_phone"),
        ({"lat": "north"}, 400, "validation_error"),
    ],
)
async def test_bad_requests_are_refused_in_the_specs_shape_and_store_nothing(
    client: httpx.AsyncClient, app: Litestar, change: dict[str, str], status: int, problem: str
) -> None:
    _, api_key = await new_key(app)
    form = {k: v for k, v in {**report(api_key), **change}.items() if v != "" or k == "api_key"}
    # With a photo: a refused request fetches and keeps none.
    answer = await client.post(
        "/open311/v2/requests.json", data=form, files={"media": ("p.jpg", jpeg_with_gps(), "image/jpeg")}
    )
    assert answer.status_code == status, answer.text
    [error] = answer.json()
    assert (error["code"], error["problem"]) == (status, problem)
    assert error["description"]
    async with app.state.sessionmaker() as session:
        assert list(await session.scalars(select(Case))) == []
        assert list(await session.scalars(select(Photo))) == []


async def test_a_revoked_key_is_refused_and_each_key_has_its_own_limits(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    configure(app, open311_requests_per_key_per_minute=2)
    revoked, revoked_key = await new_key(app, "旧客户端")
    _, busy_key = await new_key(app, "忙碌的客户端")
    _, other_key = await new_key(app, "另一个客户端")
    async with app.state.sessionmaker() as session:
        await keys.revoke_key(session, app.state.settings, revoked.id, None, "test")
    refused = await file_request(client, report(revoked_key), "xml")
    assert refused.status_code == 403 and xml(refused).findtext("./error/code") == "403"

    for _ in range(2):
        assert (await file_request(client, report(busy_key))).status_code == 201
    limited = await file_request(client, report(busy_key))
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert limited.json()[0]["problem"] == "rate_limited"
    assert (await file_request(client, report(other_key))).status_code == 201


async def test_a_photo_by_url_or_in_the_form_goes_through_the_pipeline(
    client: httpx.AsyncClient, app: Litestar, media_server: str
) -> None:
    _, api_key = await new_key(app)
    # A private address is refused by default: a client must not make the server fetch from inside.
    private = await file_request(client, report(api_key, media_url=f"{media_server}/photo.jpg"))
    assert private.status_code == 400 and private.json()[0]["problem"] == "open311_media_unusable"

    configure(app, open311_media_allow_private=True)
    by_url = await file_request(client, report(api_key, media_url=f"{media_server}/photo.jpg"))
    assert by_url.status_code == 201, by_url.text
    not_a_photo = await file_request(client, report(api_key, media_url=f"{media_server}/notes.txt"))
    assert not_a_photo.status_code == 400 and not_a_photo.json()[0]["problem"] == "unsupported_media_type"

    form = report(api_key)
    uploaded = await client.post(
        "/open311/v2/requests.json", data=form, files={"media": ("p.jpg", jpeg_with_gps(), "image/jpeg")}
    )
    assert uploaded.status_code == 201, uploaded.text

    for answer in (by_url, uploaded):
        tracking_no = answer.json()[0]["service_request_id"]
        case = await stored_case(app, tracking_no)
        async with app.state.sessionmaker() as session:
            [photo] = list(await session.scalars(select(Photo).where(Photo.case_id == case.id)))
        assert (photo.width, photo.height) == (900, 1200)
        [shown] = (await client.get(f"/open311/v2/requests/{tracking_no}.json")).json()
        assert shown["media_url"].endswith(f"/api/v1/photos/{photo.id}/display.jpg")
        rendition = await client.get(httpx.URL(shown["media_url"]).path)
        image = Image.open(io.BytesIO(rendition.content))
        assert 0x8825 not in image.getexif(), "GPS stripped from what anyone may read"


async def test_admins_make_list_and_revoke_keys_shown_once(client: httpx.AsyncClient, app: Litestar) -> None:
    admin = await staff_headers(app, "admin")
    made = await client.post("/api/v1/admin/api-keys", json={"name": "FixMyStreet"}, headers=admin)
    assert made.status_code == 201, made.text
    key = made.json()["key"]
    assert key.startswith("c311_") and made.json()["api_key"]["prefix"] == key[:10]
    taken = await client.post("/api/v1/admin/api-keys", json={"name": "FixMyStreet"}, headers=admin)
    assert taken.status_code == 409 and taken.json()["code"] == "api_key_name_taken"

    listed = await client.get("/api/v1/admin/api-keys", headers=admin)
    assert key not in listed.text
    [row] = listed.json()["items"]
    assert row["name"] == "FixMyStreet" and row["last_used_at"] is None
    async with app.state.sessionmaker() as session:
        stored = await session.get(ApiKey, uuid.UUID(row["id"]))
        assert stored is not None and key not in (stored.key_digest, stored.prefix)
    assert (await file_request(client, report(key))).status_code == 201
    used = (await client.get("/api/v1/admin/api-keys", headers=admin)).json()["items"][0]
    assert used["last_used_at"] is not None

    desk = await staff_headers(app, "dispatcher")
    assert (await client.get("/api/v1/admin/api-keys", headers=desk)).status_code == 403
    revoked = await client.post(f"/api/v1/admin/api-keys/{row['id']}/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert (await file_request(client, report(key))).status_code == 403
