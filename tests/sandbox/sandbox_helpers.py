"""Helpers shared by the homele-sandbox tests."""

from __future__ import annotations

import base64
import datetime
import json
import re
from collections.abc import Callable
from typing import Any

import requests

from tap_homele.sandbox import Sandbox

SandboxFactory = Callable[..., Sandbox]
ClientFactory = Callable[..., requests.Session]


def walk(
    session: requests.Session,
    url: str,
    params: dict[str, Any] | list[tuple[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Follow next cursors from the first page to the last; return every row."""
    rows: list[dict[str, Any]] = []
    base = list(params.items()) if isinstance(params, dict) else list(params or [])
    query = base
    for _ in range(10_000):
        response = session.get(f"{url}/customers", params=query, timeout=10)
        assert response.status_code == 200, response.text
        body = response.json()
        rows.extend(body["data"])
        if not body["meta"]["has_more"]:
            assert body["meta"]["next_cursor"] is None
            return rows
        query = [*base, ("cursor", body["meta"]["next_cursor"])]
    msg = "pagination never ended"
    raise AssertionError(msg)


_ISO = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})")


def instant(value: str) -> datetime.datetime:
    """Parse any timestamp form the API renders into an aware UTC datetime."""
    match = _ISO.fullmatch(value)
    assert match is not None, value
    base, fraction, zone = match.groups()
    zone = "+00:00" if zone == "Z" else zone
    parsed = datetime.datetime.fromisoformat(f"{base}.{(fraction or '').ljust(6, '0')}{zone}")
    return parsed.astimezone(datetime.timezone.utc)


def api_order_key(row: dict[str, Any]) -> tuple[int, float, int]:
    """Ascending sort key that reproduces the documented order (desc, nulls last)."""
    if row["last_activity_at"] is None:
        return (1, 0.0, -row["id"])
    stamp = instant(row["last_activity_at"])
    micros = (stamp - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)) // (
        datetime.timedelta(microseconds=1)
    )
    return (0, -micros, -row["id"])


def decode_cursor(cursor: str) -> Any:
    """Decode a base64url JSON cursor (for inspection only; clients must not)."""
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
