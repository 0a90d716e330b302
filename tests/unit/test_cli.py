"""The commands `make run` uses, in a fresh data dir: migrate, then seed-demo twice without duplicates."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITY_")} | {
        "CITY_DATA_DIR": str(data_dir)
    }
    return subprocess.run(
        [sys.executable, "-m", "backend", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        return {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("categories", "grids", "users", "cases", "photos", "outbox_events")
        }


def test_seed_demo_is_idempotent(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    first = run(tmp_path, "seed-demo")
    assert first.returncode == 0, first.stderr
    before = counts(tmp_path / "city.db")
    second = run(tmp_path, "seed-demo")
    assert second.returncode == 0, second.stderr
    assert counts(tmp_path / "city.db") == before
    assert before["cases"] == 2 and before["photos"] == 2 and before["grids"] == 24
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0, "the generated secret is private"


def test_create_user_and_bad_files(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    ok = run(tmp_path, "create-user", "--username", "li", "--password", "pw-123456", "--role", "inspector")
    assert ok.returncode == 0, ok.stderr
    bad_role = run(tmp_path, "create-user", "--username", "li", "--password", "x", "--role", "king")
    assert bad_role.returncode == 2 and "unknown roles" in bad_role.stderr
    not_json = tmp_path / "categories.json"
    not_json.write_text("{oops")
    assert run(tmp_path, "load-categories", str(not_json)).returncode == 2
    broken = tmp_path / "grids.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature"}]}')
    refused = run(tmp_path, "import-grids", str(broken))
    assert refused.returncode == 2 and "nothing was loaded" in refused.stderr
    with sqlite3.connect(tmp_path / "city.db") as connection:
        assert connection.execute("SELECT count(*) FROM grids").fetchone()[0] == 0
        assert (
            connection.execute("SELECT roles FROM users WHERE username = 'li'").fetchone()[0]
            == '["inspector"]'
        )
