"""The homele-sandbox command line, run as a real subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tap_homele.sandbox import TOKEN_NAMES, Sandbox

REPO = Path(__file__).resolve().parents[2]


def launch(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "tap_homele.sandbox", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_banner(proc: subprocess.Popen[str]) -> tuple[str, dict[str, str]]:
    assert proc.stdout is not None
    url_line = proc.stdout.readline().split()
    assert url_line[0] == "url", url_line
    tokens = {}
    for _ in TOKEN_NAMES:
        kind, name, value = proc.stdout.readline().split()
        assert kind == "token"
        tokens[name] = value
    return url_line[1], tokens


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cli_serves_and_stops_cleanly(tmp_path: Path, stop_signal: signal.Signals) -> None:
    token_file = tmp_path / "tokens.json"
    with launch(
        "--port",
        "0",
        "--customers",
        "40",
        "--seed",
        "3",
        "--rate-limit",
        "0",
        "--token-file",
        str(token_file),
    ) as proc:
        try:
            url, tokens = read_banner(proc)
            assert url.startswith("http://127.0.0.1:")
            assert url.endswith("/api/v2/crm")
            assert int(url.split(":")[2].split("/")[0]) > 0
            assert tuple(tokens) == TOKEN_NAMES
            assert tokens == Sandbox(customers=1, seed=3).tokens  # same seed, same tokens
            assert json.loads(token_file.read_text()) == tokens
            with requests.Session() as session:
                session.headers["Authorization"] = f"Bearer {tokens['full']}"
                response = session.get(f"{url}/customers", params={"per_page": 100}, timeout=10)
                assert response.status_code == 200
                assert len(response.json()["data"]) == 40
            started = time.monotonic()
            proc.send_signal(stop_signal)
            assert proc.wait(timeout=10) == 0
            assert time.monotonic() - started < 5
            assert proc.stderr is not None
            assert proc.stderr.read() == ""
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_cli_options_reach_the_server() -> None:
    with launch(
        "--port",
        "0",
        "--customers",
        "10",
        "--rate-limit",
        "2",
        "--rate-window",
        "30",
        "--order",
        "asc",
        "--fault-kinds",
        "error_500",
        "--fault-rate",
        "0",
        "--faults-at",
        "2:html_502",
    ) as proc:
        try:
            url, tokens = read_banner(proc)
            with requests.Session() as session:
                session.headers["Authorization"] = f"Bearer {tokens['full']}"
                responses = [session.get(f"{url}/customers", timeout=10) for _ in range(3)]
                assert [r.status_code for r in responses] == [200, 502, 429]
                assert responses[0].json()["data"] == Sandbox(customers=10, order="asc").truth()
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=10) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--fault-kinds", "boom", "unknown fault kinds"),
        ("--faults-at", "x:reset", "NUMBER:KIND"),
        ("--faults-at", "3:boom", "NUMBER:KIND"),
        ("--order", "random", "invalid choice"),
    ],
)
def test_cli_rejects_bad_options(option: str, value: str, message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tap_homele.sandbox", option, value],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr
