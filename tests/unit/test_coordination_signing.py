"""The HMAC signature of the exchange with the command-coordination platform."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from backend.coordination.signing import TOLERANCE_SECONDS, BadSignature, signature, verify

SECRET = "shared-secret"
BODY = b'{"event_id":"e1","event_type":"case.accepted"}'
NOW = 1_764_100_000


def test_the_signature_is_the_documented_hmac_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), b"1764100000." + BODY, hashlib.sha256).hexdigest()
    assert signature(SECRET, NOW, BODY) == f"sha256={expected}"


def test_a_good_signature_within_the_tolerance_passes() -> None:
    for skew in (-TOLERANCE_SECONDS, 0, TOLERANCE_SECONDS):
        verify(SECRET, str(NOW + skew), signature(SECRET, NOW + skew, BODY), BODY, now=NOW)


@pytest.mark.parametrize(
    ("timestamp", "signed", "body", "secret"),
    [
        (str(NOW), signature(SECRET, NOW, BODY), BODY + b" ", SECRET),  # tampered body
        (str(NOW), signature(SECRET, NOW, BODY)[:-1] + "0", BODY, SECRET),  # tampered signature
        (str(NOW + 1), signature(SECRET, NOW, BODY), BODY, SECRET),  # the timestamp is signed too
        (str(NOW), signature("other", NOW, BODY), BODY, SECRET),  # another secret
        (
            str(NOW - TOLERANCE_SECONDS - 1),
            signature(SECRET, NOW - TOLERANCE_SECONDS - 1, BODY),
            BODY,
            SECRET,
        ),
        (
            str(NOW + TOLERANCE_SECONDS + 1),
            signature(SECRET, NOW + TOLERANCE_SECONDS + 1, BODY),
            BODY,
            SECRET,
        ),
        (None, signature(SECRET, NOW, BODY), BODY, SECRET),
        (str(NOW), None, BODY, SECRET),
        ("１７６４１０００００", signature(SECRET, NOW, BODY), BODY, SECRET),  # digits, but not ASCII ones
        ("-5", signature(SECRET, -5, BODY), BODY, SECRET),
        (str(NOW), signature("", NOW, BODY), BODY, ""),  # no secret configured: nothing verifies
    ],
)
def test_anything_else_is_refused(
    timestamp: str | None, signed: str | None, body: bytes, secret: str
) -> None:
    with pytest.raises(BadSignature):
        verify(secret, timestamp, signed, body, now=NOW)
