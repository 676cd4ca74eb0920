"""Helpers shared by the homele-sandbox tests."""

from __future__ import annotations

from typing import Any

import requests


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
    raise AssertionError("pagination never ended")
