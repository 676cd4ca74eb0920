"""Introspection endpoints, request log, determinism and the shape of the generated data."""

from __future__ import annotations

import collections
import dataclasses
import itertools
import json
import re
from typing import TYPE_CHECKING

import pytest
import requests

from tap_homele.sandbox import server
from tests.sandbox.sandbox_helpers import ClientFactory, SandboxFactory, instant

if TYPE_CHECKING:
    from pathlib import Path

    from tap_homele.sandbox import Sandbox

LEAD_STATUSES = {
    "New",
    "Contacted",
    "Qualified",
    "Viewing scheduled",
    "Offer made",
    "Won",
    "Lost",
}
SOURCES = {"Website", "Referral", "Walk-in", "Portal", "Facebook", "Phone"}
PRIORITIES = {"Low", "Medium", "High"}
ESTATE_TYPES = {"Apartment", "House", "Villa", "Land", "Office", "Shop", "Warehouse", "Parking"}


def base(sandbox: Sandbox) -> str:
    return sandbox.url.removesuffix("/api/v2/crm") + "/__sandbox"


def test_request_log(sandbox: Sandbox, client: requests.Session) -> None:
    client.get(
        f"{sandbox.url}/customers",
        params=[("per_page", 3), ("filter[owner.id][]", 3), ("filter[owner.id][]", 4)],
        timeout=10,
    )
    client.get(f"{sandbox.url}/customers/1", timeout=10)
    client.get(f"{sandbox.url}/customers/999999", timeout=10)
    client.get(f"{sandbox.url}/other", timeout=10)
    log = sandbox.request_log
    assert [(r.number, r.endpoint, r.status) for r in log] == [
        (1, "list", 200),
        (2, "detail", 200),
        (3, "detail", 404),
        (4, "other", 404),
    ]
    first = log[0]
    assert first.path == "/api/v2/crm/customers"
    assert first.query == "per_page=3&filter%5Bowner.id%5D%5B%5D=3&filter%5Bowner.id%5D%5B%5D=4"
    assert first.params == {"per_page": ["3"], "filter[owner.id][]": ["3", "4"]}
    assert first.token_name == "full"
    assert first.fault is None
    assert log[0].at <= log[1].at <= log[2].at
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.status = 1  # type: ignore[misc]
    assert sandbox.stats() == {
        "total": 4,
        "by_endpoint": {"list": {"200": 1}, "detail": {"200": 1, "404": 1}, "other": {"404": 1}},
        "by_status": {"200": 2, "404": 2},
    }
    sandbox.reset_log()
    assert sandbox.request_log == []
    assert sandbox.stats() == {"total": 0, "by_endpoint": {}, "by_status": {}}
    client.get(f"{sandbox.url}/customers", timeout=10)
    assert [r.number for r in sandbox.request_log] == [5]  # numbers go on


def test_introspection_reads(sandbox: Sandbox, client: requests.Session) -> None:
    client.get(f"{sandbox.url}/customers", timeout=10)
    anonymous = requests.Session()
    try:
        stats = anonymous.get(f"{base(sandbox)}/stats", timeout=10).json()
        requests_log = anonymous.get(f"{base(sandbox)}/requests", timeout=10).json()
        truth = anonymous.get(f"{base(sandbox)}/truth", params={"company": 2}, timeout=10).json()
        tokens = anonymous.get(f"{base(sandbox)}/tokens", timeout=10).json()
    finally:
        anonymous.close()
    assert (
        stats
        == sandbox.stats()
        == {
            "total": 1,
            "by_endpoint": {"list": {"200": 1}},
            "by_status": {"200": 1},
        }
    )
    assert requests_log == [
        json.loads(json.dumps(dataclasses.asdict(r))) for r in sandbox.request_log
    ]
    assert truth["customers"] == sandbox.truth(2)
    assert truth["details"] == {str(k): v for k, v in sandbox.truth_details(2).items()}
    assert tokens == sandbox.tokens
    assert len(sandbox.request_log) == 1  # introspection is not logged


def test_introspection_mutations(sandbox: Sandbox) -> None:
    session = requests.Session()
    try:
        touched = session.post(f"{base(sandbox)}/touch", params={"count": 2}, timeout=10).json()
        assert len(touched["ids"]) == 2
        assert [r["id"] for r in sandbox.truth()[:2]] == list(reversed(touched["ids"]))
        target = sandbox.truth()[60]["id"]
        assert session.post(f"{base(sandbox)}/touch?ids={target}", timeout=10).json() == {
            "ids": [target]
        }
        added = session.post(f"{base(sandbox)}/add", params={"count": 3}, timeout=10).json()
        assert added == {"ids": [121, 122, 123]}
        deleted = session.post(
            f"{base(sandbox)}/delete", params={"ids": "121,5"}, timeout=10
        ).json()
        assert deleted == {"ids": [121, 5]}
        assert len(sandbox.truth()) == 121
        added2 = session.post(f"{base(sandbox)}/add?company=2", timeout=10).json()
        assert added2["ids"][0] > 1_000_000
        assert session.get(f"{base(sandbox)}/touch", timeout=10).status_code == 405
        assert session.post(f"{base(sandbox)}/stats", timeout=10).status_code == 405
        assert session.post(f"{base(sandbox)}/touch?count=x", timeout=10).status_code == 400
        assert session.post(f"{base(sandbox)}/touch?ids=99999", timeout=10).status_code == 400
        assert session.get(f"{base(sandbox)}/truth?company=9", timeout=10).status_code == 400
        assert session.get(f"{base(sandbox)}/nothing", timeout=10).status_code == 404
    finally:
        session.close()
    assert sandbox.request_log == []


def test_same_seed_same_data_and_tokens(make_sandbox: SandboxFactory) -> None:
    a, b, c = make_sandbox(seed=5), make_sandbox(seed=5), make_sandbox(seed=6)
    assert a.tokens == b.tokens
    assert a.truth() == b.truth()
    assert a.truth(2) == b.truth(2)
    assert a.truth_details() == b.truth_details()
    assert a.tokens != c.tokens
    assert set(a.tokens.values()).isdisjoint(c.tokens.values())
    assert a.truth() != c.truth()
    assert a.truth_details() != c.truth_details()


def test_more_customers_keep_the_shape(make_sandbox: SandboxFactory) -> None:
    sandbox = make_sandbox(customers=2000)
    rows = sandbox.truth()
    details = sandbox.truth_details()
    assert [r["id"] for r in sorted(rows, key=lambda r: r["id"])] == list(range(1, 2001))
    assert min(r["id"] for r in sandbox.truth(2)) == 1_000_001
    nulls = collections.Counter(
        field for row in rows for field, value in row.items() if value is None
    )
    assert 40 <= nulls["last_activity_at"] <= 200  # ~5 %
    for field in ("email", "phone", "owner", "lead_source", "priority"):
        assert 0 < nulls[field] < 1000, field
    assert nulls["lead_status"] < 200
    assert nulls["name"] == nulls["id"] == nulls["created_at"] == nulls["updated_at"] == 0
    assert len({r["name"] for r in rows}) > 1000
    assert any(not r["name"].isascii() for r in rows)
    forms = collections.Counter(re.sub(r"\d", "9", row["created_at"]) for row in rows)
    assert len(forms) >= 7, forms
    zones = {re.sub(r"^.*T[\d:]+(\.\d+)?", "", row["created_at"]) for row in rows}
    assert zones == {"Z", "+00:00", "+02:00", "+03:00", "-05:00", "+05:30"}
    fractions = {len(m.group(1)) for r in rows if (m := re.search(r"\.(\d+)", r["created_at"]))}
    assert fractions == {1, 3, 6}
    for row in rows:
        assert {r["name"] for r in [row["lead_status"]] if r} <= LEAD_STATUSES
        assert {r["name"] for r in [row["lead_source"]] if r} <= SOURCES
        assert {r["name"] for r in [row["priority"]] if r} <= PRIORITIES
        if row["email"] is not None:
            assert re.fullmatch(r"[a-z0-9._]+@[a-z0-9.]+\.[a-z]+", row["email"]), row["email"]
        created = instant(row["created_at"])
        assert created <= instant(row["updated_at"])
        if row["last_activity_at"] is not None:
            assert created <= instant(row["last_activity_at"])
        assert instant(row["created_at"]).year >= 2024
    history_ids = []
    for cid, detail in details.items():
        assert detail["id"] == cid
        assert {t["name"] for t in detail["real_estate_types"]} <= ESTATE_TYPES
        assert len(detail["real_estate_types"]) <= 3
        history = detail["lead_status_history"]
        assert len(history) <= 6
        history_ids += [h["id"] for h in history]
        if not history:
            continue
        assert history[0]["from_status"] is None
        assert history[-1]["to_status"] == detail["lead_status"]
        for earlier, later in itertools.pairwise(history):
            assert later["from_status"] == earlier["to_status"]
            assert instant(earlier["changed_at"]) <= instant(later["changed_at"])
        assert instant(history[0]["changed_at"]) >= instant(detail["created_at"])
        upper = detail["last_activity_at"] or detail["updated_at"]
        assert instant(history[-1]["changed_at"]) <= max(
            instant(upper), instant(detail["created_at"])
        )
    assert len(history_ids) == len(set(history_ids))
    assert sum(1 for d in details.values() if d["occupation"] is None) > 0


def test_token_file(make_sandbox: SandboxFactory, tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    sandbox = make_sandbox(token_file=path)
    assert json.loads(path.read_text()) == sandbox.tokens


def test_non_api_paths(sandbox: Sandbox, make_client: ClientFactory) -> None:
    session = make_client(sandbox, None)
    response = session.get(sandbox.url.removesuffix("/api/v2/crm") + "/", timeout=10)
    assert response.status_code == 404
    assert response.json()["success"] is False
    assert sandbox.request_log == []


def test_smaller_data_set_is_a_prefix(make_sandbox: SandboxFactory) -> None:
    small = make_sandbox(customers=50, seed=9)
    large = make_sandbox(customers=400, seed=9)
    large_by_id = {row["id"]: row for row in large.truth()}
    assert all(large_by_id[row["id"]] == row for row in small.truth())


def test_a_sandbox_bug_is_a_500_not_a_hang(
    sandbox: Sandbox, client: requests.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError

    monkeypatch.setattr(server, "list_customers", broken)
    response = client.get(f"{sandbox.url}/customers", timeout=10)
    assert response.status_code == 500
    assert response.json() == {"success": False, "message": "Server Error"}
    monkeypatch.undo()
    assert client.get(f"{sandbox.url}/customers", timeout=10).status_code == 200
