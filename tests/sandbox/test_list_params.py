"""per_page and every filter of GET /customers, including the 422s."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.sandbox.sandbox_helpers import instant, walk

if TYPE_CHECKING:
    import datetime

    import requests

    from tap_homele.sandbox import Sandbox


def utc_date(value: str) -> datetime.date:
    return instant(value).date()


def get(client: requests.Session, sandbox: Sandbox, params: Any) -> requests.Response:
    return client.get(f"{sandbox.url}/customers", params=params, timeout=10)


@pytest.mark.parametrize(("value", "expected"), [("1", 1), ("100", 100), ("37", 37), ("", 25)])
def test_per_page(sandbox: Sandbox, client: requests.Session, value: str, expected: int) -> None:
    body = get(client, sandbox, {"per_page": value}).json()
    assert body["meta"]["per_page"] == expected
    assert len(body["data"]) == expected
    assert body["data"] == sandbox.truth()[:expected]


@pytest.mark.parametrize("value", ["0", "101", "-1", "abc", "2.5", "1e2", "[]"])
def test_per_page_invalid_is_422(sandbox: Sandbox, client: requests.Session, value: str) -> None:
    response = get(client, sandbox, {"per_page": value})
    assert response.status_code == 422
    body = response.json()
    assert body["success"] is False
    assert body["message"] == "The per page field must be between 1 and 100."
    assert body["errors"] == {"per_page": ["The per page field must be between 1 and 100."]}


def test_filter_query_is_case_insensitive_substring(
    sandbox: Sandbox, client: requests.Session
) -> None:
    truth = sandbox.truth()
    needle = truth[0]["name"].split()[0][1:4]
    expected = [row for row in truth if needle.lower() in row["name"].lower()]
    assert expected
    got = walk(client, sandbox.url, {"filter[query]": needle.upper(), "per_page": 7})
    assert got == expected
    assert get(client, sandbox, {"filter[query]": "zzzzqqq"}).json()["data"] == []


@pytest.mark.parametrize(
    ("param", "field"),
    [
        ("filter[lead_status.id][]", "lead_status"),
        ("filter[owner.id][]", "owner"),
        ("filter[lead_source.id][]", "lead_source"),
    ],
)
def test_repeatable_filters_are_any_of(
    sandbox: Sandbox, client: requests.Session, param: str, field: str
) -> None:
    truth = sandbox.truth()
    ids = sorted({row[field]["id"] for row in truth if row[field]})
    wanted = ids[:2]
    expected = [row for row in truth if row[field] and row[field]["id"] in wanted]
    assert 0 < len(expected) < len(truth)
    got = walk(client, sandbox.url, [(param, wanted[0]), (param, wanted[1]), ("per_page", 10)])
    assert got == expected
    single = walk(client, sandbox.url, {param: wanted[0]})
    assert single == [row for row in truth if row[field] and row[field]["id"] == wanted[0]]


def test_priority_filter(sandbox: Sandbox, client: requests.Session) -> None:
    truth = sandbox.truth()
    expected = [row for row in truth if row["priority"] and row["priority"]["id"] == 3]
    assert 0 < len(expected) < len(truth)
    assert walk(client, sandbox.url, {"filter[priority.id]": 3}) == expected


def test_date_filters_use_utc_created_date_inclusive(
    sandbox: Sandbox, client: requests.Session
) -> None:
    truth = sandbox.truth()
    days = sorted({utc_date(row["created_at"]) for row in truth})
    low, high = days[len(days) // 4], days[len(days) // 2]
    expected = [row for row in truth if low <= utc_date(row["created_at"]) <= high]
    params = {"filter[date_from]": low.isoformat(), "filter[date_to]": high.isoformat()}
    assert walk(client, sandbox.url, params) == expected
    same_day = [row for row in truth if utc_date(row["created_at"]) == low]
    params = {"filter[date_from]": low.isoformat(), "filter[date_to]": low.isoformat()}
    assert walk(client, sandbox.url, params) == same_day
    only_from = [row for row in truth if utc_date(row["created_at"]) >= high]
    assert walk(client, sandbox.url, {"filter[date_from]": high.isoformat()}) == only_from


def test_filters_combine(sandbox: Sandbox, client: requests.Session) -> None:
    truth = sandbox.truth()
    expected = [
        row
        for row in truth
        if row["lead_status"]
        and row["lead_status"]["id"] in {1, 2, 3}
        and row["owner"] is not None
        and row["lead_source"] is not None
    ]
    owners = sorted({row["owner"]["id"] for row in expected})
    sources = sorted({row["lead_source"]["id"] for row in expected})
    params = [
        *[("filter[lead_status.id][]", s) for s in (1, 2, 3)],
        *[("filter[owner.id][]", o) for o in owners],
        *[("filter[lead_source.id][]", s) for s in sources],
        ("per_page", 5),
    ]
    assert walk(client, sandbox.url, params) == expected


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"filter[lead_status.id][]": "x"}, "filter.lead_status.id.0"),
        ([("filter[owner.id][]", "3"), ("filter[owner.id][]", "7.5")], "filter.owner.id.1"),
        ({"filter[lead_source.id][]": ""}, "filter.lead_source.id.0"),
        ({"filter[owner.id]": "3"}, "filter.owner.id"),
        ({"filter[priority.id]": "high"}, "filter.priority.id"),
        ({"filter[priority.id][]": "1"}, "filter.priority.id"),
        ({"filter[date_from]": "2026-13-01"}, "filter.date_from"),
        ({"filter[date_from]": "01/02/2026"}, "filter.date_from"),
        ({"filter[date_to]": "2026-02-30"}, "filter.date_to"),
        ({"filter[date_to]": "2026-02-03T00:00:00Z"}, "filter.date_to"),
        ({"filter[date_from]": "2026-03-02", "filter[date_to]": "2026-03-01"}, "filter.date_from"),
        ({"filter[query][]": "a"}, "filter.query"),
    ],
)
def test_invalid_filters_are_422(
    sandbox: Sandbox, client: requests.Session, params: Any, key: str
) -> None:
    response = get(client, sandbox, params)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["success"] is False
    assert list(body["errors"]) == [key]
    assert body["message"] == body["errors"][key][0]


def test_several_errors_are_counted_in_the_message(
    sandbox: Sandbox, client: requests.Session
) -> None:
    response = get(client, sandbox, {"per_page": "0", "filter[priority.id]": "x"})
    assert response.status_code == 422
    body = response.json()
    assert set(body["errors"]) == {"per_page", "filter.priority.id"}
    assert body["message"].endswith("(and 1 more error)")


def test_unknown_params_and_blank_filters_are_ignored(
    sandbox: Sandbox, client: requests.Session
) -> None:
    params = {
        "sort": "name",
        "page": "3",
        "include": "deals",
        "filter[unknown]": "1",
        "filter[query]": "",
        "filter[priority.id]": "",
        "filter[date_from]": "",
    }
    response = get(client, sandbox, params)
    assert response.status_code == 200
    assert response.json()["data"] == sandbox.truth()[:25]
