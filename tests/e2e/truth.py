"""What a warehouse must hold after syncing a sandbox: derived from the sandbox's own truth."""

from __future__ import annotations

import typing as t

from tests.conftest import instant

if t.TYPE_CHECKING:
    from tap_homele.sandbox import Sandbox

TABLES = ("customers", "customer_details", "lead_status_history")

#: Primary keys as the tap declares them (tap_homele/streams.py).
PRIMARY_KEYS = {
    "customers": ["id"],
    "customer_details": ["id"],
    "lead_status_history": ["customer_id", "id"],
}


def epoch(value: str | None) -> float | None:
    """Seconds since the epoch of an ISO 8601 timestamp, to the microsecond."""
    moment = instant(value)
    return None if moment is None else round(moment.timestamp(), 6)


def expected_counts(sandbox: Sandbox) -> dict[str, int]:
    """Rows per table after a full sync of company 1."""
    details = sandbox.truth_details(company=1)
    return {
        "customers": len(sandbox.truth(company=1)),
        "customer_details": len(details),
        "lead_status_history": sum(len(d["lead_status_history"]) for d in details.values()),
    }


def expected_customers(sandbox: Sandbox) -> dict[int, tuple[float | None, int | None]]:
    """Customer id -> (last activity as epoch seconds, lead status id)."""
    return {
        int(row["id"]): (
            epoch(row["last_activity_at"]),
            (row["lead_status"] or {}).get("id"),
        )
        for row in sandbox.truth(company=1)
    }


def expected_history(sandbox: Sandbox) -> dict[tuple[int, int], int]:
    """(customer id, history entry id) -> id of the status moved into."""
    return {
        (int(customer_id), int(entry["id"])): int(entry["to_status"]["id"])
        for customer_id, detail in sandbox.truth_details(company=1).items()
        for entry in detail["lead_status_history"]
    }
