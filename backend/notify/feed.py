"""Reading the live feed in order, for the staff screens' Server-Sent Events stream.

On PostgreSQL a row's sequence number is drawn when it is written but the row shows only when its
transaction commits, so number 8 can be seen before number 7. A reader that simply took "everything
after the last number seen" would skip 7 for ever. So a gap is held open for GAP_WAIT seconds (7 may
yet commit) and only then given up as a rolled-back write.
"""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.notify.models import LiveEvent

GAP_WAIT = 3.0
BATCH = 200


async def last_seq(session: AsyncSession) -> int:
    async with session.begin():
        return await session.scalar(select(func.max(LiveEvent.seq))) or 0


class FeedReader:
    def __init__(self, after: int) -> None:
        self.after = after
        self._gap_seen_at: float | None = None

    async def next_batch(self, session: AsyncSession) -> list[LiveEvent]:
        """The events after the last one returned, stopping at a gap that may still fill."""
        async with session.begin():
            rows = list(
                await session.scalars(
                    select(LiveEvent).where(LiveEvent.seq > self.after).order_by(LiveEvent.seq).limit(BATCH)
                )
            )
        ready: list[LiveEvent] = []
        for row in rows:
            if row.seq != self.after + 1 and not self._gap_given_up():
                break
            self._gap_seen_at = None
            ready.append(row)
            self.after = row.seq
        return ready

    def _gap_given_up(self) -> bool:
        now = time.monotonic()
        if self._gap_seen_at is None:
            self._gap_seen_at = now
        return now - self._gap_seen_at >= GAP_WAIT


async def prune_live_events(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(delete(LiveEvent).where(LiveEvent.occurred_at < before))
    return result.rowcount or 0
