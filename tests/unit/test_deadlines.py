"""处置时限 on the city's clock: across midnight, across time zones and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.cases.deadlines import deadline_for, is_overdue

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def test_hours_run_across_midnight_in_the_city() -> None:
    # 23:30 in Shanghai is 15:30 UTC; two hours later it is 01:30 the next local day.
    dispatched = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)
    deadline = deadline_for(dispatched, 2, SHANGHAI)
    assert deadline == datetime(2026, 11, 25, 17, 30, tzinfo=UTC)
    assert deadline.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") == "2026-11-26 01:30"


def test_whole_days_end_at_the_same_local_time() -> None:
    dispatched = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)
    local = deadline_for(dispatched, 72, SHANGHAI).astimezone(SHANGHAI)
    assert local.strftime("%Y-%m-%d %H:%M") == "2026-11-28 23:30"


@pytest.mark.parametrize(
    ("hours", "elapsed"),
    [
        # Over the spring-forward night a "1 day" deadline is 23 elapsed hours: noon stays noon.
        (24, timedelta(hours=23)),
        # A deadline in hours is elapsed time, whatever the clocks do.
        (5, timedelta(hours=5)),
        (36, timedelta(hours=36)),
    ],
)
def test_daylight_saving_change(hours: int, elapsed: timedelta) -> None:
    noon = datetime(2026, 3, 7, 12, 0, tzinfo=NEW_YORK).astimezone(UTC)
    deadline = deadline_for(noon, hours, NEW_YORK)
    assert deadline - noon == elapsed
    assert deadline.tzinfo == UTC
    if hours == 24:
        assert deadline.astimezone(NEW_YORK).hour == 12


def test_the_same_instant_gets_the_same_deadline_in_any_zone_for_hours() -> None:
    dispatched = datetime(2026, 11, 25, 23, 59, tzinfo=UTC)
    assert deadline_for(dispatched, 4, SHANGHAI) == deadline_for(dispatched, 4, NEW_YORK)


def test_overdue_only_while_the_fix_is_owed() -> None:
    deadline = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    after = deadline + timedelta(seconds=1)
    assert is_overdue("dispatched", deadline, after)
    assert is_overdue("in_progress", deadline, after)
    assert not is_overdue("dispatched", deadline, deadline)
    assert not is_overdue("handled", deadline, after)
    assert not is_overdue("closed", deadline, after)
    assert not is_overdue("accepted", None, after)
