"""Password hashing with argon2id (argon2-cffi's tuned defaults), off the event loop and bounded."""

from __future__ import annotations

import asyncio
import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
# argon2 is slow on purpose and uses several cores per hash: a burst of sign-ins may use half the
# machine's cores, and the rest stay with the requests everyone else is making.
_SLOTS = asyncio.Semaphore(max(1, (os.cpu_count() or 2) // 2))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


async def hashed(password: str) -> str:
    async with _SLOTS:
        return await asyncio.to_thread(hash_password, password)


async def verified(password_hash: str | None, password: str) -> bool:
    async with _SLOTS:
        return await asyncio.to_thread(verify_password, password_hash, password)
