# Copyright 2026 tap-homele developers. SPDX-License-Identifier: Apache-2.0
"""The two customer endpoints: parameter validation and response bodies (no HTTP here)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from tap_homele.sandbox.data import DAY_US, Company, decode_cursor, utc_day_start

if TYPE_CHECKING:
    from collections.abc import Callable

    from tap_homele.sandbox.data import Customer

JSON = "application/json"
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
PER_PAGE_MESSAGE = f"The per page field must be between 1 and {MAX_PER_PAGE}."
MULTI_FILTERS = ("lead_status.id", "owner.id", "lead_source.id")

_INT_RE = re.compile(r"\s*[+-]?\d{1,18}\s*")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Response:
    """A response before it is written to the wire."""

    status: int
    body: bytes
    content_type: str = JSON
    headers: tuple[tuple[str, str], ...] = field(default=())


def dumps(payload: object) -> bytes:
    """Serialize compactly, as Laravel does.

    Args:
        payload: JSON-serializable value.

    Returns:
        UTF-8 JSON bytes.
    """
    return json.dumps(payload, separators=(",", ":")).encode()


def error(status: int, message: str, errors: dict[str, list[str]] | None = None) -> Response:
    """Build a Laravel-style error response.

    Args:
        status: HTTP status.
        message: Human message.
        errors: Validation errors keyed by attribute, for a 422.

    Returns:
        The response.
    """
    payload: dict[str, Any] = {"success": False, "message": message}
    if errors is not None:
        payload["errors"] = errors
    return Response(status, dumps(payload))


def validation_error(errors: dict[str, list[str]]) -> Response:
    """Build a 422 whose message is the first error, like Laravel's.

    Args:
        errors: Messages keyed by attribute (non-empty).

    Returns:
        The 422 response.
    """
    messages = [m for ms in errors.values() for m in ms]
    message = messages[0]
    more = len(messages) - 1
    if more:
        message += f" (and {more} more error{'s' if more > 1 else ''})"
    return error(422, message, errors)


def _last(params: dict[str, list[str]], key: str) -> str | None:
    values = params.get(key)
    return values[-1] if values else None


def _attr(name: str) -> str:
    """Laravel's display name of an attribute: underscores become spaces."""
    return name.replace("_", " ")


@dataclass
class ListQuery:
    """Validated list parameters."""

    per_page: int = DEFAULT_PER_PAGE
    query: str | None = None
    any_of: dict[str, frozenset[int]] = field(default_factory=dict)
    priority: int | None = None
    created_from: int | None = None
    created_before: int | None = None

    def predicate(self) -> Callable[[Customer], bool] | None:
        """Return the row filter, or None when nothing is filtered."""
        if not (
            self.query
            or self.any_of
            or self.priority is not None
            or self.created_from is not None
            or self.created_before is not None
        ):
            return None
        needle = self.query.lower() if self.query else None
        statuses = self.any_of.get("lead_status.id")
        owners = self.any_of.get("owner.id")
        sources = self.any_of.get("lead_source.id")
        priority = self.priority
        low = self.created_from
        high = self.created_before

        def accept(customer: Customer) -> bool:  # noqa: PLR0911
            if needle is not None and needle not in customer.name_lower:
                return False
            if statuses is not None and customer.lead_status not in statuses:
                return False
            if owners is not None and customer.owner not in owners:
                return False
            if sources is not None and customer.lead_source not in sources:
                return False
            if priority is not None and customer.priority != priority:
                return False
            if low is not None and customer.created < low:
                return False
            return high is None or customer.created < high

        return accept


def _parse_date(
    params: dict[str, list[str]], name: str, errors: dict[str, list[str]]
) -> date | None:
    key = f"filter[{name}]"
    if any(k.startswith(f"{key}[") for k in params):
        errors[f"filter.{name}"] = [f"The filter.{_attr(name)} field must be a string."]
        return None
    value = _last(params, key)
    if value is None or value == "":
        return None
    parsed: date | None = None
    if _DATE_RE.fullmatch(value):
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            parsed = None
    if parsed is None:
        errors[f"filter.{name}"] = [f"The filter.{_attr(name)} field must match the format Y-m-d."]
    return parsed


def parse_list_query(  # noqa: C901, PLR0912
    params: dict[str, list[str]],
) -> ListQuery | dict[str, list[str]]:
    """Validate the list parameters the way the Laravel controller would.

    Args:
        params: Query parameters (``parse_qs`` with blank values kept).

    Returns:
        The validated query, or the validation errors.
    """
    errors: dict[str, list[str]] = {}
    result = ListQuery()
    per_page = _last(params, "per_page")
    if per_page is not None and per_page != "":
        if _INT_RE.fullmatch(per_page) and 1 <= int(per_page) <= MAX_PER_PAGE:
            result.per_page = int(per_page)
        else:
            errors["per_page"] = [PER_PAGE_MESSAGE]
    if any(k.startswith("filter[query][") for k in params):
        errors["filter.query"] = ["The filter.query field must be a string."]
    else:
        result.query = _last(params, "filter[query]") or None
    for name in MULTI_FILTERS:
        scalar = f"filter[{name}]"
        if scalar in params:
            errors[f"filter.{name}"] = [f"The filter.{name} field must be an array."]
            continue
        values = [v for k, vs in params.items() if k.startswith(f"{scalar}[") for v in vs]
        if not values:
            continue
        ids: set[int] = set()
        for index, value in enumerate(values):
            if _INT_RE.fullmatch(value):
                ids.add(int(value))
            else:
                errors[f"filter.{name}.{index}"] = [
                    f"The filter.{name}.{index} field must be an integer."
                ]
        result.any_of[name] = frozenset(ids)
    if any(k.startswith("filter[priority.id][") for k in params):
        errors["filter.priority.id"] = ["The filter.priority.id field must be an integer."]
    else:
        priority = _last(params, "filter[priority.id]")
        if priority is not None and priority != "":
            if _INT_RE.fullmatch(priority):
                result.priority = int(priority)
            else:
                errors["filter.priority.id"] = ["The filter.priority.id field must be an integer."]
    date_from = _parse_date(params, "date_from", errors)
    date_to = _parse_date(params, "date_to", errors)
    if date_from is not None and date_to is not None and date_from > date_to:
        errors["filter.date_from"] = [
            "The filter.date from field must be a date before or equal to filter.date to."
        ]
    if date_from is not None:
        result.created_from = utc_day_start(date_from)
    if date_to is not None:
        result.created_before = utc_day_start(date_to) + DAY_US
    if errors:
        return errors
    return result


def list_customers(company: Company, params: dict[str, list[str]]) -> Response:
    """Answer ``GET /customers``.

    Args:
        company: The token's company.
        params: Query parameters.

    Returns:
        The response (200, 400 for a bad cursor, or 422).
    """
    query = parse_list_query(params)
    if not isinstance(query, ListQuery):
        return validation_error(query)
    cursor = None
    raw_cursor = _last(params, "cursor")
    if raw_cursor:
        cursor = decode_cursor(raw_cursor)
        if cursor is None:
            return error(400, "Invalid cursor.")
    page = company.page(cursor, query.per_page, query.predicate())
    meta = dumps(
        {
            "per_page": query.per_page,
            "next_cursor": page.next_cursor,
            "prev_cursor": page.prev_cursor,
            "has_more": page.next_cursor is not None,
        }
    )
    body = b"".join(
        (
            b'{"success":true,"data":[',
            b",".join([row.list_json() for row in page.rows]),
            b'],"meta":',
            meta,
            b"}",
        )
    )
    return Response(200, body)


def show_customer(company: Company, cid: int) -> Response:
    """Answer ``GET /customers/{id}``.

    Args:
        company: The token's company.
        cid: Requested id.

    Returns:
        The response (200 or 404).
    """
    customer = company.customers.get(cid)
    if customer is None:
        return error(404, "Customer not found.")
    return Response(200, b'{"success":true,"data":' + customer.detail_json() + b"}")
