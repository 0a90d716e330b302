"""录音: a voice note to a report, checked by what it is (FFmpeg's demuxers, through PyAV) rather than
by what the phone calls it: an audio container of a known kind, holding audio only, no longer than
the setting. Stored privately; staff play it through the API."""

from __future__ import annotations

import asyncio
import io
import uuid
from dataclasses import dataclass

import av
import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.guards import require_role
from backend.accounts.tokens import Principal
from backend.audit import service as audit
from backend.errors import ApiError, size_text
from backend.field.models import VoiceNote
from backend.field.schemas import VoiceNoteOut
from backend.settings import Settings
from backend.uploads.storage import ObjectNotFound, ObjectStore

log = structlog.get_logger(__name__)
# FFmpeg's container name -> what we call it. Chrome and Firefox record WebM (Opus), Safari MP4 (AAC).
AUDIO_CONTAINERS = {
    "matroska,webm": "audio/webm",
    "ogg": "audio/ogg",
    "mov,mp4,m4a,3gp,3g2,mj2": "audio/mp4",
    "mp3": "audio/mpeg",
}
STAFF = ("dispatcher", "supervisor")


class VoiceRejected(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class Probed:
    mime_type: str
    seconds: float


def probe(data: bytes) -> Probed:
    """What the bytes are and how long they play. The length is read from the packets, since the
    recordings of MediaRecorder carry no duration in their header."""
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            mime_type = AUDIO_CONTAINERS.get(container.format.name)
            if mime_type is None or not container.streams.audio or container.streams.video:
                raise VoiceRejected("unsupported_audio_type")
            stream = container.streams.audio[0]
            end = 0.0
            for packet in container.demux(stream):
                if packet.pts is not None and packet.time_base is not None:
                    end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
            return Probed(mime_type, end)
    except av.FFmpegError:
        raise VoiceRejected("audio_unreadable") from None


def voice_key(note_id: uuid.UUID) -> str:
    """Never under public/: the photo route serves only that."""
    return f"private/voice/{note_id}"


async def accept(
    session: AsyncSession, store: ObjectStore, settings: Settings, principal: Principal, data: bytes
) -> VoiceNoteOut:
    require_role(principal, "inspector")
    if len(data) > settings.voice_max_kb * 1024:
        raise ApiError(413, "payload_too_large", limit=size_text(settings.voice_max_kb * 1024))
    try:
        probed = await asyncio.to_thread(probe, data)
    except VoiceRejected as rejected:
        raise ApiError(415 if rejected.code == "unsupported_audio_type" else 422, rejected.code) from None
    if probed.seconds > settings.voice_max_seconds:
        raise ApiError(422, "voice_note_too_long", max_seconds=settings.voice_max_seconds)
    note = VoiceNote(
        id=uuid.uuid4(), owner_id=principal.user_id, mime_type=probed.mime_type, byte_size=len(data)
    )
    await store.put(voice_key(note.id), data, probed.mime_type)
    async with session.begin():
        session.add(note)
    log.info(
        "voice_note_stored", voice_note_id=str(note.id), seconds=round(probed.seconds, 1), bytes=len(data)
    )
    return VoiceNoteOut(id=str(note.id), mime_type=note.mime_type, bytes=note.byte_size)


async def play(
    session: AsyncSession,
    store: ObjectStore,
    settings: Settings,
    principal: Principal,
    note_id: uuid.UUID,
    address: str,
) -> tuple[bytes, str]:
    """The recording, for staff only; each listening is audited like a case view."""
    require_role(principal, *STAFF)
    async with session.begin():
        note = await session.get(VoiceNote, note_id)
        if note is None:
            raise ApiError(404, "not_found")
        audit.record(
            session,
            settings,
            principal.user_id,
            "voice_note.played",
            address,
            case_id=note.case_id,
            subject=str(note.id),
        )
    try:
        return await store.get(voice_key(note.id)), note.mime_type
    except ObjectNotFound:
        raise ApiError(404, "not_found") from None


async def notes_of(session: AsyncSession, case_id: uuid.UUID) -> list[VoiceNoteOut]:
    rows = await session.scalars(
        select(VoiceNote).where(VoiceNote.case_id == case_id).order_by(VoiceNote.created_at)
    )
    return [VoiceNoteOut(id=str(n.id), mime_type=n.mime_type, bytes=n.byte_size) for n in rows]
