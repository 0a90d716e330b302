"""The staff live feed: Server-Sent Events over a real HTTP server, resumable with Last-Event-ID."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest
import uvicorn
from litestar import Litestar
from sqlalchemy.engine import make_url

from backend.db import create_engine, dispose
from backend.models import LiveEvent
from backend.notify import feed
from backend.notify.feed import FeedReader
from tests.api.conftest import act, device_headers, staff_headers, submit


@pytest.fixture
async def base_url(app: Litestar) -> AsyncIterator[str]:
    """The app behind a real uvicorn on a loopback port (ASGI test transports buffer whole bodies)."""
    app.state.settings = msgspec.structs.replace(app.state.settings, live_poll_seconds=0.05)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


async def events(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    event: dict[str, Any] = {}
    async for line in response.aiter_lines():
        if not line:
            if "event" in event:
                yield event
            event = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            event[name] = value.strip()


async def collect(
    base_url: str, headers: dict[str, str], until: int, **extra: str
) -> tuple[list[dict[str, Any]], asyncio.Event, asyncio.Task[None]]:
    """Open a stream and gather its events in the background until `until` case events came."""
    seen: list[dict[str, Any]] = []
    ready = asyncio.Event()

    async def run() -> None:
        async with (
            httpx.AsyncClient(base_url=base_url, timeout=10) as http,
            http.stream("GET", "/api/v1/staff/stream", headers={**headers, **extra}) as response,
        ):
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            async for event in events(response):
                if event["event"] == "ready":
                    ready.set()
                    continue
                seen.append(event)
                if len(seen) >= until:
                    return

    task = asyncio.create_task(run())
    await asyncio.wait_for(ready.wait(), 10)
    return seen, ready, task


async def test_stream_delivers_new_cases_and_transitions(
    base_url: str, client: httpx.AsyncClient, app: Litestar
) -> None:
    staff = await staff_headers(app, "dispatcher")
    seen, _, task = await collect(base_url, staff, until=2)
    case = await submit(client, await device_headers(client))
    assert (await act(client, staff, case["id"], "accept", 1)).status_code == 200
    await asyncio.wait_for(task, 10)

    assert [e["event"] for e in seen] == ["case.submitted", "case.accepted"]
    first, second = (json.loads(e["data"]) for e in seen)
    assert first["id"] == case["id"] and first["tracking_no"] == case["tracking_no"]
    assert (second["status"], second["version"], second["action"]) == ("accepted", 2, "accept")
    assert int(seen[1]["id"]) > int(seen[0]["id"])
    assert "13912345678" not in str(seen)

    # A client that lost its connection after the first event gets the rest, and only the rest.
    resumed, _, task = await collect(base_url, staff, until=1, **{"Last-Event-ID": seen[0]["id"]})
    await asyncio.wait_for(task, 10)
    assert [(e["event"], e["id"]) for e in resumed] == [("case.accepted", seen[1]["id"])]


async def test_a_gap_in_the_feed_is_waited_for_then_skipped(
    client: httpx.AsyncClient, app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = await submit(client, await device_headers(client))
    engine = app.state.engine
    start = await feed.last_seq(engine)
    reader = FeedReader(start)
    async with app.state.sessionmaker() as session, session.begin():
        for seq in (start + 1, start + 3):
            session.add(
                LiveEvent(seq=seq, event_type="case.accepted", case_id=uuid.UUID(case["id"]), payload={})
            )
    # start + 2 may be a transaction still committing: hold at the gap.
    assert [e.seq for e in await reader.next_batch(engine)] == [start + 1]
    assert await reader.next_batch(engine) == []
    monkeypatch.setattr(feed, "GAP_WAIT", 0.0)
    assert [e.seq for e in await reader.next_batch(engine)] == [start + 3]


async def test_feed_reads_neither_wait_for_nor_take_sqlites_write_lock(sqlite_url: str) -> None:
    """Every open desk's feed is read once a second: a read behind a report being written would stall
    the desks, and a read holding the write lock (a client leaving mid-read) stalled every writer."""
    engine = create_engine(sqlite_url)
    writer = sqlite3.connect(make_url(sqlite_url).database, isolation_level=None, timeout=0)
    writer.execute("BEGIN IMMEDIATE")  # a report being written, by this process or another
    try:
        newest = await asyncio.wait_for(feed.last_seq(engine), 2)
        assert await asyncio.wait_for(FeedReader(newest).next_batch(engine), 2) == []
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        await dispose(engine)


@pytest.mark.parametrize("last_id", ["9223372036854775808", "99999999999999999999", "²", "-1", "1e3", " 12"])
async def test_a_last_event_id_the_stream_never_sent_is_refused(
    client: httpx.AsyncClient, app: Litestar, last_id: str
) -> None:
    staff = await staff_headers(app, "dispatcher")
    response = await client.get(
        "/api/v1/staff/stream", headers={**staff, "Last-Event-ID": last_id.encode("latin-1")}
    )
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "invalid_last_event_id"


async def test_an_id_from_the_future_restarts_from_now(
    client: httpx.AsyncClient, app: Litestar, base_url: str
) -> None:
    staff = await staff_headers(app, "dispatcher")
    await submit(client, await device_headers(client))
    newest = await feed.last_seq(app.state.engine)
    headers = {**staff, "Last-Event-ID": str(2**63 - 1)}
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=10) as http,
        http.stream("GET", "/api/v1/staff/stream", headers=headers) as response,
    ):
        assert response.status_code == 200
        stream = events(response)
        ready = await anext(stream)
        assert ready["event"] == "ready" and int(ready["id"]) == newest
        case = await submit(client, await device_headers(client))
        arrived = await asyncio.wait_for(anext(stream), 10)
        assert arrived["event"] == "case.submitted" and json.loads(arrived["data"])["id"] == case["id"]


async def test_many_open_streams_share_one_reader_of_the_feed(
    base_url: str, client: httpx.AsyncClient, app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    staff = await staff_headers(app, "dispatcher")
    reads: list[int] = []
    read = feed.read_once

    async def counted(engine: Any, statement: Any, values: Any) -> Any:
        if "after" in values:  # not the newest-event lookup of a stream opening
            reads.append(values["after"])
        return await read(engine, statement, values)

    monkeypatch.setattr(feed, "read_once", counted)
    streams = [await collect(base_url, staff, until=1) for _ in range(10)]
    reads.clear()
    await asyncio.sleep(1.0)
    # One reader polling every 0.05 s: about 20 reads a second, not one set per stream (200).
    assert 5 <= len(reads) <= 30, len(reads)
    case = await submit(client, await device_headers(client))
    for seen, _, task in streams:
        await asyncio.wait_for(task, 10)
        assert [(e["event"], json.loads(e["data"])["id"]) for e in seen] == [("case.submitted", case["id"])]
