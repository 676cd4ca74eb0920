"""Rate limit and failures: use the budget, never hit the wall, survive every fault."""

from __future__ import annotations

import email.utils
import itertools
import json
import logging
import re
import time
import typing as t
from concurrent.futures import ThreadPoolExecutor

import pytest

from tap_homele import client
from tap_homele.client import HomeleStream
from tap_homele.sandbox import FAULT_KINDS, Sandbox
from tests.conftest import (
    API,
    catalog_file,
    catalog_selecting,
    fake_server_config,
    run_tap,
    run_tap_cli,
    tap_config,
)

if t.TYPE_CHECKING:
    from pathlib import Path

    from pytest_httpserver import HTTPServer
    from werkzeug import Request


def _rate_per_second(times: list[float]) -> float:
    times = sorted(times)
    return (len(times) - 1) / (times[-1] - times[0])


def test_paced_sync_fills_a_compressed_window_without_hitting_it() -> None:
    # 60 requests per 6 s is the real 60/min limit with time running 10x faster.
    with Sandbox(customers=600, seed=2, rate_limit=60, rate_window=6.0) as server:
        result = run_tap(tap_config(server, requests_per_minute=600))
        log = server.request_log

    assert result.exit_code == 0
    assert len(result.records["customer_details"]) == 600
    throttled = [r for r in log if r.status == 429]
    assert len(log) >= 600
    assert len(throttled) <= 0.01 * len(log)
    achieved = _rate_per_second([r.at for r in log])
    assert achieved >= 0.95 * 10, f"{achieved:.2f} requests/s of 10"


def test_slow_server_still_gets_the_whole_budget() -> None:
    # 1.5 s of latency at 60/min, compressed 10x: 150 ms at 10 requests/s. Every request
    # counts, list pages included (pages of 50: the wait for each next page shows more).
    with Sandbox(customers=200, seed=4, rate_limit=0, latency=0.15) as server:
        result = run_tap(tap_config(server, requests_per_minute=600, page_size=50))
        times = [r.at for r in server.request_log]

    assert len(result.records["customer_details"]) == 200
    assert len(times) == 204
    achieved = _rate_per_second(times)
    assert achieved >= 0.95 * 10, f"{achieved:.2f} requests/s of 10"


def test_details_are_emitted_in_list_order_despite_concurrency() -> None:
    with Sandbox(customers=150, seed=8, rate_limit=0, latency=0.05) as server:
        result = run_tap(tap_config(server))
        arrivals = [r.at for r in server.request_log if r.endpoint == "detail"]
    customers = [row["id"] for row in result.records["customers"]]
    details = [row["id"] for row in result.records["customer_details"]]
    assert details == customers
    # Fetched ahead, several at once: one after another they would arrive 50 ms apart.
    gaps = sorted(later - earlier for earlier, later in itertools.pairwise(arrivals))
    assert gaps[len(gaps) // 2] < 0.01


@pytest.mark.parametrize(("latency", "threaded"), [(0.0, False), (0.05, True)])
def test_details_are_fetched_from_threads_only_while_the_server_is_slow(
    monkeypatch: pytest.MonkeyPatch, latency: float, *, threaded: bool
) -> None:
    pools: list[str] = []

    class RecordingPool(ThreadPoolExecutor):
        def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
            pools.append(kwargs.get("thread_name_prefix", ""))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(client, "ThreadPoolExecutor", RecordingPool)
    with Sandbox(customers=150, seed=8, rate_limit=0, latency=latency) as server:
        result = run_tap(tap_config(server))
    assert len(result.records["customer_details"]) == 150
    assert ("homele-detail" in pools) is threaded


def test_a_2000_customer_sync_survives_ten_percent_faults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(HomeleStream, "retry_base_seconds", 0.01)
    with Sandbox(
        customers=2000, seed=6, rate_limit=0, fault_rate=0.10, fault_seed=3, slow_seconds=1.5
    ) as server:
        result = run_tap(tap_config(server, request_timeout=1, max_retries=10))
        truth = server.truth(company=1)
        details = server.truth_details(company=1)
        faults = {r.fault for r in server.request_log if r.fault}

    assert faults == set(FAULT_KINDS)
    assert result.exit_code == 0
    assert sorted(r["id"] for r in result.records["customers"]) == sorted(r["id"] for r in truth)
    assert sorted(r["id"] for r in result.records["customer_details"]) == sorted(details)
    assert len(result.records["lead_status_history"]) == sum(
        len(d["lead_status_history"]) for d in details.values()
    )


def _one_customer_page() -> dict[str, t.Any]:
    return {
        "success": True,
        "data": [
            {
                "id": 1,
                "name": "Ann Example",
                "created_at": "2026-01-01T00:00:00Z",
                "updated_at": "2026-01-01T00:00:00Z",
                "last_activity_at": "2026-01-02T00:00:00Z",
            }
        ],
        "meta": {"per_page": 100, "next_cursor": None, "prev_cursor": None, "has_more": False},
    }


def _throttle_once(retry_after: t.Callable[[], str]) -> t.Callable[[Request], t.Any]:
    from werkzeug import Response  # noqa: PLC0415

    calls: list[float] = []

    def handler(request: Request) -> Response:
        calls.append(time.monotonic())
        if len(calls) == 1:
            return Response(
                json.dumps({"success": False, "message": "Too Many Attempts."}),
                status=429,
                headers={"Retry-After": retry_after()},
                content_type="application/json",
            )
        return Response(json.dumps(_one_customer_page()), content_type="application/json")

    handler.calls = calls  # type: ignore[attr-defined]
    return handler


@pytest.mark.parametrize(
    ("retry_after", "least", "most"),
    [
        (lambda: "2", 2.0, 2.3),
        (lambda: email.utils.formatdate(time.time() + 3, usegmt=True), 2.0, 3.3),
    ],
    ids=["seconds", "http-date"],
)
def test_429_waits_what_retry_after_says_once(
    httpserver: HTTPServer,
    caplog: pytest.LogCaptureFixture,
    retry_after: t.Callable[[], str],
    least: float,
    most: float,
) -> None:
    caplog.set_level(logging.INFO)
    handler = _throttle_once(retry_after)
    httpserver.expect_request(f"{API}/customers").respond_with_handler(handler)
    config = fake_server_config(httpserver)
    result = run_tap(config, catalog=catalog_selecting({"customers"}))

    assert [r["id"] for r in result.records["customers"]] == [1]
    first, second = handler.calls  # type: ignore[attr-defined]
    assert least <= second - first <= most
    retries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Retrying")]
    assert len(retries) == 1
    logged_wait = float(re.search(r" in ([\d.]+) s", retries[0]).group(1))  # type: ignore[union-attr]
    assert least <= logged_wait <= most
    assert "429" in retries[0]
    assert "attempt 1 of 9" in retries[0]
    summary = [r.getMessage() for r in caplog.records if "Sync summary" in r.getMessage()]
    assert "1 throttled (429)" in summary[-1]


def _failing_second_page(httpserver: HTTPServer, *, healthy: list[bool]) -> None:
    from werkzeug import Response  # noqa: PLC0415

    def handler(request: Request) -> Response:
        cursor = request.args.get("cursor")
        if cursor is None:
            page = _one_customer_page()
            page["meta"].update(next_cursor="PAGE2", has_more=True)
            return Response(json.dumps(page), content_type="application/json")
        if not healthy[0]:
            return Response("<html>Bad Gateway</html>", status=502, content_type="text/html")
        page = _one_customer_page()
        page["data"][0].update(id=2, last_activity_at="2026-01-01T00:00:00Z")
        return Response(json.dumps(page), content_type="application/json")

    httpserver.expect_request(f"{API}/customers").respond_with_handler(handler)


@pytest.mark.parametrize("with_bookmark", [False, True], ids=["first-run", "incremental"])
def test_exhausted_retries_fail_clearly_and_leave_a_resumable_state(
    httpserver: HTTPServer, tmp_path: Path, *, with_bookmark: bool
) -> None:
    healthy = [False]
    _failing_second_page(httpserver, healthy=healthy)
    config = fake_server_config(httpserver, max_retries=2)
    old_bookmark = "2025-12-01T00:00:00.000000+00:00"
    state = (
        {
            "bookmarks": {
                "customers": {
                    "replication_key": "last_activity_at",
                    "replication_key_value": old_bookmark,
                }
            }
        }
        if with_bookmark
        else None
    )
    catalog = str(catalog_file(tmp_path, {"customers"}))

    failed = run_tap_cli(config, tmp_path, "--catalog", catalog, state=state)

    assert failed.exit_code == 1
    [line] = [line for line in failed.stderr.splitlines() if "Sync failed" in line]
    assert "3 attempts" in line
    assert "502" in line
    assert "Traceback" not in failed.stderr
    assert len([r for r, _ in httpserver.log if r.args.get("cursor") == "PAGE2"]) == 3
    # Whatever STATE was emitted is a safe restart point: the bookmark never moved.
    last_state = failed.final_state
    bookmarks = (last_state or {}).get("bookmarks", {}).get("customers", {})
    assert bookmarks.get("replication_key_value") == (old_bookmark if with_bookmark else None)

    healthy[0] = True
    resumed = run_tap_cli(config, tmp_path, "--catalog", catalog, state=last_state)
    assert resumed.exit_code == 0
    assert {row["id"] for row in resumed.records["customers"]} == {1, 2}


def test_each_retry_is_one_log_line_with_cause_wait_and_attempt(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(HomeleStream, "retry_base_seconds", 0.01)
    faults = {2: "html_502", 3: "reset", 5: "truncated"}
    with Sandbox(customers=30, seed=1, rate_limit=0, faults_at=faults) as server:
        result = run_tap(tap_config(server, max_retries=3))
        assert len(result.records["customer_details"]) == 30
    retries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Retrying")]
    assert len(retries) == 3
    assert any("502" in line for line in retries)
    assert any("connection failed or was reset" in line for line in retries)
    assert any("not valid JSON" in line for line in retries)
    assert all(re.search(r"in [\d.]+ s \(attempt \d of 4 failed", line) for line in retries)


def test_an_exhausted_server_window_holds_requests_until_its_reset(
    httpserver: HTTPServer,
) -> None:
    from werkzeug import Response  # noqa: PLC0415

    calls: list[float] = []
    reset_at = int(time.time()) + 3

    def handler(request: Request) -> Response:
        calls.append(time.time())
        page = _one_customer_page()
        if request.args.get("cursor") is None:
            page["meta"].update(next_cursor="PAGE2", has_more=True)
        else:
            page["data"][0].update(id=2)
        headers = {
            "X-RateLimit-Limit": "60",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(reset_at),
        }
        return Response(json.dumps(page), headers=headers, content_type="application/json")

    httpserver.expect_request(f"{API}/customers").respond_with_handler(handler)
    config = fake_server_config(httpserver)
    result = run_tap(config, catalog=catalog_selecting({"customers"}))

    assert [r["id"] for r in result.records["customers"]] == [1, 2]
    assert len(calls) == 2
    assert calls[1] >= reset_at - 0.05, "the second page must wait for the server's reset"
