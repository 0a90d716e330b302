"""录音: a voice note is what its bytes are (an audio container, audio only, at most 120 s), stored
privately with its report, and played to staff only, each listening audited."""

from __future__ import annotations

import io

import av
import httpx
import numpy as np
import pytest
from litestar import Litestar
from sqlalchemy import select

from backend.audit.models import AuditEntry
from backend.field.models import VoiceNote
from tests.api.conftest import device_headers, jpeg_bytes, staff_headers, upload_photo
from tests.api.test_inspectors import report_body

VOICE = "/api/v1/field/voice-notes"


def recording(seconds: float, container: str = "webm", codec: str = "libopus") -> bytes:
    """Silence as a phone's MediaRecorder would record it (WebM/Opus by default)."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as output:
        stream = output.add_stream(codec, rate=48000)
        stream.layout = "mono"
        samples = 960
        for index in range(int(seconds * 48000 / samples)):
            frame = av.AudioFrame.from_ndarray(
                np.zeros((1, samples), dtype=np.int16), format="s16", layout="mono"
            )
            frame.sample_rate, frame.pts = 48000, index * samples
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    return buffer.getvalue()


async def send(
    client: httpx.AsyncClient, headers: dict[str, str], data: bytes, name: str = "note.webm"
) -> httpx.Response:
    return await client.post(VOICE, files={"file": (name, data, "audio/webm")}, headers=headers)


async def test_a_voice_note_goes_with_its_report_and_only_staff_hear_it(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    inspector = await staff_headers(app, "inspector")
    data = recording(3)
    uploaded = await send(client, inspector, data)
    assert uploaded.status_code == 201, uploaded.text
    note = uploaded.json()
    assert note["mime_type"] == "audio/webm" and note["bytes"] == len(data)
    photo = (await upload_photo(client, inspector)).json()["id"]
    report = await client.post(
        "/api/v1/field/reports", json=report_body([photo], voice_note_id=note["id"]), headers=inspector
    )
    assert report.status_code == 201, report.text

    desk = await staff_headers(app, "dispatcher")
    case = (await client.get(f"/api/v1/staff/cases/{report.json()['id']}", headers=desk)).json()
    assert case["voice_notes"] == [note]
    played = await client.get(f"/api/v1/staff/voice-notes/{note['id']}", headers=desk)
    assert played.status_code == 200 and played.content == data
    assert played.headers["content-type"].startswith("audio/webm")
    async with app.state.sessionmaker() as session:
        heard = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "voice_note.played"))
        )
    assert [(e.subject, str(e.case_id)) for e in heard] == [(note["id"], report.json()["id"])]
    for caller in (inspector, await device_headers(client)):
        assert (
            await client.get(f"/api/v1/staff/voice-notes/{note['id']}", headers=caller)
        ).status_code == 403
    assert (await client.get(f"/api/v1/photos/{note['id']}/display.jpg")).status_code == 404

    other_photo = (await upload_photo(client, inspector)).json()["id"]
    again = await client.post(
        "/api/v1/field/reports", json=report_body([other_photo], voice_note_id=note["id"]), headers=inspector
    )
    assert again.json()["code"] == "voice_note_not_found", "one note, one report"


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (lambda: recording(125), 422, "voice_note_too_long"),
        (lambda: jpeg_bytes(), 415, "unsupported_audio_type"),
        (lambda: b"\x1a\x45\xdf\xa3" + bytes(range(256)) * 8, 422, "audio_unreadable"),
        (lambda: b"\0" * (2048 * 1024 + 1), 413, "payload_too_large"),
    ],
)
async def test_what_is_not_a_short_recording_is_refused_and_nothing_stored(
    client: httpx.AsyncClient, app: Litestar, data: object, status: int, code: str
) -> None:
    inspector = await staff_headers(app, "inspector")
    answer = await send(client, inspector, data())  # type: ignore[operator]
    assert (answer.status_code, answer.json()["code"]) == (status, code)
    async with app.state.sessionmaker() as session:
        assert list(await session.scalars(select(VoiceNote))) == []
    assert not list(app.state.settings.objects_dir.rglob("private/voice/*"))


async def test_only_inspectors_record(client: httpx.AsyncClient, app: Litestar) -> None:
    for caller in (await device_headers(client), await staff_headers(app, "dispatcher")):
        assert (await send(client, caller, recording(1))).status_code == 403
