"""Many outbox events at once, written straight into PostgreSQL: cases (the fewest columns a case
needs) and, for each, events in the order of the workflow. For the worker-process tests and
bench/outbox.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import msgspec
import psycopg

GRID = "330102001001006"
EVENT_TYPES = ("case.submitted", "case.accepted", "case.started", "case.handled", "case.closed")


def seed(url: str, cases: int, per_case: int) -> dict[str, list[str]]:
    """Cases with `per_case` events each, written in order; returns each case's event ids in order."""
    now = datetime.now(UTC)
    written: dict[str, list[str]] = {}
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        reporter = uuid.uuid4()
        cursor.execute(
            "INSERT INTO users (id, kind, username, roles, display_name, is_active, created_at) "
            "VALUES (%s, 'staff', 'sim-reporter', '[]', '报告人', true, %s)",
            (reporter, now),
        )
        with cursor.copy(
            "COPY cases (id, tracking_no, client_id, source, request_type, description, lat, lng, grid_code, "
            "status, version, reporter_id, rework_count, created_at, updated_at) FROM STDIN"
        ) as copy:
            ids = [uuid.uuid4() for _ in range(cases)]
            for number, case_id in enumerate(ids):
                copy.write_row(
                    (case_id, f"T{number:09d}", uuid.uuid4(), "citizen", "complaint", "井盖松动", 30.2741,
                     120.1551, GRID, "submitted", 1, reporter, 0, now, now)
                )  # fmt: skip
        with cursor.copy(
            "COPY outbox_events (event_id, event_type, case_id, payload, occurred_at, next_attempt_at, "
            "attempts) FROM STDIN"
        ) as copy:
            for step in range(per_case):
                for number, case_id in enumerate(ids):
                    event_id = uuid.uuid4()
                    written.setdefault(str(case_id), []).append(str(event_id))
                    payload = {"case": snapshot(case_id, number, now), "action": "sim"}
                    at = now + timedelta(milliseconds=step)
                    copy.write_row(
                        (
                            event_id,
                            EVENT_TYPES[step],
                            case_id,
                            msgspec.json.encode(payload).decode(),
                            at,
                            now,
                            0,
                        )
                    )
    return written


def snapshot(case_id: uuid.UUID, number: int, now: datetime) -> dict[str, object]:
    return {
        "id": str(case_id),
        "tracking_no": f"T{number:09d}",
        "source": "citizen",
        "request_type": "complaint",
        "category_code": None,
        "description": "井盖松动",
        "location": {"lat": 30.2741, "lng": 120.1551, "accuracy_m": 8.0},
        "address": None,
        "grid_code": GRID,
        "status": "submitted",
        "version": 1,
        "department_code": None,
        "deadline_at": None,
        "photo_ids": [],
        "created_at": now.isoformat(),
    }


def owed(url: str) -> int:
    with psycopg.connect(url) as connection:
        row = connection.execute("SELECT count(*) FROM outbox_events WHERE delivered_at IS NULL").fetchone()
    assert row is not None
    return int(row[0])
