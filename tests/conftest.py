"""Shared fixtures: a real sandbox over HTTP and ways to run the tap against it."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tap_homele.sandbox import Sandbox
from tests.sandbox.sandbox_helpers import instant as sandbox_instant

if t.TYPE_CHECKING:
    import datetime

    from pytest_httpserver import HTTPServer

REPO = Path(__file__).resolve().parent.parent

#: High enough that the tap's own pacing never slows a test against an unthrottled sandbox.
UNTHROTTLED_RPM = 600_000


@dataclass
class SyncResult:
    """What one tap run wrote: Singer messages by kind, and how it ended."""

    messages: list[dict[str, t.Any]]
    exit_code: int = 0
    stderr: str = ""
    records: dict[str, list[dict[str, t.Any]]] = field(default_factory=dict)
    schemas: dict[str, int] = field(default_factory=dict)
    states: list[dict[str, t.Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for message in self.messages:
            kind = message["type"]
            if kind == "RECORD":
                self.records.setdefault(message["stream"], []).append(message["record"])
            elif kind == "SCHEMA":
                self.schemas[message["stream"]] = self.schemas.get(message["stream"], 0) + 1
            elif kind == "STATE":
                self.states.append(message["value"])

    @property
    def final_state(self) -> dict[str, t.Any] | None:
        return self.states[-1] if self.states else None


def tap_config(sandbox: Sandbox, token: str = "full", **overrides: t.Any) -> dict[str, t.Any]:  # noqa: S107
    """A config for the tap against ``sandbox`` with one of its tokens."""
    config: dict[str, t.Any] = {
        "api_url": sandbox.url,
        "api_token": sandbox.tokens[token],
        "requests_per_minute": UNTHROTTLED_RPM,
    }
    config.update(overrides)
    return config


#: Base path of the API on a hand-written test server (pytest-httpserver).
API = "/api/v2/crm"


def fake_server_config(httpserver: HTTPServer, **overrides: t.Any) -> dict[str, t.Any]:
    """A config for the tap against a hand-written test server (no token check there)."""
    return {
        "api_url": httpserver.url_for(API),
        "api_token": "5|FakeServerToken0123456789",
        "requests_per_minute": UNTHROTTLED_RPM,
        **overrides,
    }


def run_tap(
    config: dict[str, t.Any],
    *,
    state: dict[str, t.Any] | None = None,
    catalog: dict[str, t.Any] | None = None,
) -> SyncResult:
    """Run a full sync in this process and collect what it wrote to stdout."""
    from tap_homele.tap import TapHomele  # noqa: PLC0415

    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="utf-8")
    exit_code = 0
    with contextlib.redirect_stdout(stdout):
        try:
            tap = TapHomele(config=config, state=state, catalog=catalog, parse_env_config=False)
            tap.sync_all()
        except SystemExit as stop:
            exit_code = int(stop.code or 0)
        stdout.flush()
    return SyncResult(
        [json.loads(line) for line in raw.getvalue().splitlines() if line.strip()],
        exit_code=exit_code,
    )


def run_tap_cli(
    config: dict[str, t.Any],
    tmp_path: Path,
    *args: str,
    state: dict[str, t.Any] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> SyncResult:
    """Run the ``tap-homele`` executable as a user would, in a clean environment."""
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    command = [str(Path(sys.executable).parent / "tap-homele"), "--config", str(config_file)]
    if state is not None:
        state_file = tmp_path / "state.json"
        state_file.write_text(json.dumps(state))
        command += ["--state", str(state_file)]
    command += list(args)
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_HOMELE")}
    clean_env.update(env or {})
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, env=clean_env, check=False
    )
    messages = [json.loads(line) for line in completed.stdout.splitlines()]
    return SyncResult(messages, exit_code=completed.returncode, stderr=completed.stderr)


def instant(value: str | None) -> datetime.datetime | None:
    """Parse an ISO 8601 timestamp as the same instant, whatever its form."""
    return None if value is None else sandbox_instant(value)


TIMESTAMP_KEYS = {"created_at", "updated_at", "last_activity_at", "changed_at"}


def comparable(value: t.Any) -> t.Any:
    """The value with every timestamp turned into the instant it denotes."""
    if isinstance(value, dict):
        return {
            key: instant(item) if key in TIMESTAMP_KEYS else comparable(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [comparable(item) for item in value]
    return value


@pytest.fixture(scope="session")
def sandbox() -> t.Iterator[Sandbox]:
    """A read-only sandbox shared by tests that do not change its data: do not mutate it."""
    with Sandbox(customers=450, seed=7, rate_limit=0) as server:
        yield server


@pytest.fixture
def fresh_sandbox() -> t.Iterator[Sandbox]:
    """A sandbox of this test's own, to mutate or to count requests on."""
    with Sandbox(customers=250, seed=11, rate_limit=0) as server:
        yield server


def catalog_selecting(selected: set[str]) -> dict[str, t.Any]:
    """The tap's catalog with only the ``selected`` streams selected."""
    from tap_homele.tap import TapHomele  # noqa: PLC0415

    catalog = TapHomele(config={"api_token": "1|x"}, parse_env_config=False).catalog_dict
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in selected
    return catalog


def catalog_file(tmp_path: Path, selected: set[str]) -> Path:
    """``catalog_selecting`` written to a file for ``--catalog``."""
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog_selecting(selected)))
    return path
