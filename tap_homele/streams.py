"""The Homele streams and their schemas (the assumed record shapes of the API contract)."""

from __future__ import annotations

import sys
import typing as t
from functools import cached_property

from singer_sdk import typing as th
from singer_sdk.helpers._util import utc_now
from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_homele.children import PerCustomerChild
from tap_homele.client import (
    FILTER_SETTINGS,
    CursorPaginator,
    DetailPrefetcher,
    HomeleNotFoundError,
    HomeleStream,
    format_timestamp,
    parse_timestamp,
    rows_of,
    server_time,
)
from tap_homele.incremental import SYNCED_IN_BOOKMARK_SECOND, NewestFirstWindow
from tap_homele.writer import LeanRecordMessages

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    import requests
    from singer_sdk.helpers.types import Context, Record

    from tap_homele.tap import TapHomele

REFERENCE = th.ObjectType(
    th.Property("id", th.IntegerType, description="Id of the referenced item."),
    th.Property("name", th.StringType, description="Display name of the referenced item."),
)

CUSTOMER_PROPERTIES = (
    th.Property("id", th.IntegerType, required=True, description="Customer id."),
    th.Property("name", th.StringType, description="Customer's full name."),
    th.Property("email", th.StringType, description="Email address."),
    th.Property("phone", th.StringType, description="Phone number, as entered in the CRM."),
    th.Property("lead_status", REFERENCE, description="Current lead status."),
    th.Property("owner", REFERENCE, description="CRM user who owns the customer."),
    th.Property("lead_source", REFERENCE, description="Where the lead came from."),
    th.Property("priority", REFERENCE, description="Priority."),
    th.Property("created_at", th.DateTimeType, description="Created, RFC 3339 in UTC."),
    th.Property("updated_at", th.DateTimeType, description="Last updated, RFC 3339 in UTC."),
    th.Property(
        "last_activity_at",
        th.DateTimeType,
        description="Last activity, RFC 3339 in UTC; null for a customer with no activity yet.",
    ),
)

HISTORY_ENTRY_PROPERTIES = (
    th.Property("id", th.IntegerType, required=True, description="History entry id."),
    th.Property("from_status", REFERENCE, description="Status before; null for the first."),
    th.Property("to_status", REFERENCE, description="Status after the change."),
    th.Property("changed_by", REFERENCE, description="CRM user who made the change."),
    th.Property("changed_at", th.DateTimeType, description="When, RFC 3339 in UTC."),
)

_CUSTOMER_TIMESTAMPS = ("created_at", "updated_at", "last_activity_at")


class CustomersStream(HomeleStream):
    """`GET /customers`: every customer, newest activity first, incremental on activity."""

    name = "customers"
    path = "/customers"
    primary_keys = ("id",)
    replication_key = "last_activity_at"
    is_sorted = False  # newest first: the bookmark is the max seen, capped at sync start
    schema = th.PropertiesList(*CUSTOMER_PROPERTIES).to_dict()
    timestamp_fields = _CUSTOMER_TIMESTAMPS

    @override
    def get_url_params(
        self, context: Context | None, next_page_token: str | None
    ) -> dict[str, t.Any]:
        params: dict[str, t.Any] = {"per_page": self.config.get("page_size", 100)}
        if next_page_token:
            params["cursor"] = next_page_token
        for parameter, setting in FILTER_SETTINGS.items():
            value = self.config.get(setting)
            if value is not None and value != []:
                params[parameter] = value
        return params

    @override
    def get_new_paginator(self) -> CursorPaginator:
        return CursorPaginator(stop_early=lambda: self._window.exhausted)

    @cached_property
    def _timestamps_after_window(self) -> tuple[str, ...]:
        return tuple(field for field in self.timestamp_fields if field != self.replication_key)

    @cached_property
    def _window(self) -> NewestFirstWindow:
        bookmark = self.get_starting_timestamp(None)
        state = self.stream_state
        saved = state.get("replication_key_value")
        from_state = saved is not None and parse_timestamp(saved) == bookmark
        synced = state.get(SYNCED_IN_BOOKMARK_SECOND, []) if from_state else []
        start = None if bookmark is None else format_timestamp(bookmark)
        return NewestFirstWindow(start, synced, self.logger)

    @override
    def parse_response(self, response: requests.Response) -> list[dict[str, t.Any]]:
        self.time_extracted = utc_now()
        # The window orders every listed row by its activity; the rest only on rows it keeps.
        rows = rows_of(response)
        self.normalize_timestamps(rows, (self.replication_key,))
        rows = self._window.select(rows, server_time(response))
        self.conform(rows, self._timestamps_after_window)
        self._advance_progress_marker()
        self._prefetch_details(rows)
        return rows

    @cached_property
    def _detail_stream(self) -> CustomerDetailsStream | None:
        for child in self.child_streams:
            if isinstance(child, CustomerDetailsStream):
                return child
        return None

    def _prefetch_details(self, rows: list[dict[str, t.Any]]) -> None:
        details = self._detail_stream
        if details is None or not (details.selected or details.has_selected_descendents):
            return
        ids = [int(row["id"]) for row in rows]
        if self.ABORT_AT_RECORD_COUNT is not None:  # --test: fetch no more than is emitted
            ids = ids[: self.ABORT_AT_RECORD_COUNT]
        details.prefetcher.submit(ids)

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        try:
            yield from super().get_records(context)
        except (Exception, SystemExit, KeyboardInterrupt):
            self._tap.request_budget.stop()  # queued detail requests are not sent
            raise
        finally:
            if self._detail_stream is not None:
                self._detail_stream.prefetcher.cancel()
            for child in self.descendent_streams:
                if isinstance(child, PerCustomerChild):
                    child.finish_run()
            self.logger.info("Sync summary: %s", self._tap.request_budget.summary())

    @override
    def get_child_context(self, record: Record, context: Context | None) -> Context:
        return {"customer_id": record["id"]}

    def _advance_progress_marker(self) -> None:
        """Move the progress marker to the newest activity selected so far, once per page.

        The SDK does this per record, and only while this stream is selected; the bookmark
        must move when only the children are selected too, or every run would fetch every
        detail again. The marker becomes the bookmark only when the whole sync succeeds.
        """
        if (progress := self._window.progress()) is not None:
            self.state_manager.increment_state(
                {"last_activity_at": progress},
                replication_key="last_activity_at",
            )

    @override
    def _increment_stream_state(
        self, latest_record: Record, *, context: Context | None = None
    ) -> None:
        """Per record: nothing, ``_advance_progress_marker`` moves the marker per page."""

    @override
    def finalize_state_progress_markers(self, state: dict[str, t.Any] | None = None) -> None:
        super().finalize_state_progress_markers(state)
        stream_state = self.stream_state
        stream_state[SYNCED_IN_BOOKMARK_SECOND] = self._window.synced_at(
            stream_state.get("replication_key_value")
        )
        self._tap.state_writer.write_state(self.tap_state)


class CustomerDetailsStream(PerCustomerChild, HomeleStream):
    """`GET /customers/{id}` for each customer the run emits, fetched concurrently."""

    name = "customer_details"
    path = "/customers/{customer_id}"
    primary_keys = ("id",)
    parent_stream_type = CustomersStream
    state_partitioning_keys: t.ClassVar[list[str]] = []  # no state partition per customer
    schema = th.PropertiesList(
        *CUSTOMER_PROPERTIES,
        th.Property("occupation", REFERENCE, description="Occupation."),
        th.Property(
            "real_estate_types",
            th.ArrayType(REFERENCE),
            description="Kinds of property the customer is interested in.",
        ),
        th.Property(
            "lead_status_history",
            th.ArrayType(th.ObjectType(*HISTORY_ENTRY_PROPERTIES)),
            description="Every lead status change, oldest first (also its own stream).",
        ),
    ).to_dict()
    timestamp_fields = _CUSTOMER_TIMESTAMPS
    nested_timestamp_fields: t.ClassVar[dict[str, tuple[str, ...]]] = {
        "lead_status_history": ("changed_at",)
    }

    @cached_property
    def prefetcher(self) -> DetailPrefetcher:
        """Details requested ahead of the records that need them."""
        return DetailPrefetcher(self._fetch_detail, self._tap.request_budget)

    @cached_property
    def _history_by_customer(self) -> dict[int, list[dict[str, t.Any]]]:
        return {}

    def _fetch_detail(self, customer_id: int) -> dict[str, t.Any] | None:
        try:
            return self.fetch_resource({"customer_id": customer_id})
        except HomeleNotFoundError:
            self.logger.warning(
                "Customer %s was deleted after it was listed (404); skipping its details.",
                customer_id,
            )
            return None

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        customer_id = int((context or {})["customer_id"])
        detail = self.prefetcher.take(customer_id)
        if detail is not None:
            yield detail

    @override
    def post_process(
        self, row: dict[str, t.Any], context: Context | None = None
    ) -> dict[str, t.Any] | None:
        if self._syncs_children:
            self._history_by_customer[int(row["id"])] = row.get("lead_status_history") or []
        return row

    def take_history(self, customer_id: int) -> list[dict[str, t.Any]]:
        """Hand the history of a just-emitted detail to `lead_status_history`.

        Args:
            customer_id: The customer whose detail was just synced.

        Returns:
            The customer's lead status history entries.
        """
        return self._history_by_customer.pop(customer_id, [])

    @override
    def get_child_context(self, record: Record, context: Context | None) -> Context:
        return {"customer_id": record["id"]}


class LeadStatusHistoryStream(PerCustomerChild, LeanRecordMessages):
    """One row per lead status change, taken from the detail response: no extra request."""

    name = "lead_status_history"
    primary_keys = ("customer_id", "id")
    parent_stream_type = CustomerDetailsStream
    state_partitioning_keys: t.ClassVar[list[str]] = []
    schema = th.PropertiesList(
        th.Property("customer_id", th.IntegerType, required=True, description="Customer id."),
        *HISTORY_ENTRY_PROPERTIES,
    ).to_dict()

    _tap: TapHomele
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE  # rows are copies of conformed details

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        customer_id = int((context or {})["customer_id"])
        details = t.cast("CustomerDetailsStream", self._tap.streams["customer_details"])
        for entry in details.take_history(customer_id):
            yield {"customer_id": customer_id, **entry}
