"""Who may take each workflow action, tried with accounts that hold ONE role each (the other workflow
tests use one account holding every role, so they cannot tell which role let an action through).

The table is written out here from the README/GLOSSARY, independently of backend.cases.workflow.STEPS:
the route must let that table decide, and refuse everyone else with 403 `forbidden` without touching
the case."""

from __future__ import annotations

import uuid

import httpx
import pytest
from litestar import Litestar

from backend.models import Case
from tests.api.conftest import act, action_fields, device_headers, put_in_status, staff_headers, submit

ROLES = ("citizen", "inspector", "dispatcher", "supervisor", "admin", "integration")

# action -> (the status it is tried from, the status it leads to, the roles allowed to take it)
TABLE: dict[str, tuple[str, str, frozenset[str]]] = {
    "accept": ("submitted", "accepted", frozenset({"dispatcher", "supervisor"})),
    "reject": ("submitted", "rejected", frozenset({"dispatcher", "supervisor"})),
    "merge": ("submitted", "merged", frozenset({"dispatcher", "supervisor"})),
    "dispatch": ("accepted", "dispatched", frozenset({"dispatcher", "supervisor", "integration"})),
    "start": ("dispatched", "in_progress", frozenset({"dispatcher", "supervisor", "integration"})),
    "handle": ("in_progress", "handled", frozenset({"dispatcher", "supervisor", "integration"})),
    "check_pass": ("handled", "closed", frozenset({"inspector", "dispatcher", "supervisor", "integration"})),
    "check_fail": ("handled", "dispatched", frozenset({"inspector", "dispatcher", "supervisor"})),
    "reopen": ("closed", "accepted", frozenset({"supervisor"})),
    "return": ("accepted", "submitted", frozenset({"integration"})),
    "verify": ("submitted", "submitted", frozenset({"inspector"})),
    "self_handle": ("submitted", "handled", frozenset({"inspector"})),
}


async def stored(app: Litestar, case_id: str) -> tuple[str, int]:
    async with app.state.sessionmaker() as session:
        case = await session.get(Case, uuid.UUID(case_id))
        assert case is not None
        return case.status, case.version


async def headers_for(client: httpx.AsyncClient, app: Litestar, role: str) -> dict[str, str]:
    if role == "citizen":
        return await device_headers(client)
    return await staff_headers(app, role)


async def try_cell(
    client: httpx.AsyncClient,
    app: Litestar,
    reporter: dict[str, str],
    headers: dict[str, str],
    role: str,
    action: str,
    target_id: str,
) -> str | None:
    """Take one action as one role on a fresh case in the action's source status; None if right."""
    source, target, allowed = TABLE[action]
    case = await submit(client, reporter)
    version = await put_in_status(app, case["id"], source)

    response = await act(client, headers, case["id"], action, version, **action_fields(action, target_id))

    now = await stored(app, case["id"])
    got = f"{response.status_code} {response.json().get('code', '')}".strip()
    if role in allowed:
        if response.status_code != 200:
            return f"{action} by {role}: {got}, want 200 (case stayed {now})"
        if response.json()["summary"]["status"] != target or now != (target, version + 1):
            return f"{action} by {role}: answered {response.json()['summary']['status']}, stored {now}"
    else:
        if response.status_code != 403 or response.json().get("code") != "forbidden":
            return f"{action} by {role}: {got}, want 403 forbidden"
        if now != (source, version):
            return f"{action} by {role}: refused, but the case is now {now}"
    return None


@pytest.mark.parametrize("role", ROLES)
async def test_each_action_by_a_single_role_account(
    client: httpx.AsyncClient, app: Litestar, role: str
) -> None:
    """One test per role (12 app set-ups, not 120): every action tried, every wrong cell reported."""
    headers = await headers_for(client, app, role)
    reporter = await device_headers(client)
    merge_target = await submit(client, reporter)  # an open case, never moved
    wrong = [
        problem
        for action in TABLE
        if (problem := await try_cell(client, app, reporter, headers, role, action, merge_target["id"]))
        is not None
    ]
    assert not wrong, "\n".join(wrong)
