"""Full syncs against the sandbox over real HTTP: records, requests and filters."""

from __future__ import annotations

import datetime
import logging
import math
import re
import typing as t
from urllib.parse import unquote

import pytest

from tests.conftest import catalog_selecting, comparable, instant, run_tap, tap_config

if t.TYPE_CHECKING:
    from tap_homele.sandbox import Sandbox


def _by_id(rows: list[dict[str, t.Any]]) -> dict[int, dict[str, t.Any]]:
    return {row["id"]: row for row in rows}


def test_full_sync_emits_every_customer_once_equal_to_the_server(sandbox: Sandbox) -> None:
    sandbox.reset_log()
    result = run_tap(tap_config(sandbox))

    assert result.exit_code == 0
    truth = sandbox.truth(company=1)
    customers = result.records["customers"]
    assert len(customers) == len(truth) == 450
    assert len({row["id"] for row in customers}) == len(customers)
    assert comparable(_by_id(customers)) == comparable(_by_id(truth))


def test_details_and_history_match_the_server(sandbox: Sandbox) -> None:
    result = run_tap(tap_config(sandbox))

    details = _by_id(result.records["customer_details"])
    truth = sandbox.truth_details(company=1)
    assert comparable(details) == comparable(truth)

    history = result.records["lead_status_history"]
    expected_rows = sum(len(detail["lead_status_history"]) for detail in truth.values())
    assert len(history) == expected_rows
    assert len({(row["customer_id"], row["id"]) for row in history}) == expected_rows
    for row in history:
        entry = next(
            e for e in truth[row["customer_id"]]["lead_status_history"] if e["id"] == row["id"]
        )
        assert comparable(row) == comparable({"customer_id": row["customer_id"], **entry})


def test_requests_are_one_list_page_per_hundred_and_one_detail_per_customer(
    fresh_sandbox: Sandbox,
) -> None:
    fresh_sandbox.reset_log()
    result = run_tap(tap_config(fresh_sandbox))

    assert result.exit_code == 0
    stats = fresh_sandbox.stats()["by_endpoint"]
    assert stats["list"] == {"200": math.ceil(250 / 100)}
    assert stats["detail"] == {"200": 250}


def test_timestamps_are_emitted_as_rfc3339_utc(sandbox: Sandbox) -> None:
    result = run_tap(tap_config(sandbox, page_size=20), catalog=None)
    truth = {row["id"]: row for row in sandbox.truth(company=1)}
    checked = 0
    for row in result.records["customers"]:
        for key in ("created_at", "updated_at", "last_activity_at"):
            if truth[row["id"]][key] is None:
                assert row[key] is None
                continue
            # One fixed width in UTC, so that text order is time order.
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00", row[key]), row[key]
            assert instant(row[key]) == instant(truth[row["id"]][key])
            checked += 1
    assert checked > 2 * len(truth)


def test_each_schema_is_sent_once_per_run(sandbox: Sandbox) -> None:
    result = run_tap(tap_config(sandbox))
    assert result.schemas == {"customers": 1, "customer_details": 1, "lead_status_history": 1}


def test_state_has_one_bookmark_and_no_partition_per_customer(sandbox: Sandbox) -> None:
    started = datetime.datetime.now(datetime.timezone.utc)
    result = run_tap(tap_config(sandbox))

    state = result.final_state
    assert state is not None
    bookmarks = state["bookmarks"]
    newest = max(
        instant(row["last_activity_at"])
        for row in sandbox.truth(company=1)
        if row["last_activity_at"]
    )
    assert instant(bookmarks["customers"]["replication_key_value"]) == newest
    assert newest < started
    assert "partitions" not in bookmarks.get("customer_details", {})
    assert "progress_markers" not in bookmarks["customers"]
    assert len(str(state)) < 1000


def test_other_company_token_sees_only_its_company(sandbox: Sandbox) -> None:
    result = run_tap(tap_config(sandbox, token="other_company"))
    emitted = {row["id"] for row in result.records["customers"]}
    assert emitted == {row["id"] for row in sandbox.truth(company=2)}
    assert emitted.isdisjoint({row["id"] for row in sandbox.truth(company=1)})


def test_empty_company_syncs_nothing_in_one_request(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.reset_log()
    result = run_tap(tap_config(fresh_sandbox, token="empty_company"))

    assert result.exit_code == 0
    assert result.records == {}
    assert fresh_sandbox.stats()["by_endpoint"] == {"list": {"200": 1}}


def test_exactly_one_full_page_takes_one_list_request(fresh_sandbox: Sandbox) -> None:
    other_company = fresh_sandbox.truth(company=2)
    fresh_sandbox.reset_log()
    result = run_tap(tap_config(fresh_sandbox, token="other_company", page_size=len(other_company)))

    assert len(result.records["customers"]) == len(other_company)
    assert fresh_sandbox.stats()["by_endpoint"]["list"] == {"200": 1}


def _created_date(row: dict[str, t.Any]) -> datetime.date:
    created = instant(row["created_at"])
    assert created is not None
    return created.astimezone(datetime.timezone.utc).date()


def _ref_id(row: dict[str, t.Any], key: str) -> int | None:
    return (row.get(key) or {}).get("id")


FILTER_CASES: list[tuple[dict[str, t.Any], list[str], t.Callable[[dict[str, t.Any]], bool]]] = [
    (
        {"search_query": "MAR"},
        ["filter[query]=MAR"],
        lambda row: "mar" in row["name"].lower(),
    ),
    (
        {"lead_status_ids": [2, 5]},
        ["filter[lead_status.id][]=2&filter[lead_status.id][]=5"],
        lambda row: _ref_id(row, "lead_status") in {2, 5},
    ),
    (
        {"lead_source_ids": [1]},
        ["filter[lead_source.id][]=1"],
        lambda row: _ref_id(row, "lead_source") == 1,
    ),
    (
        {"priority_id": 3},
        ["filter[priority.id]=3"],
        lambda row: _ref_id(row, "priority") == 3,
    ),
    (
        {"created_from": "2025-06-01", "created_to": "2025-12-31"},
        ["filter[date_from]=2025-06-01", "filter[date_to]=2025-12-31"],
        lambda row: datetime.date(2025, 6, 1) <= _created_date(row) <= datetime.date(2025, 12, 31),
    ),
]


@pytest.mark.parametrize(("settings", "query_parts", "matches"), FILTER_CASES)
def test_filters_reach_the_server_verbatim_and_narrow_the_sync(
    fresh_sandbox: Sandbox,
    settings: dict[str, t.Any],
    query_parts: list[str],
    matches: t.Callable[[dict[str, t.Any]], bool],
) -> None:
    fresh_sandbox.reset_log()
    result = run_tap(tap_config(fresh_sandbox, **settings))

    expected = {row["id"] for row in fresh_sandbox.truth(company=1) if matches(row)}
    assert expected, "the case must select some customers"
    assert expected != {row["id"] for row in fresh_sandbox.truth(company=1)}
    assert {row["id"] for row in result.records.get("customers", [])} == expected
    list_queries = [unquote(r.query) for r in fresh_sandbox.request_log if r.endpoint == "list"]
    assert list_queries
    for query in list_queries:
        for part in query_parts:
            assert part in query


def test_owner_filter_sends_repeated_keys(fresh_sandbox: Sandbox) -> None:
    owners = sorted({_ref_id(r, "owner") for r in fresh_sandbox.truth(company=1)} - {None})[:2]
    fresh_sandbox.reset_log()
    result = run_tap(tap_config(fresh_sandbox, owner_ids=owners))

    expected = {r["id"] for r in fresh_sandbox.truth(company=1) if _ref_id(r, "owner") in owners}
    assert {row["id"] for row in result.records["customers"]} == expected
    first = next(r for r in fresh_sandbox.request_log if r.endpoint == "list")
    assert first.params["filter[owner.id][]"] == [str(owner) for owner in owners]
    expected_query = f"filter[owner.id][]={owners[0]}&filter[owner.id][]={owners[1]}"
    assert expected_query in unquote(first.query)


def test_page_size_is_sent_as_per_page(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.reset_log()
    result = run_tap(tap_config(fresh_sandbox, page_size=40))

    assert len(result.records["customers"]) == 250
    lists = [r for r in fresh_sandbox.request_log if r.endpoint == "list"]
    assert len(lists) == math.ceil(250 / 40)
    assert all(r.params["per_page"] == ["40"] for r in lists)


def test_only_the_selected_streams_are_synced(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.reset_log()
    catalog = catalog_selecting({"customers"})
    result = run_tap(tap_config(fresh_sandbox), catalog=catalog)

    assert set(result.records) == {"customers"}
    assert "detail" not in fresh_sandbox.stats()["by_endpoint"]


def test_run_ends_with_a_summary_of_records_and_requests(
    fresh_sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fresh_sandbox.reset_log()
    result = run_tap(tap_config(fresh_sandbox))

    history = len(result.records["lead_status_history"])
    [summary] = [r.getMessage() for r in caplog.records if "Sync summary" in r.getMessage()]
    assert f"customer_details=250, customers=250, lead_status_history={history};" in summary
    assert f"{fresh_sandbox.stats()['total']} requests" in summary
    assert "0 throttled (429), 0 retries" in summary
    begins = [r for r in caplog.records if r.getMessage().startswith("Beginning sync of")]
    assert len(begins) == 3, "one line per stream, not one per customer"
