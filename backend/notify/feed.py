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
from typing import Any

import msgspec
import structlog
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.driver import read_once
from backend.notify.models import LiveEvent

log = structlog.get_logger(__name__)

GAP_WAIT = 3.0
BATCH = 200
# Events the hub remembers: a stream that fell further behind reads the database until it catches up.
KEPT = 2000

# Each read is one statement in autocommit (driver.read_once): on SQLite through the read-only
# connections, so a feed read never takes the write lock, and a read cut off by a client leaving
# holds nothing.
_LIVE = LiveEvent.__table__
_NEWEST = select(func.max(_LIVE.c.seq))
_AFTER = (
    select(_LIVE.c.seq, _LIVE.c.event_type, _LIVE.c.payload, _LIVE.c.occurred_at)
    .where(_LIVE.c.seq > bindparam("after", type_=_LIVE.c.seq.type))
    .order_by(_LIVE.c.seq)
    .limit(BATCH)
)


@dataclass(frozen=True, slots=True)
class FeedEvent:
    seq: int
    event_type: str
    # The event's SSE data, encoded once for every stream.
    data: str


def feed_event(seq: int, event_type: str, payload: dict[str, Any], occurred_at: datetime) -> FeedEvent:
    data = msgspec.json.encode({**payload, "occurred_at": occurred_at.isoformat()})
    return FeedEvent(seq=seq, event_type=event_type, data=data.decode())


async def last_seq(engine: AsyncEngine) -> int:
    ((newest,),) = await read_once(engine, _NEWEST, {})
    return newest or 0


class FeedReader:
    def __init__(self, after: int) -> None:
        self.after = after
        self._gap_seen_at: float | None = None

    async def next_batch(self, engine: AsyncEngine) -> list[FeedEvent]:
        """The events after the last one returned, stopping at a gap that may still fill."""
        ready: list[FeedEvent] = []
        for seq, event_type, payload, occurred_at in await read_once(engine, _AFTER, {"after": self.after}):
            if seq != self.after + 1 and not self._gap_given_up():
                break
            self._gap_seen_at = None
            ready.append(feed_event(seq, event_type, payload, occurred_at))
            self.after = seq
        return ready

    def _gap_given_up(self) -> bool:
        now = time.monotonic()
        if self._gap_seen_at is None:
            self._gap_seen_at = now
        return now - self._gap_seen_at >= GAP_WAIT


async def prune_live_events(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(delete(LiveEvent).where(LiveEvent.occurred_at < before))
    return result.rowcount or 0


class FeedHub:
    """The process's one reader of the live feed. It runs while a stream is open and remembers the
    last KEPT events, all of them after `floor`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._events: deque[FeedEvent] = deque(maxlen=KEPT)
        self._changed = asyncio.Condition()
        self._starting = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        # Readers stopped but maybe not finished yet: close() waits for them before the engine goes.
        self._stopped: set[asyncio.Task[None]] = set()
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
                self._floor = await last_seq(self._engine)
                self._events.clear()
                self._task = asyncio.create_task(self._run(FeedReader(self._floor), poll_seconds))
            self._streams += 1
        try:
            yield
        finally:
            self._streams -= 1
            if self._streams == 0:
                self._stop()

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
                batch = await reader.next_batch(self._engine)
            except Exception:  # a database away now may be back at the next poll
                log.exception("live_feed_read_failed")
                continue
            if batch:
                self._events.extend(batch)
                async with self._changed:
                    self._changed.notify_all()

    def _stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._stopped.add(self._task)
            self._task.add_done_callback(self._stopped.discard)
            self._task = None

    async def close(self) -> None:
        self._stop()
        await asyncio.gather(*self._stopped, return_exceptions=True)
