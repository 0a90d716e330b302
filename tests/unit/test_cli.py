"""The commands `make run` uses, in a fresh data dir: migrate, then seed-demo twice without duplicates.
Each test works on its own copy of a data dir migrated (and seeded) once for the module: every command
is a process of its own, and migrating from nothing is the slow part."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from backend.cli import main
from backend.notify.vapid import public_key_of

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


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("migrated")
    assert run(path, "migrate").returncode == 0
    return path


@pytest.fixture(scope="module")
def seeded(migrated: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "data"
    shutil.copytree(migrated, path)
    first = run(path, "seed-demo")
    assert first.returncode == 0, first.stderr
    return path


def copy_of(template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(template, tmp_path / "data"))


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        return {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in (
                "categories",
                "grids",
                "users",
                "cases",
                "photos",
                "outbox_events",
                "routing_rules",
                "reply_templates",
                "reply_deadlines",
            )
        }


def test_seed_demo_is_idempotent(seeded: Path, tmp_path: Path) -> None:
    data = copy_of(seeded, tmp_path)
    before = counts(data / "city.db")
    second = run(data, "seed-demo")
    assert second.returncode == 0, second.stderr
    assert counts(data / "city.db") == before
    assert before["cases"] == 3 and before["photos"] == 2 and before["grids"] == 24
    assert before["routing_rules"] > 20 and before["reply_templates"] >= 4 and before["reply_deadlines"] == 4
    for secret in ("secret_key", "vapid_private_key"):
        assert (seeded / secret).stat().st_mode & 0o077 == 0, f"the generated {secret} is private"


def test_vapid_keys_prints_a_new_pair_as_settings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["vapid-keys"]) == 0
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert set(lines) == {"CITY_VAPID_PRIVATE_KEY", "CITY_VAPID_PUBLIC_KEY"}
    assert public_key_of(lines["CITY_VAPID_PRIVATE_KEY"]) == lines["CITY_VAPID_PUBLIC_KEY"]
    assert main(["vapid-keys"]) == 0
    assert lines["CITY_VAPID_PRIVATE_KEY"] not in capsys.readouterr().out, "a new pair each time"


def test_create_user_and_bad_files(migrated: Path, tmp_path: Path) -> None:
    data = copy_of(migrated, tmp_path)
    ok = run(data, "create-user", "--username", "li", "--password", "pw-123456", "--role", "inspector")
    assert ok.returncode == 0, ok.stderr
    bad_role = run(data, "create-user", "--username", "li", "--password", "x", "--role", "king")
    assert bad_role.returncode == 2 and "unknown roles" in bad_role.stderr
    not_json = tmp_path / "categories.json"
    not_json.write_text("{oops")
    assert run(data, "load-categories", str(not_json)).returncode == 2
    broken = tmp_path / "grids.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature"}]}')
    refused = run(data, "import-grids", str(broken))
    assert refused.returncode == 2 and "nothing was loaded" in refused.stderr
    with sqlite3.connect(data / "city.db") as connection:
        assert connection.execute("SELECT count(*) FROM grids").fetchone()[0] == 0
        assert (
            connection.execute("SELECT roles FROM users WHERE username = 'li'").fetchone()[0]
            == '["inspector"]'
        )


def test_a_routing_file_replaces_the_table_or_nothing(seeded: Path, tmp_path: Path) -> None:
    data = copy_of(seeded, tmp_path)
    good = tmp_path / "routing.json"
    good.write_text(
        '{"rules": [{"category_code": "C01", "department_code": "SZ-MUNI"},'
        ' {"category_code": "C0101", "grid_prefix": "330102001", "department_code": "SZ-WATER"}]}'
    )
    loaded = run(data, "load-routing", str(good))
    assert loaded.returncode == 0, loaded.stderr
    unknown = tmp_path / "unknown.json"
    unknown.write_text('{"rules": [{"category_code": "C01", "department_code": "NOBODY"}]}')
    refused = run(data, "load-routing", str(unknown))
    assert refused.returncode == 2 and "unknown department NOBODY" in refused.stderr
    with sqlite3.connect(data / "city.db") as connection:
        rows = connection.execute(
            "SELECT category_code, grid_prefix, department_code FROM routing_rules ORDER BY category_code"
        ).fetchall()
    assert rows == [("C01", "", "SZ-MUNI"), ("C0101", "330102001", "SZ-WATER")]


def test_outbox_replay_dead_makes_dead_letters_due_again(seeded: Path, tmp_path: Path) -> None:
    data = copy_of(seeded, tmp_path)
    with sqlite3.connect(data / "city.db") as connection:
        connection.execute(
            "UPDATE outbox_events SET dead_at = '2026-11-25 00:00:00.000000', attempts = 12, "
            "next_attempt_at = '2099-01-01 00:00:00.000000' "
            "WHERE rowid IN (SELECT min(rowid) FROM outbox_events)"
        )
    replayed = run(data, "outbox", "replay", "--dead")
    assert replayed.returncode == 0, replayed.stderr
    assert "1 dead events replayed" in replayed.stdout
    with sqlite3.connect(data / "city.db") as connection:
        left = connection.execute(
            "SELECT count(*) FROM outbox_events WHERE dead_at IS NOT NULL OR attempts > 0"
        ).fetchone()[0]
        audited = connection.execute("SELECT action FROM audit_entries").fetchall()
    assert left == 0 and audited == [("outbox.replayed",)]


def test_api_keys_are_made_listed_and_revoked_from_the_command_line(migrated: Path, tmp_path: Path) -> None:
    data = copy_of(migrated, tmp_path)
    made = run(data, "create-api-key", "--name", "12345 热线")
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    assert key.startswith("c311_") and len(key) > 40, "the key alone on stdout, for a script to take"
    with sqlite3.connect(data / "city.db") as connection:
        [(digest, prefix, kind)] = connection.execute(
            "SELECT key_digest, prefix, users.kind FROM api_keys JOIN users ON users.id = api_keys.user_id"
        ).fetchall()
    assert key not in (digest, prefix) and key.startswith(prefix), "only a digest and a prefix are kept"
    assert kind == "client"
    again = run(data, "create-api-key", "--name", "12345 热线")
    assert again.returncode == 2 and "api_key_name_taken" in again.stderr

    listed = run(data, "list-api-keys")
    assert listed.returncode == 0 and "12345 热线" in listed.stdout and "active" in listed.stdout
    assert key not in listed.stdout
    revoked = run(data, "revoke-api-key", "12345 热线")
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked" in run(data, "list-api-keys").stdout
    assert run(data, "revoke-api-key", "nobody").returncode == 2


def test_recount_cases_counts_what_was_imported_around_the_app(seeded: Path, tmp_path: Path) -> None:
    data = copy_of(seeded, tmp_path)
    db = data / "city.db"

    def kept() -> dict[str, int]:
        with sqlite3.connect(db) as connection:
            rows = connection.execute(
                "SELECT status, sum(n) FROM case_counts GROUP BY status HAVING sum(n) > 0"
            )
            return dict(rows.fetchall())

    assert kept() == {"submitted": 3}, "the demo's reports were counted as they were stored"
    # A bulk import writes cases around the workflow: their counts are off until recounted.
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE cases SET status = 'closed' WHERE id IN (SELECT id FROM cases LIMIT 2)")
    assert kept() == {"submitted": 3}
    recounted = run(data, "recount-cases")
    assert recounted.returncode == 0, recounted.stderr
    assert "counted 3 cases" in recounted.stdout
    assert kept() == {"submitted": 1, "closed": 2}
