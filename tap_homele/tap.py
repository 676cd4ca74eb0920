"""The Homele tap: settings, their validation and the stream list."""

from __future__ import annotations

import datetime
import gc
import ipaddress
import sys
import typing as t
from urllib.parse import urlsplit

from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import PluginCapabilities, TapCapabilities

from tap_homele import streams
from tap_homele.client import DEFAULT_API_URL, HomeleFatalError, RequestBudget, parse_timestamp
from tap_homele.writer import BufferedMsgSpecWriter, LeanRecordMessages

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
    from types import FrameType

    import click
    from singer_sdk.helpers.capabilities import CapabilitiesEnum
    from singer_sdk.streams import Stream

_ID_LIST = th.ArrayType(th.IntegerType(minimum=0))


class TapHomele(Tap):
    """Singer tap for the Homele CRM API."""

    name = "tap-homele"
    package_name = "tap-homele"
    message_writer_class = BufferedMsgSpecWriter
    # Not activate-version: the child streams are full-table per customer, and a target
    # honouring ACTIVATE_VERSION would delete every detail an incremental run did not resend.
    capabilities: t.ClassVar[list[CapabilitiesEnum]] = [
        TapCapabilities.CATALOG,
        TapCapabilities.STATE,
        TapCapabilities.DISCOVER,
        PluginCapabilities.ABOUT,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
        PluginCapabilities.BATCH,
        PluginCapabilities.STRUCTURED_LOGGING,
    ]

    config_jsonschema = th.PropertiesList(
        th.Property(
            "api_token",
            th.StringType,
            required=True,
            secret=True,
            title="API token",
            description=(
                "Homele personal access token (Settings > API Integration in the CRM), "
                "with the customer:read permission. It looks like an id, a vertical bar and "
                "a secret."
            ),
        ),
        th.Property(
            "api_url",
            th.StringType,
            default=DEFAULT_API_URL,
            title="API URL",
            description=(
                "Base URL of the Homele CRM API, for companies on their own domain. "
                "Must be https, except for loopback hosts (the local sandbox)."
            ),
        ),
        th.Property(
            "start_date",
            th.DateTimeType,
            title="Start date",
            description=(
                "Earliest `last_activity_at` to sync on a first run (no state). "
                "Leave empty to sync every customer."
            ),
        ),
        th.Property(
            "page_size",
            th.IntegerType(minimum=1, maximum=100),
            default=100,
            title="Page size",
            description="Customers per list request, 1-100. 100 spends the fewest requests.",
        ),
        th.Property(
            "search_query",
            th.StringType,
            title="Search query",
            description="Only customers whose name matches (`filter[query]`).",
        ),
        th.Property(
            "lead_status_ids",
            _ID_LIST,
            title="Lead status ids",
            description="Only customers in these lead statuses (`filter[lead_status.id][]`).",
        ),
        th.Property(
            "owner_ids",
            _ID_LIST,
            title="Owner ids",
            description="Only customers owned by these CRM users (`filter[owner.id][]`).",
        ),
        th.Property(
            "lead_source_ids",
            _ID_LIST,
            title="Lead source ids",
            description="Only customers from these lead sources (`filter[lead_source.id][]`).",
        ),
        th.Property(
            "priority_id",
            th.IntegerType(minimum=0),
            title="Priority id",
            description="Only customers with this priority (`filter[priority.id]`).",
        ),
        th.Property(
            "created_from",
            th.DateType,
            title="Created from",
            description="Only customers created on or after this date, YYYY-MM-DD.",
        ),
        th.Property(
            "created_to",
            th.DateType,
            title="Created to",
            description="Only customers created on or before this date, YYYY-MM-DD.",
        ),
        th.Property(
            "requests_per_minute",
            th.IntegerType(minimum=1),
            default=60,
            title="Requests per minute",
            description=(
                "Request budget shared by all streams. Homele allows 60 per minute per user; "
                "lower it when other integrations use the same user."
            ),
        ),
        th.Property(
            "request_timeout",
            th.NumberType(minimum=1),
            default=60,
            title="Request timeout",
            description="Seconds to wait for one HTTP response before retrying.",
        ),
        th.Property(
            "max_retries",
            th.IntegerType(minimum=0, maximum=20),
            default=8,
            title="Max retries",
            description=(
                "Retries of one request after a 429, a 5xx, a timeout or a broken response "
                "before the sync fails."
            ),
        ),
    ).to_dict()

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        # The JSON schema checks types and ranges; these are the checks it cannot express.
        # Appending them to the SDK's list keeps its one-line-per-error reporting.
        errors = super()._validate_config(raise_errors=raise_errors)
        extra = config_errors(self._config)
        if extra and raise_errors:
            summary = "Config validation failed"
            raise ConfigValidationError(summary, errors=extra, schema=self.config_jsonschema)
        return errors + extra

    @property
    def request_budget(self) -> RequestBudget:
        """The one request budget that every stream of this tap spends from."""
        if self._request_budget is None:
            self._request_budget = RequestBudget(
                int(self.config.get("requests_per_minute", 60)),
                logger=self.logger,
                record_counts=self._records_written,
            )
        return self._request_budget

    _request_budget: RequestBudget | None = None

    def _records_written(self) -> dict[str, int]:
        return {
            name: stream.records_written
            for name, stream in self.streams.items()
            if isinstance(stream, LeanRecordMessages)
        }

    @override
    def discover_streams(self) -> list[Stream]:
        return [
            streams.CustomersStream(self),
            streams.CustomerDetailsStream(self),
            streams.LeadStatusHistoryStream(self),
        ]

    @override
    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        # The SDK's handler writes a last STATE and exits; never in the middle of a write.
        writer = self.message_writer
        if isinstance(writer, BufferedMsgSpecWriter) and writer.defer(
            lambda: super(TapHomele, self)._handle_termination(signum, frame)
        ):
            return
        super()._handle_termination(signum, frame)

    @classmethod
    @override
    def invoke(cls, *args: t.Any, **kwargs: t.Any) -> None:
        # Everything imported so far lives as long as the process: keep the garbage
        # collector from walking it again in every full collection of the sync (10% of a
        # customers sync in bench/bench_throughput.py). No collection first: it would take
        # 14 ms to free a few dozen objects.
        gc.freeze()
        try:
            super().invoke(*args, **kwargs)
        except HomeleFatalError as error:
            cls._fail("Sync failed", error)

    @classmethod
    @override
    def cb_test(cls, ctx: click.Context, param: click.Option, value: str) -> None:
        try:
            super().cb_test(ctx, param, value)
        except HomeleFatalError as error:
            cls._fail("Connection test failed", error)

    @classmethod
    def _fail(cls, what: str, error: HomeleFatalError) -> t.NoReturn:
        # One sentence for the operator instead of a traceback; the STATE already
        # emitted stays valid, so a rerun resumes from it.
        cls.logger.error("%s: %s", what, error)
        sys.exit(1)


def config_errors(config: t.Mapping[str, t.Any]) -> list[str]:
    """Return one line per setting whose value the JSON schema cannot reject.

    Args:
        config: The tap configuration.

    Returns:
        Error lines, each naming its setting; empty when the config is usable.
    """
    errors: list[str] = []
    token = config.get("api_token")
    if isinstance(token, str) and not token.strip():
        errors.append("api_token is empty: set it to a Homele API token.")
    api_url = config.get("api_url")
    if isinstance(api_url, str):
        errors.extend(_api_url_errors(api_url))
    dates: dict[str, datetime.date] = {}
    for setting in ("created_from", "created_to"):
        value = config.get(setting)
        if value is None:
            continue
        try:
            dates[setting] = datetime.date.fromisoformat(str(value))
        except ValueError:
            errors.append(f"{setting} must be a date as YYYY-MM-DD, got {value!r}.")
    if (
        "created_from" in dates
        and "created_to" in dates
        and (dates["created_from"] > dates["created_to"])
    ):
        errors.append(
            f"created_from ({dates['created_from']}) is after created_to "
            f"({dates['created_to']}): no customer could match."
        )
    start_date = config.get("start_date")
    if start_date is not None:
        try:
            parse_timestamp(str(start_date))
        except ValueError:
            errors.append(
                f"start_date must be an ISO 8601 date-time such as 2026-01-31T00:00:00Z, "
                f"got {start_date!r}."
            )
    return errors


def _api_url_errors(api_url: str) -> list[str]:
    parts = urlsplit(api_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return [f"api_url must be an http(s) URL such as {DEFAULT_API_URL}, got {api_url!r}."]
    if parts.username or parts.password:
        return ["api_url must not carry credentials: put the token in api_token."]
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        return [
            (
                f"api_url must use https for {parts.hostname}: plain http would send the "
                "token in clear text (http is allowed only for loopback hosts, the sandbox)."
            )
        ]
    return []


def _is_loopback(hostname: str) -> bool:
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


if __name__ == "__main__":
    TapHomele.cli()
