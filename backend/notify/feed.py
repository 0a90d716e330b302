"""Reading the live feed in order, for the staff screens' Server-Sent Events stream.

One reader per process (FeedHub), however many desks are open: it reads what is new once per poll and
wakes every stream waiting on it, so 500 open streams cost what one does (bench/live_feed.py); before,
each stream polled the database itself. A stream resumed from further back than the hub remembers
reads the database on its own until it has caught up.

On PostgreSQL a row's sequence number is drawn when it is written but the row shows only when its
transaction commits, so number 8 can be seen before number 7. A reader that simply took "everything
after the last number seen" would skip 7 for ever. So a gap is held open for GAP_WAIT seconds (7 may
yet commit) and only then given up as a rolled-back write.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

import msgspec
import structlog
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.notify.models import LiveEvent

log = structlog.get_logger(__name__)

GAP_WAIT = 3.0
BATCH = 200
# Events the hub remembers: a stream that fell further behind reads the database until it catches up.
KEPT = 2000


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


@dataclass(frozen=True, slots=True)
class FeedEvent:
    seq: int
    event_type: str
    # The event's SSE data, encoded once for every stream.
    data: str


def feed_event(row: LiveEvent) -> FeedEvent:
    data = msgspec.json.encode({**row.payload, "occurred_at": row.occurred_at.isoformat()})
    return FeedEvent(seq=row.seq, event_type=row.event_type, data=data.decode())


class FeedHub:
    """The process's one reader of the live feed. It runs while a stream is open and remembers the
    last KEPT events, all of them after `floor`."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._events: deque[FeedEvent] = deque(maxlen=KEPT)
        self._changed = asyncio.Condition()
        self._starting = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._streams = 0
        self._floor = 0

    @property
    def floor(self) -> int:
        """Every event after this one is remembered (or not written yet)."""
        if len(self._events) == self._events.maxlen:
            return self._events[0].seq - 1
        return self._floor

    @contextlib.asynccontextmanager
    async def open(self, poll_seconds: float) -> AsyncIterator[None]:
        """Held by each stream: the first starts the reader at the newest event, the last stops it."""
        async with self._starting:  # two streams opening at once start one reader
            if self._task is None:
                # Shielded: a client leaving now must not cut the read off half-way, which on SQLite
                # would leave its transaction's lock held for every other writer.
                self._floor = await asyncio.shield(self._last_written())
                self._events.clear()
                self._task = asyncio.create_task(self._run(FeedReader(self._floor), poll_seconds))
            self._streams += 1
        try:
            yield
        finally:
            self._streams -= 1
            if self._streams == 0 and self._task is not None:
                self._task.cancel()
                self._task = None

    async def after(self, seq: int, timeout: float) -> list[FeedEvent]:
        """The remembered events after `seq`, waiting up to `timeout` for one if there is none yet."""
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait_for(lambda: self._newest() > seq), timeout)
        return [event for event in self._events if event.seq > seq]

    def _newest(self) -> int:
        return self._events[-1].seq if self._events else self._floor

    async def _run(self, reader: FeedReader, poll_seconds: float) -> None:
        while True:
            await asyncio.sleep(poll_seconds)
            try:
                # Not cut off half-way when the last stream leaves: the connection goes back cleanly.
                batch = await asyncio.shield(self._read(reader))
            except Exception:  # a database away now may be back at the next poll
                log.exception("live_feed_read_failed")
                continue
            if batch:
                self._events.extend(feed_event(row) for row in batch)
                async with self._changed:
                    self._changed.notify_all()

    async def _last_written(self) -> int:
        async with self._sessions() as session:
            return await last_seq(session)

    async def _read(self, reader: FeedReader) -> list[LiveEvent]:
        async with self._sessions() as session:
            return await reader.next_batch(session)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
