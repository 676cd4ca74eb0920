"""Streams synced once per customer, made to look like one sync per run.

The SDK syncs a child stream once per parent record. For a child of every customer that
means, per customer, a SCHEMA message, a "Beginning sync" line and two metric lines (and
targets may re-create sinks on each SCHEMA). Here each of those happens once per run:
the metrics cover the whole run and are logged when the parent finishes.
"""

from __future__ import annotations

import logging
import sys
import typing as t
from functools import cached_property

from singer_sdk import Stream, metrics

if sys.version_info >= (3, 12):
    from typing import Self, override
else:
    from typing_extensions import Self, override

if t.TYPE_CHECKING:
    from types import TracebackType

    from singer_sdk.helpers.types import Context

_BEGINNING_SYNC = "Beginning sync of "


class RunCounter(metrics.Counter):
    """A record counter for the whole run: the per-customer syncs enter and exit it."""

    @override
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        """Keep counting: the count is logged every interval and when the run finishes."""

    @override
    def with_context(self, value: Context | None) -> None:
        """Ignore the per-customer context: this count is for the whole stream."""


class RunTimer(metrics.Timer):
    """A sync timer for the whole run, started by the first per-customer sync."""

    started = False

    @override
    def __enter__(self) -> Self:
        if not self.started:
            self.started = True
            super().__enter__()
        return self

    @override
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            super().__exit__(exc_type, exc_val, exc_tb)

    @override
    def with_context(self, value: Context | None) -> None:
        """Ignore the per-customer context: this time is for the whole stream."""

    def finish(self) -> None:
        """Log the time since the first per-customer sync began."""
        if self.started:
            self.started = False
            super().__exit__(None, None, None)


class PerCustomerChild(Stream):
    """A child stream synced for each customer, reported as one sync per run."""

    _schema_sent = False
    _announced = False

    @override
    def _write_schema_message(self) -> None:
        if not self._schema_sent:
            super()._write_schema_message()
            self._schema_sent = True

    @override
    def log(self, message: str, *args: t.Any, level: int = logging.INFO, **kwargs: t.Any) -> None:
        if message.startswith(_BEGINNING_SYNC):
            if self._announced:
                return
            self._announced = True
        super().log(message, *args, level=level, **kwargs)

    @cached_property
    def _run_counter(self) -> RunCounter:
        return RunCounter(metrics.Metric.RECORD_COUNT, {metrics.Tag.STREAM: self.name})

    @cached_property
    def _run_timer(self) -> RunTimer:
        return RunTimer(metrics.Metric.SYNC_DURATION, {metrics.Tag.STREAM: self.name})

    @override
    def get_record_counter(
        self, *, endpoint: str | None = None, log_interval: float = metrics.DEFAULT_LOG_INTERVAL
    ) -> metrics.Counter:
        return self._run_counter

    @override
    def get_sync_timer(self) -> metrics.Timer:
        return self._run_timer

    def finish_run(self) -> None:
        """Log this run's record count and duration, once (the parent calls it at its end)."""
        if self._run_timer.started:
            self._run_counter.exit()
            self._run_timer.finish()
