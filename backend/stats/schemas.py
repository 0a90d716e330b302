"""Evaluation indicators (综合评价, in the manner of GB/T 30428.4)."""

from __future__ import annotations

from datetime import date
from typing import Literal

import msgspec

GroupBy = Literal["none", "grid", "category", "department", "request_type"]


class Indicators(msgspec.Struct, frozen=True):
    """One group's figures. Rates are fractions in [0, 1], null when their denominator is zero."""

    key: str | None
    name: str
    reported: int
    accepted: int
    # 立案率: accepted / reported.
    acceptance_rate: float | None
    handled: int
    on_time: int
    # 按期处置率: handled by the deadline / handled.
    on_time_rate: float | None
    reworked: int
    # 返工率: handled cases sent back at least once / handled.
    rework_rate: float | None
    closed: int
    # 结案率: closed / accepted.
    closure_rate: float | None
    rated: int
    # Mean of the citizens' 1-5 ratings.
    satisfaction: float | None
    # 答复: requests the desk answered itself (inquiries, suggestions, praise, help), and of those
    # the ones answered within their 答复时限; 按时答复率 = replied_on_time / replied.
    replied: int
    replied_on_time: int
    reply_on_time_rate: float | None


class Overview(msgspec.Struct, frozen=True):
    date_from: date
    date_to: date
    timezone: str
    group_by: GroupBy
    total: Indicators
    groups: list[Indicators]


class InspectorIndicators(msgspec.Struct, frozen=True):
    """One inspector's figures for the period (监督员考核). Rates as above."""

    inspector_id: str
    name: str
    # 上报数 and 有效上报率: their reports, and those the desk accepted (self-handled ones included).
    reports: int
    reports_valid: int
    valid_rate: float | None
    # 核实/核查按时率: of the tasks done or past due, those done by their due time.
    verify_due: int
    verify_on_time: int
    verify_on_time_rate: float | None
    check_due: int
    check_on_time: int
    check_on_time_rate: float | None
    # 巡查里程 and 巡查时长 of the shifts begun in the period.
    patrol_km: float
    patrol_hours: float


class InspectorOverview(msgspec.Struct, frozen=True):
    date_from: date
    date_to: date
    timezone: str
    items: list[InspectorIndicators]
