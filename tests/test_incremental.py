"""Incremental syncs: the fewest requests, and no lost customer."""

from __future__ import annotations

import json
import math
import random
import signal
import subprocess
import sys
import time
import typing as t
from pathlib import Path

import pytest

from tap_homele.sandbox import Sandbox
from tests.conftest import catalog_selecting, comparable, instant, run_tap, tap_config

TAP = str(Path(sys.executable).parent / "tap-homele")


def _endpoint_counts(sandbox: Sandbox) -> dict[str, int]:
    return {
        endpoint: sum(statuses.values())
        for endpoint, statuses in sandbox.stats()["by_endpoint"].items()
    }


def _latest(rows: t.Iterable[dict[str, t.Any]]) -> dict[int, dict[str, t.Any]]:
    """The last emitted version of each customer."""
    return {row["id"]: row for row in rows}


@pytest.fixture
def thousand() -> t.Iterator[Sandbox]:
    with Sandbox(customers=1000, seed=21, rate_limit=0) as server:
        yield server


def test_first_sync_of_1000_costs_10_list_and_1000_detail_requests(thousand: Sandbox) -> None:
    thousand.reset_log()
    result = run_tap(tap_config(thousand))

    assert result.exit_code == 0
    assert _endpoint_counts(thousand) == {"list": 10, "detail": 1000}
    assert len(result.records["customers"]) == 1000
    assert len(result.records["customer_details"]) == 1000


def test_after_touching_5_the_next_sync_costs_one_page_and_5_details(thousand: Sandbox) -> None:
    first = run_tap(tap_config(thousand))
    touched = set(thousand.touch(count=5))
    thousand.reset_log()

    second = run_tap(tap_config(thousand), state=first.final_state)

    counts = _endpoint_counts(thousand)
    assert counts["detail"] == 5
    assert counts["list"] == 1
    assert {row["id"] for row in second.records["customers"]} == touched
    truth = {row["id"]: row for row in thousand.truth(company=1)}
    for row in second.records["customers"]:
        assert comparable(row) == comparable(truth[row["id"]])
    details = thousand.truth_details(company=1)
    assert comparable(_latest(second.records["customer_details"])) == comparable(
        {customer_id: details[customer_id] for customer_id in touched}
    )
    history = second.records.get("lead_status_history", [])
    assert len(history) == sum(len(details[c]["lead_status_history"]) for c in touched)


def test_a_run_with_no_change_costs_one_list_request(fresh_sandbox: Sandbox) -> None:
    first = run_tap(tap_config(fresh_sandbox))
    fresh_sandbox.reset_log()

    second = run_tap(tap_config(fresh_sandbox), state=first.final_state)

    assert _endpoint_counts(fresh_sandbox) == {"list": 1}
    assert second.records == {}
    assert second.final_state is not None
    customers_state = second.final_state["bookmarks"]["customers"]
    assert customers_state == first.final_state["bookmarks"]["customers"]


def test_touches_spread_over_pages_cost_those_pages_plus_at_most_one(
    fresh_sandbox: Sandbox,
) -> None:
    first = run_tap(tap_config(fresh_sandbox, page_size=20))
    truth = fresh_sandbox.truth(company=1)
    # Touch customers that sit on pages 1..8 of the old order: all move to the front.
    touched = set(fresh_sandbox.touch(ids=[truth[i]["id"] for i in (3, 45, 99, 150)]))
    fresh_sandbox.reset_log()

    second = run_tap(tap_config(fresh_sandbox, page_size=20), state=first.final_state)

    assert {row["id"] for row in second.records["customers"]} == touched
    assert _endpoint_counts(fresh_sandbox) == {"list": 1, "detail": 4}


def test_start_date_bounds_the_first_sync(fresh_sandbox: Sandbox) -> None:
    truth = fresh_sandbox.truth(company=1)
    start = truth[60]["last_activity_at"]
    fresh_sandbox.reset_log()

    result = run_tap(tap_config(fresh_sandbox, start_date=start, page_size=25))

    start_instant = instant(start)
    assert start_instant is not None
    floor = start_instant.replace(microsecond=0)
    expected = {
        row["id"]
        for row in truth
        if row["last_activity_at"] and (instant(row["last_activity_at"]) or floor) >= floor
    }
    assert {row["id"] for row in result.records["customers"]} == expected
    assert _endpoint_counts(fresh_sandbox)["list"] <= math.ceil(len(expected) / 25) + 1
    assert _endpoint_counts(fresh_sandbox)["detail"] == len(expected)


def test_customers_without_activity_come_with_full_syncs_only(fresh_sandbox: Sandbox) -> None:
    inactive = {row["id"] for row in fresh_sandbox.truth(company=1) if not row["last_activity_at"]}
    assert inactive, "the sandbox must hold customers with no activity"

    full = run_tap(tap_config(fresh_sandbox))
    assert inactive <= {row["id"] for row in full.records["customers"]}

    fresh_sandbox.touch(ids=[min(inactive)])
    incremental = run_tap(tap_config(fresh_sandbox), state=full.final_state)
    assert {row["id"] for row in incremental.records["customers"]} == {min(inactive)}


def test_details_selected_without_customers_are_still_incremental(
    fresh_sandbox: Sandbox,
) -> None:
    catalog = catalog_selecting({"customer_details", "lead_status_history"})
    first = run_tap(tap_config(fresh_sandbox), catalog=catalog)
    assert "customers" not in first.records
    assert len(first.records["customer_details"]) == 250
    assert first.final_state is not None
    assert first.final_state["bookmarks"]["customers"]["replication_key_value"]

    touched = set(fresh_sandbox.touch(count=3))
    fresh_sandbox.reset_log()
    second = run_tap(tap_config(fresh_sandbox), catalog=catalog, state=first.final_state)

    assert {row["id"] for row in second.records["customer_details"]} == touched
    assert _endpoint_counts(fresh_sandbox) == {"list": 1, "detail": 3}


def test_an_oldest_first_server_loses_nobody(caplog: pytest.LogCaptureFixture) -> None:
    with Sandbox(customers=300, seed=5, rate_limit=0, order="asc") as server:
        first = run_tap(tap_config(server))
        assert len(first.records["customers"]) == 300
        touched = set(server.touch(count=4))
        caplog.clear()
        server.reset_log()

        second = run_tap(tap_config(server), state=first.final_state)

        assert {row["id"] for row in second.records["customers"]} == touched
        assert _endpoint_counts(server) == {"list": 3, "detail": 4}
    warnings = [r for r in caplog.records if "out of newest-first order" in r.getMessage()]
    assert len(warnings) == 1


def test_changes_during_a_sync_are_caught_by_the_next_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with Sandbox(customers=400, seed=9, rate_limit=0, mutate_every=7) as server:
        first = run_tap(tap_config(server))
        assert first.exit_code == 0
        server.set_mutate_every(0)
        second = run_tap(tap_config(server), state=first.final_state)
        assert second.exit_code == 0

        emitted = _latest(first.records["customers"] + second.records.get("customers", []))
        truth = {row["id"]: row for row in server.truth(company=1)}
        deleted = [r for r in server.request_log if r.endpoint == "detail" and r.status == 404]

    assert truth.keys() <= emitted.keys()
    for customer_id, row in truth.items():
        assert instant(emitted[customer_id]["last_activity_at"]) == instant(
            row["last_activity_at"]
        ), customer_id
    skipped = [r for r in caplog.records if "deleted after it was listed" in r.getMessage()]
    assert len(skipped) == len(deleted)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_runs_killed_anywhere_resume_from_their_last_state_without_loss(
    tmp_path: Path, stop: signal.Signals
) -> None:
    rng = random.Random(int(stop))
    with Sandbox(customers=300, seed=13, rate_limit=0) as server:
        # 20 requests/s: an incremental run of ~50 changes lasts a few seconds.
        config = tap_config(server, requests_per_minute=1200)
        first = run_tap(config)
        changed = set(server.touch(count=40)) | set(server.add(count=10))
        (tmp_path / "config.json").write_text(json.dumps(config))

        state = first.final_state
        emitted: dict[int, dict[str, t.Any]] = {}
        detailed: set[int] = set()
        interrupted = 0
        for _ in range(10):
            (tmp_path / "state.json").write_text(json.dumps(state))
            process = subprocess.Popen(
                [
                    TAP,
                    "--config",
                    str(tmp_path / "config.json"),
                    "--state",
                    str(tmp_path / "state.json"),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(rng.uniform(0.2, 3.0))
            process.send_signal(stop)
            stdout, _ = process.communicate(timeout=60)
            messages = list(_complete_messages(stdout))
            run_ids = {
                m["record"]["id"]
                for m in messages
                if m["type"] == "RECORD" and m["stream"] == "customers"
            }
            interrupted += not changed <= run_ids
            for message in messages:
                if message["type"] == "STATE":
                    state = message["value"]
                elif message["type"] != "RECORD":
                    continue
                elif message["stream"] == "customers":
                    emitted[message["record"]["id"]] = message["record"]
                elif message["stream"] == "customer_details":
                    detailed.add(message["record"]["id"])

        final = run_tap(config, state=state)
        truth = {row["id"]: row for row in server.truth(company=1)}

    assert interrupted >= 5, "most kills must land before the run has emitted everything"
    assert final.exit_code == 0
    emitted.update(_latest(final.records.get("customers", [])))
    detailed |= {row["id"] for row in final.records.get("customer_details", [])}
    assert changed <= emitted.keys()
    assert changed <= detailed
    for customer_id in changed:
        assert instant(emitted[customer_id]["last_activity_at"]) == instant(
            truth[customer_id]["last_activity_at"]
        )


def _complete_messages(stdout: bytes) -> t.Iterator[dict[str, t.Any]]:
    """The Singer messages a killed process wrote: only its very last line may be cut."""
    lines = stdout.splitlines()
    for number, line in enumerate(lines, start=1):
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            assert number == len(lines), f"line {number} of {len(lines)} is not JSON"
