"""The README's recipe for several Homele companies in one warehouse, run as written.

The ``yaml`` block of README.md's "Consolidating several Homele companies" section becomes a
Meltano project (the base plugin's definition and target-postgres taken from meltano.yml,
their venvs shared with it), then two companies of one sandbox load into the same tables.
"""

from __future__ import annotations

import re
import typing as t

import pytest
import yaml

from tap_homele.sandbox import Sandbox
from tests.e2e.conftest import PLUGIN_VENVS, REPO, UNTHROTTLED_RPM, MeltanoProject
from tests.e2e.truth import TABLES

if t.TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.e2e.postgres import TemporaryPostgres

pytestmark = pytest.mark.e2e

SCHEMA = "homele_companies"
SECTION = "## Consolidating several Homele companies in one warehouse"


def readme_recipe() -> dict[str, t.Any]:
    section = (REPO / "README.md").read_text().split(SECTION, 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```yaml\n(.*?)```", section, re.DOTALL)
    recipe: dict[str, t.Any] = yaml.safe_load(block)
    return recipe


def recipe_project(root: Path) -> list[str]:
    """Write the recipe's project into ``root``; return the names of its company plugins."""
    recipe = readme_recipe()
    base, *companies = recipe["plugins"]["extractors"]
    project = yaml.safe_load((REPO / "meltano.yml").read_text())
    (tap,) = project["plugins"]["extractors"]
    assert base["name"] == tap["name"]
    tap["config"] = base["config"]
    project["plugins"]["extractors"] = [tap, *companies]
    project["plugins"]["loaders"] = [
        loader for loader in project["plugins"]["loaders"] if loader["name"] == "target-postgres"
    ]
    project["environments"] = [{"name": "test"}]  # `meltano run` needs an environment
    project["default_environment"] = "test"
    root.mkdir()
    (root / "meltano.yml").write_text(yaml.safe_dump(project, sort_keys=False))
    return [company["name"] for company in companies]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(customers=150, seed=37, rate_limit=0) as server:
        yield server


def test_two_companies_in_one_warehouse(
    meltano_installed: Path, postgres: TemporaryPostgres, sandbox: Sandbox, tmp_path: Path
) -> None:
    root = tmp_path / "project"
    plugins = recipe_project(root)
    assert len(plugins) == 2
    # Same plugin names and pip_urls as meltano.yml: reuse the venvs `meltano install` built.
    project = MeltanoProject(root=root, database=tmp_path / "meltano.db")
    environment = {
        "MELTANO_SYS_DIR_ROOT": str(PLUGIN_VENVS),
        "MELTANO_AUTO_INSTALL": "false",
        "TARGET_POSTGRES_SQLALCHEMY_URL": (
            f"postgresql+psycopg://{postgres.user}@{postgres.host}:{postgres.port}/"
            f"{postgres.database}"
        ),
        "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": SCHEMA,
    }
    tokens = {plugins[0]: sandbox.tokens["full"], plugins[1]: sandbox.tokens["other_company"]}
    for plugin, token in tokens.items():
        prefix = plugin.upper().replace("-", "_")
        environment[f"{prefix}_API_URL"] = sandbox.url
        environment[f"{prefix}_API_TOKEN"] = token
        environment[f"{prefix}_REQUESTS_PER_MINUTE"] = UNTHROTTLED_RPM

    project.run(
        "run", plugins[0], "target-postgres", plugins[1], "target-postgres", env=environment
    )

    companies = {
        readme_recipe()["plugins"]["extractors"][i + 1]["config"]["stream_map_config"][
            "company"
        ]: company
        for i, company in enumerate((1, 2))
    }
    for table in TABLES:
        rows = postgres.rows(
            f"SELECT company, count(*) AS n FROM {SCHEMA}.{table} GROUP BY company"
        )
        loaded = {row["company"]: row["n"] for row in rows}
        expected = {}
        for name, company in companies.items():
            details = sandbox.truth_details(company=company)
            expected[name] = {
                "customers": len(sandbox.truth(company=company)),
                "customer_details": len(details),
                "lead_status_history": sum(len(d["lead_status_history"]) for d in details.values()),
            }[table]
        assert loaded == expected, table
    keys = postgres.rows(
        f"""
        SELECT tc.table_name AS table, json_agg(k.column_name ORDER BY k.ordinal_position) AS cols
        FROM information_schema.table_constraints AS tc
        JOIN information_schema.key_column_usage AS k
          USING (constraint_schema, constraint_name, table_name)
        WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = '{SCHEMA}'
        GROUP BY tc.table_name
        """
    )
    # target-postgres orders a key's columns as the table's, the set is what counts
    assert {row["table"]: sorted(row["cols"]) for row in keys} == {
        "customers": ["company", "id"],
        "customer_details": ["company", "id"],
        "lead_status_history": ["company", "customer_id", "id"],
    }
