"""Limits on how often one device, account or address may do a thing, counted in the database.

Two processes may both admit the last use of a window at the same moment; a limit is a brake on
abuse, not an exact count, and that costs no lock.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.digests import keyed_digest
from backend.errors import ApiError
from backend.quotas.models import QuotaHit
from backend.settings import Settings

# The longest window any quota counts in: older rows are pruned.
LONGEST_WINDOW = timedelta(days=1)


def bucket(settings: Settings, name: str, key: str) -> str:
    return keyed_digest(settings, "quota", f"{name}:{key}")


async def window_use(
    session: AsyncSession, bucket_: str, since: datetime
) -> tuple[int, datetime | None, datetime | None]:
    """How many uses since a time, and the first and last of them."""
    count, first, last = (
        await session.execute(
            select(func.count(), func.min(QuotaHit.created_at), func.max(QuotaHit.created_at)).where(
                QuotaHit.bucket == bucket_, QuotaHit.created_at > since
            )
        )
    ).one()
    return count, first, last


def record(session: AsyncSession, bucket_: str, at: datetime) -> None:
    session.add(QuotaHit(bucket=bucket_, created_at=at))


async def take(session: AsyncSession, bucket_: str, limit: int, window: timedelta, now: datetime) -> None:
    """Count one use, or refuse with 429 and Retry-After when the window is full."""
    count, first, _ = await window_use(session, bucket_, now - window)
    if count >= limit and first is not None:
        refuse(math.ceil((first + window - now).total_seconds()))
    record(session, bucket_, now)


def refuse(seconds: int, code: str = "rate_limited") -> NoReturn:
    wait = max(1, seconds)
    raise ApiError(429, code, headers={"Retry-After": str(wait)}, retry_after=wait)


async def forget(session: AsyncSession, bucket_: str) -> None:
    await session.execute(delete(QuotaHit).where(QuotaHit.bucket == bucket_))


async def prune(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(delete(QuotaHit).where(QuotaHit.created_at < now - LONGEST_WINDOW))
    return result.rowcount or 0
