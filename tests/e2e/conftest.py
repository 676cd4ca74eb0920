"""End-to-end fixtures: Meltano and its plugins as installed by scripts/test.sh, real servers.

Meltano lives in ``.tools/meltano`` (``scripts/meltano.sh`` installs it from the hash-pinned
``scripts/meltano/requirements.txt``); the plugins' venvs in ``.meltano/``, built here by
``meltano install`` once per session from the repository's ``meltano.yml``. Each test gets
its own Meltano system database (so its own state), its own sandbox and its own schema.
"""

from __future__ import annotations

import os
import subprocess
import typing as t
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.postgres import TemporaryPostgres

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from tap_homele.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[2]
MELTANO = REPO / ".tools" / "meltano" / "bin" / "meltano"
PLUGIN_VENVS = REPO / ".meltano"

#: Plenty for the sandbox, which is run without a rate limit here.
UNTHROTTLED_RPM = "600000"


def plugin_executable(plugin_type: str, name: str, executable: str) -> Path:
    """An executable inside the venv Meltano built for a plugin."""
    return PLUGIN_VENVS / plugin_type / name / "venv" / "bin" / executable


def clean_environment() -> dict[str, str]:
    """This process's environment without anything that could configure a plugin or Meltano."""
    prefixes = ("TAP_HOMELE", "TARGET_", "MELTANO_")
    env = {key: value for key, value in os.environ.items() if not key.startswith(prefixes)}
    env.update(
        MELTANO_CLI_DISABLE_VERSION_CHECK="true",
        MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
        NO_COLOR="1",
    )
    return env


@dataclass
class MeltanoProject:
    """The repository's Meltano project with a system database (and state) of one test."""

    root: Path
    database: Path

    def run(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """Run ``meltano ARGS`` in the project; fail the test, with its log, if it fails."""
        full_env = clean_environment()
        full_env["MELTANO_DATABASE_URI"] = f"sqlite:///{self.database}"
        full_env.update(env or {})
        completed = subprocess.run(
            [str(MELTANO), *args],
            cwd=self.root,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if completed.returncode != 0:
            log = (completed.stdout + completed.stderr)[-6000:]
            pytest.fail(f"meltano {' '.join(args)} exited {completed.returncode}:\n{log}")
        return completed

    def sync(
        self, sandbox: Sandbox, loader: str, env: dict[str, str]
    ) -> subprocess.CompletedProcess[str]:
        """``meltano run tap-homele LOADER`` against a sandbox, incremental from stored state."""
        return self.run(
            "--environment=sandbox",
            "run",
            "tap-homele",
            loader,
            env={**tap_environment(sandbox), **env},
        )


def tap_environment(sandbox: Sandbox) -> dict[str, str]:
    """Settings of ``tap-homele`` as Meltano reads them from the environment."""
    return {
        "TAP_HOMELE_API_URL": sandbox.url,
        "TAP_HOMELE_API_TOKEN": sandbox.tokens["full"],
        "TAP_HOMELE_REQUESTS_PER_MINUTE": UNTHROTTLED_RPM,
    }


@pytest.fixture(scope="session")
def meltano_installed() -> Path:
    """Meltano, and every plugin of meltano.yml installed (``meltano install``)."""
    if not MELTANO.exists():
        message = f"{MELTANO} is missing: run the tests with scripts/test.sh, which installs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    completed = subprocess.run(
        [str(MELTANO), "install"],
        cwd=REPO,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if completed.returncode != 0:
        pytest.fail(f"meltano install failed:\n{(completed.stdout + completed.stderr)[-6000:]}")
    return MELTANO


@pytest.fixture
def meltano_project(meltano_installed: Path, tmp_path: Path) -> MeltanoProject:
    """The repository's Meltano project, with a fresh system database for this test."""
    return MeltanoProject(root=REPO, database=tmp_path / "meltano.db")


@pytest.fixture(scope="session")
def postgres() -> Iterator[TemporaryPostgres]:
    """A throwaway PostgreSQL server for the session (tests use schemas of their own)."""
    with TemporaryPostgres() as server:
        yield server
