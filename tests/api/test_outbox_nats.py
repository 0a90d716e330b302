"""The second transport: events published to NATS JetStream (the machine's server on loopback), the
event id as the message id so that the stream drops a duplicate."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import msgspec
import nats
import pytest
from litestar import Litestar
from nats.js import JetStreamContext

from backend.coordination.delivery import NatsTransport, deliver_due, ensure_stream, nats_target
from backend.coordination.signing import verify
from backend.settings import Settings
from tests.api.conftest import device_headers, submit

NATS_SERVER = os.environ.get("CITY_TEST_NATS", "nats://127.0.0.1:4222")
SECRET = "nats-secret"


@pytest.fixture
async def stream(app: Litestar) -> AsyncIterator[tuple[Settings, JetStreamContext]]:
    """A stream and subject prefix of this test's own on the machine's NATS, removed afterwards."""
    mark = uuid.uuid4().hex[:10]
    settings = msgspec.structs.replace(
        app.state.settings,
        coordination_url=f"{NATS_SERVER}/citytest{mark}",
        coordination_secret=SECRET,
        coordination_stream=f"CITYTEST_{mark}",
    )
    connection = await nats.connect(nats_target(settings.coordination_url)[0])
    jetstream = connection.jetstream()
    try:
        yield settings, jetstream
    finally:
        await jetstream.delete_stream(settings.coordination_stream)
        await connection.close()


def test_a_nats_url_names_the_server_and_the_subject_prefix() -> None:
    assert nats_target("nats://10.0.0.5:4222/city.hz") == ("nats://10.0.0.5:4222", "city.hz")
    assert nats_target("nats://10.0.0.5:4222") == ("nats://10.0.0.5:4222", "city")


async def test_events_land_in_the_stream_with_their_ids_once(
    client: httpx.AsyncClient, app: Litestar, stream: tuple[Settings, JetStreamContext]
) -> None:
    settings, jetstream = stream
    _, prefix = nats_target(settings.coordination_url)
    await ensure_stream(jetstream, settings.coordination_stream, prefix)
    await ensure_stream(jetstream, settings.coordination_stream, prefix)  # there already: left as it is
    citizen = await device_headers(client)
    cases = [await submit(client, citizen) for _ in range(2)]
    transport = NatsTransport(settings, jetstream, prefix)
    assert await deliver_due(settings, app.state.sessionmaker, transport) == 2
    assert await deliver_due(settings, app.state.sessionmaker, transport) == 0

    reader = await jetstream.pull_subscribe(f"{prefix}.>", stream=settings.coordination_stream)
    messages = await reader.fetch(2, timeout=5)
    assert {m.subject for m in messages} == {f"{prefix}.case.submitted"}
    bodies = [msgspec.json.decode(m.data) for m in messages]
    assert sorted(b["case"]["tracking_no"] for b in bodies) == sorted(c["tracking_no"] for c in cases)
    for message, body in zip(messages, bodies, strict=True):
        assert message.headers is not None and message.headers["Nats-Msg-Id"] == body["event_id"]
        verify(
            SECRET,
            message.headers["X-City-Timestamp"],
            message.headers["X-City-Signature"],
            message.data,
            time.time(),
        )

    # The same event again (a worker that died after publishing, before settling): the stream drops it.
    again = await jetstream.publish(
        messages[0].subject, messages[0].data, headers={"Nats-Msg-Id": bodies[0]["event_id"]}
    )
    assert again.duplicate is True
    assert (await jetstream.stream_info(settings.coordination_stream)).state.messages == 2
