"""The SDK features users configure keep working on the tap's lean record path."""

from __future__ import annotations

import gzip
import json
import typing as t

import pytest
from singer_sdk import Stream
from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_homele.client import HomeleStream
from tap_homele.streams import LeadStatusHistoryStream
from tap_homele.writer import LeanRecordMessages
from tests.conftest import catalog_selecting, run_tap, tap_config

if t.TYPE_CHECKING:
    from pathlib import Path

    from tap_homele.sandbox import Sandbox


def _records(messages: list[dict[str, t.Any]]) -> list[tuple[str, dict[str, t.Any]]]:
    return [(m["stream"], m["record"]) for m in messages if m["type"] == "RECORD"]


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"flattening_enabled": True, "flattening_max_depth": 1},
        {"stream_maps": {"customer_details": {"email": "__NULL__", "name_upper": "name.upper()"}}},
    ],
    ids=["plain", "flattened", "mapped"],
)
def test_records_equal_the_sdks_own_record_path(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, settings: dict[str, t.Any]
) -> None:
    lean = run_tap(tap_config(sandbox, **settings))

    # The SDK's stock path: RecordMessage objects, the deselection walk and recursive
    # type conformance.
    monkeypatch.setattr(LeanRecordMessages, "_write_record_message", Stream._write_record_message)
    monkeypatch.setattr(HomeleStream, "TYPE_CONFORMANCE_LEVEL", TypeConformanceLevel.RECURSIVE)
    monkeypatch.setattr(
        LeadStatusHistoryStream, "TYPE_CONFORMANCE_LEVEL", TypeConformanceLevel.RECURSIVE
    )
    stock = run_tap(tap_config(sandbox, **settings))

    assert len(_records(lean.messages)) > 2000
    assert _records(lean.messages) == _records(stock.messages)
    # Whole messages alike too, but for when each record was extracted.
    assert _messages_without_time(lean.messages) == _messages_without_time(stock.messages)


def _messages_without_time(messages: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    return [
        {key: value for key, value in m.items() if key != "time_extracted"}
        for m in messages
        if m["type"] != "STATE"  # the signpost is the time each run started
    ]


def test_stream_maps_add_a_company_key_and_drop_a_field(sandbox: Sandbox) -> None:
    config = tap_config(
        sandbox,
        stream_maps={
            "customers": {
                "company": "'acme'",
                "email": "__NULL__",
                "__key_properties__": ["company", "id"],
            }
        },
    )
    result = run_tap(config, catalog=catalog_selecting({"customers"}))

    schema = next(m for m in result.messages if m["type"] == "SCHEMA")
    assert schema["key_properties"] == ["company", "id"]
    customers = result.records["customers"]
    assert len(customers) == 450
    assert all(row["company"] == "acme" and "email" not in row for row in customers)


def test_flattening_expands_reference_objects(sandbox: Sandbox) -> None:
    config = tap_config(sandbox, flattening_enabled=True, flattening_max_depth=1)
    result = run_tap(config, catalog=catalog_selecting({"customers"}))

    truth = {row["id"]: row for row in sandbox.truth(company=1)}
    owned = 0
    for row in result.records["customers"]:
        owner = truth[row["id"]]["owner"]
        if owner is None:  # the SDK keeps a null object as one null column
            assert row["owner"] is None
            continue
        owned += 1
        assert "owner" not in row
        assert (row["owner__id"], row["owner__name"]) == (owner["id"], owner["name"])
    assert owned > 100


def test_deselected_property_is_left_out(sandbox: Sandbox) -> None:
    catalog = catalog_selecting({"customers"})
    entry = next(s for s in catalog["streams"] if s["tap_stream_id"] == "customers")
    for metadata in entry["metadata"]:
        if metadata["breadcrumb"] == ["properties", "phone"]:
            metadata["metadata"]["selected"] = False
    result = run_tap(tap_config(sandbox), catalog=catalog)

    assert len(result.records["customers"]) == 450
    assert all("phone" not in row and "email" in row for row in result.records["customers"])


def test_batch_messages_carry_every_record(sandbox: Sandbox, tmp_path: Path) -> None:
    config = tap_config(
        sandbox,
        batch_config={
            "encoding": {"format": "jsonl", "compression": "gzip"},
            "storage": {"root": f"file://{tmp_path}", "prefix": "homele-"},
        },
    )
    result = run_tap(config, catalog=catalog_selecting({"customers"}))

    batches = [m for m in result.messages if m["type"] == "BATCH"]
    assert batches
    rows = []
    for batch in batches:
        for uri in batch["manifest"]:
            with gzip.open(uri.removeprefix("file://"), "rt") as handle:
                rows.extend(json.loads(line) for line in handle)
    assert sorted(row["id"] for row in rows) == sorted(r["id"] for r in sandbox.truth(company=1))
