"""A plain Singer pipe, no Meltano in between: ``tap-homele --config ... | target-jsonl``."""

from __future__ import annotations

import json
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest

from tap_homele.sandbox import Sandbox
from tests.e2e.conftest import UNTHROTTLED_RPM, clean_environment, plugin_executable
from tests.e2e.truth import PRIMARY_KEYS, TABLES, expected_counts

if t.TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.e2e


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(customers=230, seed=31, rate_limit=0) as server:
        yield server


def pipe(tap_config: Path, target_config: Path, stderr: Path) -> tuple[int, int]:
    """Run the tap into the target through an OS pipe; return both exit codes."""
    tap_command = [str(Path(sys.executable).parent / "tap-homele"), "--config", str(tap_config)]
    target_command = [
        str(plugin_executable("loaders", "target-jsonl", "target-jsonl")),
        "--config",
        str(target_config),
    ]
    env = clean_environment()
    with stderr.open("w") as errors:
        tap = subprocess.Popen(tap_command, stdout=subprocess.PIPE, stderr=errors, env=env)
        assert tap.stdout is not None
        target = subprocess.Popen(
            target_command, stdin=tap.stdout, stdout=subprocess.DEVNULL, stderr=errors, env=env
        )
        tap.stdout.close()  # the target owns the read end now
        return tap.wait(timeout=300), target.wait(timeout=300)


def test_tap_into_target_jsonl(
    meltano_installed: Path,  # builds the target-jsonl venv
    sandbox: Sandbox,
    tmp_path: Path,
) -> None:
    tap_config = tmp_path / "tap.json"
    tap_config.write_text(
        json.dumps(
            {
                "api_url": sandbox.url,
                "api_token": sandbox.tokens["full"],
                "requests_per_minute": int(UNTHROTTLED_RPM),
            }
        )
    )
    output = tmp_path / "out"
    target_config = tmp_path / "target.json"
    target_config.write_text(
        json.dumps({"destination_path": str(output), "do_timestamp_file": False})
    )
    stderr = tmp_path / "stderr.log"

    codes = pipe(tap_config, target_config, stderr)

    assert codes == (0, 0), stderr.read_text()[-4000:]
    assert sorted(path.name for path in output.iterdir()) == sorted(f"{t}.jsonl" for t in TABLES)
    records = {
        table: [json.loads(line) for line in (output / f"{table}.jsonl").read_text().splitlines()]
        for table in TABLES
    }
    assert {table: len(rows) for table, rows in records.items()} == expected_counts(sandbox)
    for table, rows in records.items():
        keys = {tuple(row[key] for key in PRIMARY_KEYS[table]) for row in rows}
        assert len(keys) == len(rows), f"{table}: a record was written twice"
    assert {row["id"] for row in records["customers"]} == {row["id"] for row in sandbox.truth()}
