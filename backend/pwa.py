"""The built PWA at `/`, and GET /api/v1/config: what the PWA needs to know about this city."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.datastructures import CacheControlHeader, State
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from backend.edge.compression import SKIP
from backend.errors import ApiError
from backend.settings import Settings

# Written by the PWA build (pwa/scripts): best first.
PRECOMPRESSED = (("br", ".br"), ("gzip", ".gz"))

# Hashed file names never change content: cache them for a year. Everything else is revalidated,
# so a new index.html, manifest or service worker reaches phones on their next visit.
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_NOT_THE_APP = ("api/", "schema", "healthz")
# No file system takes a longer name, and no client route has one.
MAX_SEGMENT = 255
# Not left to the system's mime.types: a service worker served as anything but JavaScript is refused.
MEDIA_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".webmanifest": "application/manifest+json",
    ".json": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
}


class MapConfig(msgspec.Struct, frozen=True):
    tile_url: str
    attribution: str


class ServiceArea(msgspec.Struct, frozen=True):
    center: tuple[float, float]
    # [[south, west], [north, east]], as Leaflet takes it.
    bounds: tuple[tuple[float, float], tuple[float, float]]


class ClientConfig(msgspec.Struct, frozen=True):
    map: MapConfig
    service_area: ServiceArea | None


class ConfigController(Controller):
    path = "/api/v1/config"
    tags = ["config"]

    @get("/", summary="Map tiles, the service area and keys the PWA needs")
    async def config(
        self, state: State, db_session: NamedDependency[AsyncSession], settings: NamedDependency[Settings]
    ) -> Response[ClientConfig]:
        catalog = await state.catalog.snapshot(db_session)
        area = None
        if catalog.bounds is not None:
            west, south, east, north = catalog.bounds
            area = ServiceArea(
                center=((south + north) / 2, (west + east) / 2), bounds=((south, west), (north, east))
            )
        body = ClientConfig(
            map=MapConfig(tile_url=settings.tile_url, attribution=settings.tile_attribution),
            service_area=area,
        )
        return Response(body, headers={"Cache-Control": "no-cache"})


_LANDING = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>城市服务 City Service</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem">
<h1>城市服务 · City Service</h1>
<p>公众服务接口已运行；此服务器上还没有构建手机应用（make run 会构建）。<br>
The API is running; the phone app is not built on this server (make run builds it).</p>
<ul><li><a href="/schema">API 文档 · API docs</a></li><li><a href="/schema/openapi.json">OpenAPI</a></li>
<li><a href="/healthz">/healthz</a></li></ul></body></html>"""


def _app_file(root: Path, relative: str) -> Path | None:
    """A file inside the built app, never outside it; a name no file system takes is no file."""
    try:
        candidate = (root / relative).resolve()
        if candidate.is_file() and candidate.is_relative_to(root.resolve()):
            return candidate
    except (OSError, ValueError):
        pass
    return None


def accepted_encodings(header: str | None) -> set[str]:
    """Content codings the client takes (q=0 means "not this one")."""
    accepted = set()
    for item in (header or "").split(","):
        coding, _, params = item.strip().partition(";")
        try:
            quality = float(params.strip().removeprefix("q=")) if params.strip() else 1.0
        except ValueError:
            quality = 0.0
        if coding and quality > 0:
            accepted.add(coding.strip().lower())
    return accepted


def _best_copy(found: Path, accepted: set[str]) -> tuple[Path, str | None]:
    """The build writes X.br and X.gz beside each asset: the smallest one the client takes."""
    for coding, suffix in PRECOMPRESSED:
        if coding in accepted:
            copy = found.with_name(found.name + suffix)
            if copy.is_file():
                return copy, coding
    return found, None


# Crawlers may read the public app; the API answers and the staff desk are nobody's search results.
ROBOTS = "User-agent: *\nDisallow: /api/\nDisallow: /staff\nDisallow: /schema\n"


@get(
    "/robots.txt",
    include_in_schema=False,
    media_type="text/plain",
    cache_control=CacheControlHeader(max_age=86400),
)
async def robots() -> str:
    return ROBOTS


@get(["/", "/{path:path}"], include_in_schema=False, opt=SKIP)
async def app_shell(
    request: Request[Any, Any, Any], settings: NamedDependency[Settings], path: FromPath[str] = ""
) -> Response[bytes | str]:
    """Files of the built PWA; any other path is a client route and gets index.html."""
    relative = path.lstrip("/")
    if relative.startswith(_NOT_THE_APP) or any(len(part) > MAX_SEGMENT for part in relative.split("/")):
        raise ApiError(404, "not_found")
    root = settings.pwa_dir
    found = _app_file(root, relative) if relative else None
    if found is None:
        found = _app_file(root, "index.html")
        if found is None:
            return Response(_LANDING, media_type="text/html", headers={"Cache-Control": REVALIDATE})
    cache = IMMUTABLE if relative.startswith("assets/") and found.name != "index.html" else REVALIDATE
    copy, coding = _best_copy(found, accepted_encodings(request.headers.get("accept-encoding")))
    headers = {"Cache-Control": cache, "Vary": "Accept-Encoding"}
    if coding:
        headers["Content-Encoding"] = coding
    return Response(
        await asyncio.to_thread(copy.read_bytes),
        media_type=MEDIA_TYPES.get(found.suffix, "application/octet-stream"),
        headers=headers,
    )
