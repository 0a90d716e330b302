"""Open311 clients' keys: made once and shown once, checked by digest, revoked for good, and each with
its own rate limits (counted in the database, so they hold across processes)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.accounts.models import User
from backend.audit import service as audit
from backend.db import utcnow
from backend.errors import ApiError
from backend.open311.models import ApiKey
from backend.quotas import service as quotas
from backend.settings import Settings

# Prefixed, so a key pasted somewhere it should not be is recognised for what it is.
KEY_PREFIX = "c311_"
# The account kind its cases are reported under: a client, not a person; it signs in nowhere.
CLIENT_KIND = "client"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create_key(
    session: AsyncSession, settings: Settings, name: str, actor_id: uuid.UUID | None, address: str
) -> tuple[ApiKey, str]:
    """A new key for a client; the key itself is returned this once and never stored. Audited."""
    name = " ".join(name.split())
    if not name or len(name) > 80:
        raise ApiError(422, "api_key_name_invalid")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    user = User(id=uuid.uuid4(), kind=CLIENT_KIND, roles=["citizen"], display_name=name)
    row = ApiKey(id=uuid.uuid4(), name=name, key_digest=digest(key), prefix=key[:10], user_id=user.id)
    try:
        async with session.begin():
            session.add(user)
            await session.flush()
            session.add(row)
            audit.record(session, settings, actor_id, "api_key.created", address, subject=name)
    except IntegrityError:
        raise ApiError(409, "api_key_name_taken", name=name) from None
    return row, key


async def list_keys(session: AsyncSession) -> list[ApiKey]:
    async with session.begin():
        return list(await session.scalars(select(ApiKey).order_by(ApiKey.created_at)))


async def revoke_key(
    session: AsyncSession, settings: Settings, key_id: uuid.UUID, actor_id: uuid.UUID | None, address: str
) -> ApiKey:
    """Revoked at once for every process (each use is checked in the database); revoking twice keeps
    the first time. Audited."""
    async with session.begin():
        row = await session.get(ApiKey, key_id)
        if row is None:
            raise ApiError(404, "not_found")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            audit.record(session, settings, actor_id, "api_key.revoked", address, subject=row.name)
        return row


async def find_key(session: AsyncSession, name_or_id: str) -> ApiKey | None:
    """For the command line: a key by its client's name, or by its id."""
    async with session.begin():
        try:
            by_id = await session.get(ApiKey, uuid.UUID(name_or_id))
        except ValueError:
            by_id = None
        return by_id or await session.scalar(select(ApiKey).where(ApiKey.name == name_or_id))


async def authenticate(session: AsyncSession, settings: Settings, key: str | None) -> ApiKey:
    """The live key sent, counted against its limits; 400 without one, 403 for one that is not (or no
    longer) a key, 429 beyond its limits. Call it inside a transaction."""
    if not key:
        raise ApiError(400, "api_key_required")
    row = await session.scalar(select(ApiKey).where(ApiKey.key_digest == digest(key)))
    if row is None or row.revoked_at is not None:
        raise ApiError(403, "api_key_invalid")
    now = utcnow()
    for name, limit, window in (
        ("open311-key-minute", settings.open311_requests_per_key_per_minute, timedelta(minutes=1)),
        ("open311-key-hour", settings.open311_requests_per_key_per_hour, timedelta(hours=1)),
    ):
        await quotas.take(session, quotas.bucket(settings, name, str(row.id)), limit, window, now)
    await session.execute(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now))
    return row
