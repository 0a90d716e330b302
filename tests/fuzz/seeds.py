"""Valid starting points for the fuzz: ids that exist, and requests the app accepts.

A purely random body almost never gets past validation (a known category, a point inside the demo
district, a case in the right status), so the code behind it, and the database, would go unfuzzed.
Mixed into the generated cases, these let one nasty value (tests/fuzz/nasty.py) reach them.

`KNOWN` is filled for each test by the `seeded` fixture (tests/fuzz/conftest.py); the factories below
read it when called, so a value always belongs to the running test's database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from tests.api.conftest import INSIDE, request_body

# Path parameter -> values that exist in the running test's database (or are valid anyway).
KNOWN: dict[str, list[str]] = {}

Factory = Callable[[], Any]

ROUTING_RULE = {"category_code": "C0101", "grid_prefix": "330102001", "department_code": "SZ-WATER"}
TEMPLATE = {
    "action": "reply",
    "request_type": "inquiry",
    "title_zh": "咨询答复",
    "title_en": "Inquiry answered",
    "text_zh": "您的咨询（编号 {tracking_no}）答复如下：",
    "text_en": "Your inquiry {tracking_no} is answered: ",
}

BODIES: dict[str, list[Factory]] = {
    "POST /api/v1/requests": [lambda: request_body()],  # a fresh client_id on every call
    "POST /api/v1/requests/{request_id}/rating": [lambda: {"score": 5, "comment": "处理得很及时，谢谢。"}],
    "POST /api/v1/staff/cases/{case_id}/actions": [
        lambda: {
            "action": "accept",
            "expected_version": 1,
            "category_code": "C0101",
            "internal_note": "核实无误。",
        },
        lambda: {"action": "reject", "expected_version": 1, "public_message": "不属于城市管理范围。"},
        lambda: {"action": "merge", "expected_version": 1, "target_id": KNOWN["case_id"][-1]},
        lambda: {"action": "dispatch", "expected_version": 1, "department_code": "SZ-MUNI"},
        lambda: {
            "action": "reply",
            "expected_version": 1,
            "public_message": "已答复。",
            "internal_note": "内部",
        },
    ],
    "POST /api/v1/admin/routing-rules": [lambda: ROUTING_RULE],
    "POST /api/v1/admin/reply-templates": [lambda: TEMPLATE],
    "PUT /api/v1/admin/reply-templates/{template_id}": [lambda: TEMPLATE],
    "PUT /api/v1/admin/departments/{code}": [
        lambda: {"name_zh": "区道路养护所", "name_en": "District Road Maintenance", "phone": "0571-87000009"}
    ],
    "POST /api/v1/auth/login": [lambda: {"username": "dispatcher", "password": "dispatcher-demo"}],
    "POST /api/v1/auth/otp": [lambda: {"phone": "13800000000"}],
    "POST /api/v1/auth/otp/verify": [lambda: {"phone": "13800000000", "code": "123456"}],
}

QUERIES: dict[str, list[Factory]] = {
    "GET /api/v1/requests/nearby": [lambda: {**INSIDE, "radius_m": 200, "category_code": "C0101"}],
    "GET /api/v1/staff/cases": [lambda: {"status": "submitted", "q": "井盖", "category": "C01", "limit": 5}],
    "GET /api/v1/staff/cases/counts": [
        lambda: {"q": "井盖", "grid": "330102001001001", "department": "SZ-MUNI"}
    ],
    "GET /api/v1/staff/cases/geo": [lambda: {"bbox": "120.14,30.26,120.17,30.29", "q": "井盖"}],
    "GET /api/v1/staff/cases/{case_id}/duplicates": [lambda: {"radius_m": 100, "days": 30}],
    "GET /api/v1/staff/cases/{case_id}/templates": [lambda: {"action": "reply"}],
    "GET /api/v1/stats/overview": [lambda: {"group_by": "department", "from": "2026-01-01"}],
    "GET /api/v1/stats/overview.csv": [lambda: {"group_by": "category"}],
    "GET /api/v1/audit": [lambda: {"case_id": KNOWN["case_id"][0], "limit": 10}],
}


def known(name: str) -> st.SearchStrategy[str]:
    # Drawn as an index, so the choice is Hypothesis' (reproducible, shrinkable), the value the test's.
    return st.integers(0, 7).map(lambda index: KNOWN[name][index % len(KNOWN[name])])


def valid(factories: list[Factory] | None) -> st.SearchStrategy[Any] | None:
    return None if not factories else st.sampled_from(factories).map(lambda factory: factory())
