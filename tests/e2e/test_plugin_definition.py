"""The plugin definition file works with ``meltano add --from-ref`` in a project of its own."""

from __future__ import annotations

import subprocess
import typing as t

import pytest
import yaml

from tests.e2e.conftest import REPO, clean_environment

if t.TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.e2e

DEFINITION = REPO / "plugin" / "tap-homele.yml"


def meltano(project: Path, meltano_installed: Path, *args: str) -> str:
    completed = subprocess.run(
        [str(meltano_installed), *args],
        cwd=project,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def test_meltano_add_from_ref(meltano_installed: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "meltano.yml").write_text("project_id: from-ref-test\n")

    meltano(
        project,
        meltano_installed,
        "add",
        "--plugin-type",
        "extractor",
        "tap-homele",
        "--from-ref",
        str(DEFINITION),
        "--no-install",
    )

    added = yaml.safe_load((project / "meltano.yml").read_text())["plugins"]["extractors"][0]
    definition = yaml.safe_load(DEFINITION.read_text())
    assert added["name"] == "tap-homele"
    assert added["namespace"] == "tap_homele"
    assert added["capabilities"] == definition["capabilities"]
    assert [s["name"] for s in added["settings"]] == [s["name"] for s in definition["settings"]]
    listing = meltano(project, meltano_installed, "config", "list", "tap-homele", "--all")
    variables = {
        line.split("[env: ")[1].split("]")[0] for line in listing.splitlines() if "[env: " in line
    }
    expected = {f"TAP_HOMELE_{s['name'].upper()}" for s in definition["settings"]}
    assert expected <= variables
