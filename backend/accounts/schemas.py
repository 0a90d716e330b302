"""Auth bodies."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from backend.edge.text import VERBATIM

Role = Literal["citizen", "inspector", "dispatcher", "supervisor", "admin", "integration"]
ROLES: tuple[Role, ...] = ("citizen", "inspector", "dispatcher", "supervisor", "admin", "integration")
STAFF_ROLES = frozenset({"dispatcher", "supervisor", "admin"})


class OtpRequest(msgspec.Struct, frozen=True):
    phone: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]


class OtpVerify(msgspec.Struct, frozen=True):
    phone: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{6}$")]


class Login(msgspec.Struct, frozen=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    # Kept exactly as typed: trimming or dropping characters would change the password.
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256, extra=VERBATIM)]


class TokenOut(msgspec.Struct, frozen=True):
    token: str
    token_type: Literal["Bearer"]
    expires_at: str
    user_id: str
    kind: Literal["device", "citizen", "staff"]
    roles: list[str]
    # How many requests a device's history brought along on phone verification.
    moved_requests: int = 0


class OtpSent(msgspec.Struct, frozen=True):
    expires_in: int
    resend_after: int
