"""Keyset cursor pagination: order, nulls, cursors, and mutations during a walk."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING

import pytest

from tests.sandbox.sandbox_helpers import (
    ClientFactory,
    SandboxFactory,
    api_order_key,
    decode_cursor,
    walk,
)

if TYPE_CHECKING:
    import requests

    from tap_homele.sandbox import Sandbox


def ids(rows: list[dict[str, object]]) -> list[object]:
    return [row["id"] for row in rows]


def first_page(client: requests.Session, sandbox: Sandbox, **params: object) -> dict[str, object]:
    response = client.get(f"{sandbox.url}/customers", params=params, timeout=10)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def walk_on(
    client: requests.Session, sandbox: Sandbox, cursor: object, per_page: int
) -> list[dict[str, object]]:
    """Follow next cursors from ``cursor`` to the last page; return the rows of those pages."""
    rows: list[dict[str, object]] = []
    while cursor:
        body = first_page(client, sandbox, per_page=per_page, cursor=cursor)
        rows.extend(body["data"])  # type: ignore[arg-type]
        cursor = body["meta"]["next_cursor"]  # type: ignore[index]
    return rows


@pytest.mark.parametrize("per_page", [1, 7, 25, 100])
def test_walk_returns_everything_once_in_order(
    sandbox: Sandbox, client: requests.Session, per_page: int
) -> None:
    rows = walk(client, sandbox.url, {"per_page": per_page})
    assert len(rows) == 120
    assert len(set(ids(rows))) == 120
    assert rows == sandbox.truth()
    # the documented order, recomputed from what a client sees
    assert rows == sorted(rows, key=api_order_key)


def test_nulls_last_and_ties_broken_by_id(
    make_sandbox: SandboxFactory, make_client: ClientFactory
) -> None:
    sandbox = make_sandbox(customers=1500)
    rows = walk(make_client(sandbox), sandbox.url, {"per_page": 100})
    assert rows == sorted(rows, key=api_order_key)
    nulls = [row for row in rows if row["last_activity_at"] is None]
    assert nulls
    assert rows[-len(nulls) :] == nulls
    assert ids(nulls) == sorted(ids(nulls), reverse=True)
    keys = [api_order_key(row)[:2] for row in rows if row["last_activity_at"] is not None]
    assert len(keys) > len(set(keys)), "the data should contain equal last_activity_at instants"


def test_ascending_server_is_the_exact_reverse(
    make_sandbox: SandboxFactory, make_client: ClientFactory
) -> None:
    desc = make_sandbox(seed=4)
    asc = make_sandbox(seed=4, order="asc")
    desc_rows = walk(make_client(desc), desc.url, {"per_page": 9})
    asc_rows = walk(make_client(asc), asc.url, {"per_page": 9})
    assert asc_rows == list(reversed(desc_rows))
    assert asc_rows == asc.truth()
    assert asc_rows[0]["last_activity_at"] is None


def test_cursor_shape(sandbox: Sandbox, client: requests.Session) -> None:
    page1 = first_page(client, sandbox, per_page=5)
    meta1 = page1["meta"]
    assert isinstance(meta1, dict)
    data1 = page1["data"]
    assert isinstance(data1, list)
    cursor = meta1["next_cursor"]
    assert "=" not in cursor
    assert decode_cursor(cursor) == {
        "last_activity_at": data1[-1]["last_activity_at"],
        "id": data1[-1]["id"],
        "_pointsToNextItems": True,
    }
    page2 = first_page(client, sandbox, per_page=5, cursor=cursor)
    meta2 = page2["meta"]
    assert isinstance(meta2, dict)
    data2 = page2["data"]
    assert isinstance(data2, list)
    assert decode_cursor(meta2["prev_cursor"]) == {
        "last_activity_at": data2[0]["last_activity_at"],
        "id": data2[0]["id"],
        "_pointsToNextItems": False,
    }
    assert meta2["has_more"] is True


def test_last_page(sandbox: Sandbox, client: requests.Session) -> None:
    page = first_page(client, sandbox, per_page=100)
    meta = page["meta"]
    assert isinstance(meta, dict)
    last = first_page(client, sandbox, per_page=100, cursor=meta["next_cursor"])
    assert last["meta"] == {
        "per_page": 100,
        "next_cursor": None,
        "prev_cursor": last["meta"]["prev_cursor"],  # type: ignore[index]
        "has_more": False,
    }
    assert len(last["data"]) == 20  # type: ignore[arg-type]
    # exactly per_page rows left: the page is full yet the last one
    exact = first_page(client, sandbox, per_page=60)
    rest = first_page(client, sandbox, per_page=60, cursor=exact["meta"]["next_cursor"])  # type: ignore[index]
    assert len(rest["data"]) == 60  # type: ignore[arg-type]
    assert rest["meta"]["has_more"] is False  # type: ignore[index]


def test_prev_cursor_goes_back(sandbox: Sandbox, client: requests.Session) -> None:
    pages = []
    params: dict[str, object] = {"per_page": 10}
    for _ in range(3):
        body = first_page(client, sandbox, **params)
        pages.append(body)
        params = {"per_page": 10, "cursor": body["meta"]["next_cursor"]}  # type: ignore[index]
    back = first_page(client, sandbox, per_page=10, cursor=pages[2]["meta"]["prev_cursor"])  # type: ignore[index]
    assert back["data"] == pages[1]["data"]
    back = first_page(client, sandbox, per_page=10, cursor=back["meta"]["prev_cursor"])  # type: ignore[index]
    assert back["data"] == pages[0]["data"]
    assert back["meta"]["prev_cursor"] is None  # type: ignore[index]


def b64(payload: object) -> str:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!not-base64!!!",
        "abc",
        b64(b"not json"),
        b64([1, 2]),
        b64({"id": 5}),
        b64({"last_activity_at": None, "id": 5}),
        b64({"last_activity_at": None, "id": "5", "_pointsToNextItems": True}),
        b64({"last_activity_at": None, "id": 5, "_pointsToNextItems": "yes"}),
        b64({"last_activity_at": "yesterday", "id": 5, "_pointsToNextItems": True}),
        b64({"last_activity_at": 12, "id": 5, "_pointsToNextItems": True}),
        b64({"last_activity_at": None, "id": 5, "_pointsToNextItems": True, "x": 1}),
    ],
)
def test_malformed_cursor_is_400(sandbox: Sandbox, client: requests.Session, cursor: str) -> None:
    response = client.get(f"{sandbox.url}/customers", params={"cursor": cursor}, timeout=10)
    assert response.status_code == 400
    assert response.json() == {"success": False, "message": "Invalid cursor."}


def test_handmade_cursor_is_keyset(sandbox: Sandbox, client: requests.Session) -> None:
    truth = sandbox.truth()
    pivot = truth[30]
    cursor = b64(
        {
            "last_activity_at": pivot["last_activity_at"],
            "id": pivot["id"],
            "_pointsToNextItems": True,
        }
    )
    body = first_page(client, sandbox, per_page=5, cursor=cursor)
    assert body["data"] == truth[31:36]


def test_touch_during_walk(sandbox: Sandbox, client: requests.Session) -> None:
    before = sandbox.truth()
    rows: list[dict[str, object]] = []
    body = first_page(client, sandbox, per_page=10)
    rows.extend(body["data"])  # type: ignore[arg-type]
    body = first_page(client, sandbox, per_page=10, cursor=body["meta"]["next_cursor"])  # type: ignore[index]
    rows.extend(body["data"])  # type: ignore[arg-type]
    seen_id, unseen_id = before[5]["id"], before[70]["id"]
    assert sandbox.touch([seen_id, unseen_id]) == [seen_id, unseen_id]
    rows.extend(walk_on(client, sandbox, body["meta"]["next_cursor"], per_page=10))  # type: ignore[index]
    # the unseen touched row moved behind the walk; every other row came exactly once
    assert ids(rows) == [row["id"] for row in before if row["id"] != unseen_id]
    after = sandbox.truth()
    assert ids(after[:2]) == [unseen_id, seen_id]
    assert after == sorted(after, key=api_order_key)
    assert sorted(ids(after)) == sorted(ids(before))


def test_touch_effects(sandbox: Sandbox, client: requests.Session) -> None:
    target = sandbox.truth()[50]
    old_detail = sandbox.truth_details()[target["id"]]
    sandbox.touch([target["id"]])
    detail = client.get(f"{sandbox.url}/customers/{target['id']}", timeout=10).json()["data"]
    assert detail["lead_status"] != old_detail["lead_status"]
    assert detail["lead_status"] is not None
    assert detail["last_activity_at"] == detail["updated_at"]
    history = detail["lead_status_history"]
    assert history[:-1] == old_detail["lead_status_history"]
    entry = history[-1]
    assert entry["from_status"] == old_detail["lead_status"]
    assert entry["to_status"] == detail["lead_status"]
    assert entry["changed_at"] == detail["last_activity_at"]
    all_history = [
        h["id"] for d in sandbox.truth_details().values() for h in d["lead_status_history"]
    ]
    assert len(all_history) == len(set(all_history))
    assert first_page(client, sandbox, per_page=1)["data"][0]["id"] == target["id"]


def test_touch_random_and_count(sandbox: Sandbox) -> None:
    touched = sandbox.touch(count=3)
    assert len(touched) == 3
    assert ids(sandbox.truth()[:3]) == list(reversed(touched))
    with pytest.raises(ValueError, match="no such"):
        sandbox.touch([123456789])


def test_add_and_delete_during_walk(sandbox: Sandbox, client: requests.Session) -> None:
    before = sandbox.truth()
    body = first_page(client, sandbox, per_page=20)
    rows: list[dict[str, object]] = list(body["data"])  # type: ignore[arg-type]
    added = sandbox.add(count=2)
    assert added == [121, 122]
    # delete the row the cursor points at, and one further down
    cursor_row, later_row = before[19]["id"], before[90]["id"]
    assert sandbox.delete([cursor_row, later_row]) == [cursor_row, later_row]
    rows.extend(walk_on(client, sandbox, body["meta"]["next_cursor"], per_page=20))  # type: ignore[index]
    assert ids(rows) == [r["id"] for r in before if r["id"] != later_row]
    after = sandbox.truth()
    assert ids(after[:2]) == [122, 121]
    assert len(after) == 120
    new = after[0]
    assert new["created_at"] == new["last_activity_at"] == new["updated_at"]
    detail = client.get(f"{sandbox.url}/customers/122", timeout=10).json()["data"]
    assert len(detail["lead_status_history"]) == 1
    assert detail["lead_status_history"][0]["from_status"] is None
    assert detail["lead_status_history"][0]["to_status"] == detail["lead_status"]
    # ids are never reused
    sandbox.delete([122])
    assert sandbox.add() == [123]


def test_mutations_apply_to_one_company(sandbox: Sandbox) -> None:
    two = sandbox.truth(2)
    new = sandbox.add(company=2)
    assert new == [max(ids(two)) + 1]  # type: ignore[type-var]
    assert sandbox.truth(2)[0]["id"] == new[0]
    assert len(sandbox.truth(1)) == 120


def test_mutate_every(make_sandbox: SandboxFactory, make_client: ClientFactory) -> None:
    results = []
    for _ in range(2):
        sandbox = make_sandbox(mutate_every=2, mutation_seed=3)
        before = sandbox.truth()
        client = make_client(sandbox)
        for _ in range(6):  # requests 2, 4, 6 mutate: touch, add, delete
            client.get(f"{sandbox.url}/customers", params={"per_page": 1}, timeout=10)
        after = sandbox.truth()
        assert len(after) == len(before)  # +1 added, -1 deleted
        assert after[0]["id"] == 121  # added by request 4, after the touch of request 2
        assert after[1]["id"] != before[0]["id"]  # the touched one
        assert 121 not in ids(before)
        results.append(ids(after))
    assert results[0] == results[1]
    other = make_sandbox(mutate_every=2, mutation_seed=4)
    client = make_client(other)
    for _ in range(6):
        client.get(f"{other.url}/customers", params={"per_page": 1}, timeout=10)
    assert ids(other.truth()) != results[0]
