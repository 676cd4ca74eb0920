"""The command line: settings validation before any request, --about, --discover, --test."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import typing as t
from pathlib import Path

import pytest

from tap_homele.sandbox import Sandbox
from tests.conftest import REPO, catalog_file, run_tap_cli, tap_config

TAP = str(Path(sys.executable).parent / "tap-homele")

BAD_SETTINGS: list[tuple[dict[str, t.Any], str]] = [
    ({"page_size": 0}, "page_size"),
    ({"page_size": 101}, "page_size"),
    ({"api_url": "ftp://crm.example.com/api"}, "api_url"),
    ({"api_url": "not a url"}, "api_url"),
    ({"api_url": "http://crm.example.com/api/v2/crm"}, "api_url"),
    ({"created_from": "2026-02-30"}, "created_from"),
    ({"created_to": "yesterday"}, "created_to"),
    ({"created_from": "2026-03-01", "created_to": "2026-02-01"}, "created_from"),
    ({"start_date": "last tuesday"}, "start_date"),
    ({"owner_ids": [7, -1]}, "owner_ids"),
    ({"priority_id": -3}, "priority_id"),
    ({"requests_per_minute": 0}, "requests_per_minute"),
    ({"api_token": "  "}, "api_token"),
]


@pytest.mark.parametrize(("settings", "named"), BAD_SETTINGS)
def test_bad_setting_fails_before_any_request_naming_it(
    fresh_sandbox: Sandbox, tmp_path: Path, settings: dict[str, t.Any], named: str
) -> None:
    fresh_sandbox.reset_log()
    result = run_tap_cli(tap_config(fresh_sandbox, **settings), tmp_path)

    assert result.exit_code != 0
    assert result.messages == []
    assert fresh_sandbox.stats()["total"] == 0
    naming = [line for line in result.stderr.splitlines() if named in line]
    assert naming, result.stderr
    assert "Traceback" not in result.stderr


def test_missing_token_is_named(tmp_path: Path) -> None:
    result = run_tap_cli({"api_url": "https://crm.example.com/api/v2/crm"}, tmp_path)
    assert result.exit_code != 0
    assert any("api_token" in line for line in result.stderr.splitlines())


def test_http_is_allowed_for_loopback_only(fresh_sandbox: Sandbox, tmp_path: Path) -> None:
    localhost_url = fresh_sandbox.url.replace("127.0.0.1", "localhost")
    result = run_tap_cli(
        tap_config(fresh_sandbox, api_url=localhost_url),
        tmp_path,
        "--catalog",
        str(catalog_file(tmp_path, {"customers"})),
    )
    assert result.exit_code == 0, result.stderr
    assert len(result.records["customers"]) == 250


def test_about_markdown_lists_every_setting() -> None:
    out = subprocess.run(
        [TAP, "--about", "--format=markdown"], capture_output=True, text=True, check=True
    ).stdout
    for setting in (
        "api_token",
        "api_url",
        "start_date",
        "page_size",
        "search_query",
        "lead_status_ids",
        "owner_ids",
        "lead_source_ids",
        "priority_id",
        "created_from",
        "created_to",
        "requests_per_minute",
        "request_timeout",
        "max_retries",
    ):
        assert f"| {setting} |" in out


def test_discover_declares_streams_keys_and_replication(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"api_token": "1|x"}))
    out = subprocess.run(
        [TAP, "--config", str(config), "--discover"], capture_output=True, text=True, check=True
    ).stdout
    streams = {entry["tap_stream_id"]: entry for entry in json.loads(out)["streams"]}
    assert set(streams) == {"customers", "customer_details", "lead_status_history"}
    assert streams["customers"]["key_properties"] == ["id"]
    assert streams["customers"]["replication_key"] == "last_activity_at"
    assert streams["lead_status_history"]["key_properties"] == ["customer_id", "id"]
    customer = streams["customers"]["schema"]["properties"]
    assert customer["id"]["type"] == ["integer"]
    assert "null" in customer["email"]["type"]
    assert customer["last_activity_at"]["format"] == "date-time"
    assert customer["owner"]["properties"].keys() == {"id", "name"}
    for entry in streams.values():
        for name, prop in entry["schema"]["properties"].items():
            assert prop.get("description"), f"{entry['tap_stream_id']}.{name} has no description"


def test_connection_test_reads_one_record_per_stream(
    fresh_sandbox: Sandbox, tmp_path: Path
) -> None:
    fresh_sandbox.reset_log()
    result = run_tap_cli(tap_config(fresh_sandbox), tmp_path, "--test")

    assert result.exit_code == 0, result.stderr
    assert len(result.records["customers"]) == 1
    stats = fresh_sandbox.stats()["by_endpoint"]
    assert stats["list"] == {"200": 1}
    assert stats["detail"] == {"200": 1}


def test_console_script_and_module_agree() -> None:
    about = subprocess.run(
        [sys.executable, "-m", "tap_homele.tap", "--about", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    ).stdout
    assert json.loads(about)["name"] == "tap-homele"


def test_sigterm_while_the_target_is_not_reading_leaves_whole_lines_no_duplicates(
    tmp_path: Path,
) -> None:
    with Sandbox(customers=3000, seed=17, rate_limit=0) as server:
        config = tmp_path / "config.json"
        config.write_text(json.dumps(tap_config(server)))
        catalog = catalog_file(tmp_path, {"customers"})
        for pause in (0.8, 1.2, 1.6):
            process = subprocess.Popen(
                [TAP, "--config", str(config), "--catalog", str(catalog)],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(pause)  # the pipe fills up and the tap blocks in a write
            process.send_signal(signal.SIGTERM)
            stdout, _ = process.communicate(timeout=60)

            messages = [json.loads(line) for line in stdout.splitlines()]
            ids = [m["record"]["id"] for m in messages if m["type"] == "RECORD"]
            assert len(ids) > 100
            assert len(ids) == len(set(ids))
            assert messages[-1]["type"] == "STATE"
