"""Categories, unit grids, /healthz and the OpenAPI document."""

from __future__ import annotations

import json

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import select

from backend.catalog.lookup import load_snapshot
from backend.catalog.models import Category, Grid
from backend.catalog.service import (
    DEFAULT_CATEGORY_FILE,
    CatalogFileError,
    import_grids,
    load_categories,
)
from tests.api.conftest import INSIDE, OUTSIDE


async def test_categories_list_the_standard_classes(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/categories")
    assert response.status_code == 200
    body = response.json()
    assert [t["code"] for t in body["request_types"]] == [
        "complaint",
        "inquiry",
        "suggestion",
        "help",
        "praise",
    ]
    assert body["request_types"][0]["name"] == "投诉"
    majors = {kind: [c for c in body["categories"] if c["kind"] == kind] for kind in ("component", "event")}
    assert [m["gb_code"] for m in majors["component"]] == ["01", "02", "03", "04", "05", "06"]
    assert len(majors["event"]) >= 5
    assert sum(len(m["minors"]) for m in majors["component"]) >= 40
    assert sum(len(m["minors"]) for m in majors["event"]) >= 30
    manhole = next(m for m in majors["component"][0]["minors"] if m["code"] == "C0101")
    assert manhole["names"]["zh-CN"] and manhole["names"]["en"] and manhole["deadline_hours"] > 0
    assert manhole["name"] == manhole["names"]["zh-CN"]


async def test_categories_in_english(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v1/categories", headers={"Accept-Language": "en-US"})).json()
    assert body["request_types"][0]["name"] == "Complaint"
    minor = body["categories"][0]["minors"][0]
    assert minor["name"] == minor["names"]["en"]


class _Rollback(Exception):
    """Undo the experiment: the session-wide catalog stays as the other tests expect it."""


async def test_a_citys_file_retires_missing_codes(app: Litestar) -> None:
    original = json.loads(DEFAULT_CATEGORY_FILE.read_text(encoding="utf-8"))
    smaller = {**original, "component": original["component"][:1], "event": original["event"][:1]}
    async with app.state.sessionmaker() as session:
        try:
            async with session.begin():
                report = await load_categories(session, json.dumps(smaller).encode())
                assert report.retired > 0
                active = set(await session.scalars(select(Category.code).where(Category.active.is_(True))))
                assert "C0101" in active and "C0201" not in active
                raise _Rollback
        except _Rollback:
            pass


async def test_bad_category_file_is_refused(app: Litestar) -> None:
    bad = {
        "component": [
            {
                "code": "01",
                "zh": "公用设施",
                "en": "Utilities",
                "minors": [{"code": "0201", "zh": "x", "en": "x", "deadline_hours": 4}],
            }
        ],
        "event": [],
    }
    async with app.state.sessionmaker() as session:
        with pytest.raises(CatalogFileError, match="not under major class"):
            await load_categories(session, json.dumps(bad).encode())


async def test_grid_lookup_and_bad_grid_files(app: Litestar) -> None:
    async with app.state.sessionmaker() as session:
        async with session.begin():
            catalog = await load_snapshot(session)
        grid = catalog.grid_at(INSIDE["lat"], INSIDE["lng"])
        assert grid is not None and len(grid.code) == 15
        assert catalog.grid_at(OUTSIDE["lat"], OUTSIDE["lng"]) is None
        # A point on the edge two grids share belongs to exactly one of them: the lower code.
        west, east = list(await session.scalars(select(Grid).order_by(Grid.code).limit(2)))
        edge_lng = west.max_lng
        assert edge_lng == east.min_lng
        assert catalog.grid_at((west.min_lat + west.max_lat) / 2, edge_lng).code == west.code
        bow_tie = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"code": "X1", "name": "x"},
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]],
                    },
                }
            ],
        }
        with pytest.raises(CatalogFileError, match="valid Polygon"):
            await import_grids(session, json.dumps(bow_tie).encode())


async def test_health_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "storage": "ok",
        "outbox_oldest_owed_s": None,
    }


async def test_health_names_the_failing_part(client: httpx.AsyncClient, app: Litestar) -> None:
    class BrokenStore:
        async def check(self) -> None:
            raise OSError("disk gone")

    app.state.store = BrokenStore()
    response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "ok",
        "storage": "error",
        "outbox_oldest_owed_s": None,
    }


async def test_openapi_is_served(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/api/v1/requests" in schema["paths"]
    assert "/api/v1/uploads" in schema["paths"]
    docs = await client.get("/schema")
    assert docs.status_code == 200 and "html" in docs.headers["content-type"]
