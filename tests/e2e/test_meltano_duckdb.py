"""sandbox -> Meltano -> target-duckdb (with the duckdb it is pinned to): every row lands once."""

from __future__ import annotations

import json
import subprocess
import typing as t

import pytest

from tap_homele.sandbox import Sandbox
from tests.e2e.conftest import plugin_executable
from tests.e2e.truth import TABLES, expected_counts

if t.TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.e2e.conftest import MeltanoProject

pytestmark = pytest.mark.e2e

SCHEMA = "homele"

#: Runs inside the target-duckdb plugin venv, which has the pinned duckdb.
QUERY_SCRIPT = """
import json, sys
import duckdb
with duckdb.connect(sys.argv[1], read_only=True) as connection:
    print(json.dumps(connection.execute(sys.argv[2]).fetchall(), default=str))
"""


def duckdb_rows(database: Path, sql: str) -> list[list[t.Any]]:
    python = plugin_executable("loaders", "target-duckdb", "python")
    completed = subprocess.run(
        [str(python), "-c", QUERY_SCRIPT, str(database), sql],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    rows: list[list[t.Any]] = json.loads(completed.stdout)
    return rows


def counts(database: Path) -> dict[str, int]:
    return {
        table: duckdb_rows(database, f"SELECT count(*) FROM {SCHEMA}.{table}")[0][0]
        for table in TABLES
    }


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    # Exact row counts: target-duckdb with duckdb>=1.3 would lose the first row of each batch.
    with Sandbox(customers=250, seed=29, rate_limit=0) as server:
        yield server


def test_duckdb_row_counts_full_and_incremental(
    meltano_project: MeltanoProject, sandbox: Sandbox, tmp_path: Path
) -> None:
    database = tmp_path / "warehouse.duckdb"
    environment = {
        "TARGET_DUCKDB_FILEPATH": str(database),
        "TARGET_DUCKDB_DEFAULT_TARGET_SCHEMA": SCHEMA,
    }
    meltano_project.sync(sandbox, "target-duckdb", environment)
    assert counts(database) == expected_counts(sandbox)
    distinct_keys = duckdb_rows(
        database, f"SELECT count(DISTINCT (customer_id, id)) FROM {SCHEMA}.lead_status_history"
    )
    assert distinct_keys[0][0] == expected_counts(sandbox)["lead_status_history"]
    customer_ids = {row[0] for row in duckdb_rows(database, f"SELECT id FROM {SCHEMA}.customers")}
    assert customer_ids == {row["id"] for row in sandbox.truth()}

    touched = sandbox.touch(count=5)
    meltano_project.sync(sandbox, "target-duckdb", environment)
    assert counts(database) == expected_counts(sandbox), "rerun duplicated or lost rows"
    statuses = dict(
        duckdb_rows(
            database,
            f"SELECT id, CAST(lead_status->>'id' AS INTEGER) FROM {SCHEMA}.customers "
            f"WHERE id IN ({', '.join(map(str, touched))})",
        )
    )
    truth = {row["id"]: row["lead_status"]["id"] for row in sandbox.truth() if row["id"] in touched}
    assert statuses == truth
