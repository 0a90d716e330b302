"""The embedded default object store: a directory, with atomic writes and safe keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.uploads.storage import LocalStore, ObjectNotFound


async def test_round_trip_overwrite_delete(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "objects")
    await store.check()
    await store.put("public/a/display.jpg", b"one", "image/jpeg")
    await store.put("public/a/display.jpg", b"two", "image/jpeg")
    assert await store.get("public/a/display.jpg") == b"two"
    assert not [p for p in (tmp_path / "objects").rglob(".part-*")], "no temp files left behind"
    await store.delete("public/a/display.jpg")
    await store.delete("public/a/display.jpg")
    with pytest.raises(ObjectNotFound):
        await store.get("public/a/display.jpg")


@pytest.mark.parametrize("key", ["", "/etc/passwd", "../x", "a/../../x", "a//b", "a\\b", "./a"])
async def test_bad_keys_are_refused(tmp_path: Path, key: str) -> None:
    store = LocalStore(tmp_path)
    with pytest.raises(ValueError):
        await store.put(key, b"x", "text/plain")
    with pytest.raises(ValueError):
        await store.get(key)


async def test_unwritable_root_fails_the_check(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(OSError):
        await LocalStore(blocker / "objects").check()
