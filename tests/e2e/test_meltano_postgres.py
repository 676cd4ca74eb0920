"""sandbox -> Meltano -> target-postgres on a throwaway PostgreSQL: the path users run."""

from __future__ import annotations

import typing as t

import pytest

from tap_homele.sandbox import Sandbox
from tests.e2e.truth import (
    PRIMARY_KEYS,
    TABLES,
    expected_counts,
    expected_customers,
    expected_history,
)

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.e2e.conftest import MeltanoProject
    from tests.e2e.postgres import TemporaryPostgres

pytestmark = pytest.mark.e2e

SCHEMA = "homele_e2e"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A sandbox of this test's own: it gets touched."""
    with Sandbox(customers=420, seed=23, rate_limit=0) as server:
        yield server


def loader_environment(postgres: TemporaryPostgres) -> dict[str, str]:
    return {
        "TARGET_POSTGRES_SQLALCHEMY_URL": (
            f"postgresql+psycopg://{postgres.user}@{postgres.host}:{postgres.port}/"
            f"{postgres.database}"
        ),
        "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": SCHEMA,
    }


def counts(postgres: TemporaryPostgres) -> dict[str, int]:
    return {
        table: int(postgres.scalar(f"SELECT count(*) FROM {SCHEMA}.{table}")) for table in TABLES
    }


def primary_keys(postgres: TemporaryPostgres) -> dict[str, list[str]]:
    rows = postgres.rows(
        f"""
        SELECT tc.table_name AS table,
               json_agg(k.column_name ORDER BY k.ordinal_position) AS columns
        FROM information_schema.table_constraints AS tc
        JOIN information_schema.key_column_usage AS k
          USING (constraint_schema, constraint_name, table_name)
        WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = '{SCHEMA}'
        GROUP BY tc.table_name
        """
    )
    return {row["table"]: row["columns"] for row in rows}


def column_types(postgres: TemporaryPostgres, table: str) -> dict[str, str]:
    rows = postgres.rows(
        f"""
        SELECT column_name, CASE WHEN data_type = 'ARRAY' THEN udt_name ELSE data_type END AS type
        FROM information_schema.columns
        WHERE table_schema = '{SCHEMA}' AND table_name = '{table}'
        """
    )
    return {row["column_name"]: row["type"] for row in rows}


def loaded_customers(postgres: TemporaryPostgres) -> dict[int, tuple[float | None, int | None]]:
    # The target stores UTC instants in `timestamp without time zone` columns.
    rows = postgres.rows(
        f"""
        SELECT id,
               round(extract(epoch FROM last_activity_at AT TIME ZONE 'UTC'), 6) AS activity,
               (lead_status ->> 'id')::int AS status
        FROM {SCHEMA}.customers
        """
    )
    return {
        int(row["id"]): (
            None if row["activity"] is None else float(row["activity"]),
            row["status"],
        )
        for row in rows
    }


def loaded_history(postgres: TemporaryPostgres) -> dict[tuple[int, int], int]:
    rows = postgres.rows(
        f"SELECT customer_id, id, (to_status ->> 'id')::int AS status "
        f"FROM {SCHEMA}.lead_status_history"
    )
    return {(int(row["customer_id"]), int(row["id"])): int(row["status"]) for row in rows}


def loaded_since(postgres: TemporaryPostgres, table: str, moment: str) -> set[int]:
    """Customer ids of the rows written by a batch after ``moment``."""
    column = "customer_id" if table == "lead_status_history" else "id"
    rows = postgres.rows(
        f"SELECT DISTINCT {column} AS id FROM {SCHEMA}.{table} "
        f"WHERE _sdc_batched_at > '{moment}'::timestamp"
    )
    return {int(row["id"]) for row in rows}


def test_full_then_incremental_sync_upserts(
    meltano_project: MeltanoProject, postgres: TemporaryPostgres, sandbox: Sandbox
) -> None:
    environment = loader_environment(postgres)

    # First run: no state, a full sync.
    meltano_project.sync(sandbox, "target-postgres", environment)

    assert counts(postgres) == expected_counts(sandbox)
    assert primary_keys(postgres) == PRIMARY_KEYS
    assert loaded_customers(postgres) == expected_customers(sandbox)
    assert loaded_history(postgres) == expected_history(sandbox)
    customer_types = column_types(postgres, "customers")
    assert customer_types["id"] == "bigint"
    assert customer_types["name"] in {"text", "character varying"}
    assert customer_types["lead_status"] == "jsonb"
    assert customer_types["last_activity_at"].startswith("timestamp")
    detail_types = column_types(postgres, "customer_details")
    assert detail_types["real_estate_types"] == "_jsonb"  # jsonb[]
    assert detail_types["lead_status_history"] == "_jsonb"
    history_types = column_types(postgres, "lead_status_history")
    assert history_types["customer_id"] == "bigint"
    assert history_types["changed_at"].startswith("timestamp")
    first_run_end = postgres.scalar(f"SELECT max(_sdc_batched_at) FROM {SCHEMA}.customers")

    # Five customers get new activity; the next run starts from Meltano's stored state.
    touched = set(sandbox.touch(count=5))
    assert len(touched) == 5
    sandbox.reset_log()
    meltano_project.sync(sandbox, "target-postgres", environment)

    requests = sandbox.stats()["by_endpoint"]
    assert requests["detail"] == {"200": 5}, "an incremental run fetches only changed details"
    assert sum(requests["list"].values()) <= 2
    assert counts(postgres) == expected_counts(sandbox), "rerun duplicated or lost rows"
    assert loaded_customers(postgres) == expected_customers(sandbox), "touched rows not updated"
    assert loaded_history(postgres) == expected_history(sandbox)
    assert loaded_since(postgres, "customers", first_run_end) == touched
    assert loaded_since(postgres, "customer_details", first_run_end) == touched
    assert loaded_since(postgres, "lead_status_history", first_run_end) == touched
    deleted = f"SELECT count(*) FROM {SCHEMA}.customers WHERE _sdc_deleted_at IS NOT NULL"
    assert postgres.scalar(deleted) == 0
