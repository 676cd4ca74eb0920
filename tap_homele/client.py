"""HTTP policy for every Homele stream: URL, auth, pagination, rate limit, retries, errors."""

from __future__ import annotations

import datetime
import email.utils
import logging
import random
import sys
import threading
import time
import typing as t
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cached_property, lru_cache

import backoff
import msgspec
import requests
from requests.utils import resolve_proxies
from singer_sdk.authenticators import BearerTokenAuthenticator
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.pagination import BaseAPIPaginator
from singer_sdk.streams import RESTStream
from singer_sdk.streams.rest import PageContext

from tap_homele.writer import LeanRecordMessages

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if sys.version_info >= (3, 11):
    _fromisoformat = datetime.datetime.fromisoformat
else:  # 3.10 parses only its own isoformat output
    from backports.datetime_fromisoformat import datetime_fromisoformat as _fromisoformat

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from backoff.types import Details
    from singer_sdk.helpers.types import Context

    from tap_homele.tap import TapHomele

DEFAULT_API_URL = "https://crm.homele.com/api/v2/crm"

#: Pace requests this much slower than the budget, so that jitter in network latency can
#: never land one request too many in the server's fixed window.
PACING_MARGIN = 1.01

#: Longest wait for an ``X-RateLimit-Reset`` (the window is 60 s; the header is assumed).
MAX_RESET_WAIT_SECONDS = 120.0

#: Details fetched at once when the network is slow: enough for 8 s of latency at 60
#: requests per minute within a page (each still waits for the budget). The next list page
#: is requested after the page before is done: about two latencies lost per page.
DETAIL_FETCH_WORKERS = 8

#: Latency below which details are fetched one after another: requests spends more CPU
#: handing the GIL between threads than such a short wait is worth (60% more per request
#: in bench/bench_throughput.py against a sandbox answering in 0.1 ms).
MIN_CONCURRENT_LATENCY_SECONDS = 0.005

#: Query parameter names of the list filters, with the setting that feeds each one.
FILTER_SETTINGS: dict[str, str] = {
    "filter[query]": "search_query",
    "filter[lead_status.id][]": "lead_status_ids",
    "filter[owner.id][]": "owner_ids",
    "filter[lead_source.id][]": "lead_source_ids",
    "filter[priority.id]": "priority_id",
    "filter[date_from]": "created_from",
    "filter[date_to]": "created_to",
}

TOKEN_HELP = "create a new one in Homele under Settings > API Integration and set api_token"  # noqa: S105


class HomeleFatalError(FatalAPIError):
    """An error that no retry can fix; the sync stops with this one-line message."""


class HomeleAuthError(HomeleFatalError):
    """401: the token is missing, invalid, expired or revoked."""


class HomelePermissionError(HomeleFatalError):
    """403: the token lacks a permission."""


class HomeleNotFoundError(HomeleFatalError):
    """404: the resource does not exist (any more)."""


class HomeleFilterError(HomeleFatalError):
    """422: the API rejected a filter value."""


class PaginationLoopError(HomeleFatalError):
    """The API handed back a cursor it had already given in this run."""


class RetriesExhaustedError(HomeleFatalError):
    """A transient failure outlasted every retry."""


#: Failures worth another attempt (the SDK's list): the server or the network may recover.
RETRIED_ERRORS = (
    ConnectionResetError,
    RetriableAPIError,
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


SYNC_STOPPED = "the sync is stopping; request not sent"


class SyncStoppedError(HomeleFatalError):
    """The sync is ending: requests still queued in worker threads are not sent."""


class RequestBudget:
    """The tap-wide request budget: paces every stream's requests and counts them.

    Requests are spread evenly, one slot every ``60 / requests_per_minute`` seconds handed
    out in order (GCRA with a burst of one), so no 60-second window, however the server
    aligns its own, ever holds more than the budget. (Our own few lines: the rate-limit
    library we had cost 50 ms of imports on every run.)
    """

    def __init__(
        self,
        requests_per_minute: int,
        *,
        logger: logging.Logger | None = None,
        record_counts: Callable[[], Mapping[str, int]] | None = None,
    ) -> None:
        """Create a budget of ``requests_per_minute``.

        Args:
            requests_per_minute: The most requests to send in any minute.
            logger: Where progress lines go.
            record_counts: Records written so far per stream, for progress lines.
        """
        self.requests_per_minute = requests_per_minute
        self._interval = 60.0 * PACING_MARGIN / requests_per_minute
        self._next_slot = 0.0
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._paused_until = 0.0
        self._logger = logger or logging.getLogger("tap-homele")
        self._started = time.monotonic()
        self._next_progress = self._started + 60.0
        self.latency: float | None = None
        self.requests = 0
        self.throttled = 0
        self.retries = 0
        self._record_counts = record_counts or dict

    def acquire(self) -> None:
        """Block until the next request may be sent.

        Raises:
            SyncStoppedError: The sync is ending; send nothing more.
        """
        slot = self._reserve_slot()
        while True:
            delay = slot - time.monotonic()
            if self._stopped.wait(delay) if delay > 0 else self._stopped.is_set():
                raise SyncStoppedError(SYNC_STOPPED)
            if self._paused_until <= time.monotonic():
                break
            slot = self._reserve_slot()  # paused while we waited: a slot after the pause
        with self._lock:
            self.requests += 1
            now = time.monotonic()
            if now >= self._next_progress:
                self._next_progress = now + 60.0
                self._logger.info("Progress: %s", self.summary())

    def _reserve_slot(self) -> float:
        with self._lock:
            slot = max(time.monotonic(), self._next_slot, self._paused_until)
            self._next_slot = slot + self._interval
            return slot

    def stop(self) -> None:
        """Refuse every further request (the sync failed or is being stopped)."""
        self._stopped.set()

    def pause_for(self, seconds: float) -> None:
        """Hold every request back for ``seconds`` (the server asked us to wait).

        Args:
            seconds: How long to hold requests back.
        """
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def observe(self, response: requests.Response) -> None:
        """Note how long the server took, and follow its count when the window is spent.

        Args:
            response: Any response from the API.
        """
        # A moving average of the time to an answer (threads racing here only blur it).
        elapsed = response.elapsed.total_seconds()
        previous = self.latency
        self.latency = elapsed if previous is None else previous + (elapsed - previous) / 5
        if response.headers.get("X-RateLimit-Remaining") != "0":
            return
        reset = response.headers.get("X-RateLimit-Reset")
        if reset and reset.isdigit():
            # Bounded: a reset in milliseconds or a skewed clock must not park the tap.
            wait = min(int(reset) - time.time(), MAX_RESET_WAIT_SECONDS)
            if wait > 0:
                self._logger.info("Rate-limit window spent; waiting %.1f s for its reset", wait)
                self.pause_for(wait)

    def worth_overlapping(self) -> bool:
        """Whether requests wait long enough to be worth sending from several threads.

        They are when one request's wait is more than half a budget slot (sent one after
        another, they would leave slots unused) and too long to be mostly GIL hand-offs.
        """
        latency = self.latency or 0.0
        return latency > max(MIN_CONCURRENT_LATENCY_SECONDS, self._interval / 2)

    def count_throttled(self) -> None:
        """Count one 429 (from any thread)."""
        with self._lock:
            self.throttled += 1

    def count_retry(self) -> None:
        """Count one retry (from any thread)."""
        with self._lock:
            self.retries += 1

    def summary(self) -> str:
        """Records per stream, requests, 429s, retries and the achieved rate so far."""
        elapsed = max(time.monotonic() - self._started, 1e-9)
        counts = sorted(self._record_counts().items())
        records = ", ".join(f"{name}={count}" for name, count in counts if count)
        return (
            f"records {records or 'none'}; {self.requests} requests in {elapsed:.1f} s "
            f"({self.requests * 60 / elapsed:.1f}/min of {self.requests_per_minute}), "
            f"{self.throttled} throttled (429), {self.retries} retries"
        )


class CursorPaginator(BaseAPIPaginator[str | None]):
    """Follows ``meta.next_cursor`` while ``meta.has_more``, refusing any cursor seen before."""

    def __init__(self, stop_early: Callable[[], bool]) -> None:
        """Create a paginator.

        Args:
            stop_early: Asked after each page; True ends paging (the rest is already synced).
        """
        super().__init__(None)
        self._seen: set[str] = set()
        self._stop_early = stop_early

    @override
    def has_more(self, response: requests.Response) -> bool:
        meta = payload_of(response).get("meta") or {}
        return bool(meta.get("has_more")) and not self._stop_early()

    @override
    def get_next(self, response: requests.Response) -> str | None:
        cursor = (payload_of(response).get("meta") or {}).get("next_cursor")
        if not cursor:
            msg = "Homele said has_more but sent no next_cursor; refusing a partial sync."
            raise HomeleFatalError(msg)
        if cursor in self._seen:
            msg = (
                f"Homele sent a cursor it had already sent in this run (after {self.count} "
                "pages); stopping instead of looping."
            )
            raise PaginationLoopError(msg)
        self._seen.add(cursor)
        return str(cursor)

    @override
    def continue_if_empty(self, response: requests.Response) -> bool:
        # A page whose rows were all older than the bookmark is empty here but not the end.
        return True


def rows_of(response: requests.Response) -> list[dict[str, t.Any]]:
    """The rows in a validated response's ``data``, as the API sent them.

    Args:
        response: A validated response.

    Returns:
        The rows (one for a single resource).
    """
    data = payload_of(response).get("data")
    return data if isinstance(data, list) else [data] if isinstance(data, dict) else []


def server_time(response: requests.Response) -> str | None:
    """When the server answered, normalized, from its ``Date`` header (None when unreadable).

    Args:
        response: Any response.

    Returns:
        A normalized timestamp, or None.
    """
    return _http_date(response.headers.get("Date"))


@lru_cache(maxsize=1)  # one second of pages share one Date header
def _http_date(header: str | None) -> str | None:
    try:
        answered = email.utils.parsedate_to_datetime(header)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if answered.tzinfo is None:  # "-0000": UTC, but parsed naive
        answered = answered.replace(tzinfo=datetime.timezone.utc)
    return format_timestamp(answered)


def payload_of(response: requests.Response) -> dict[str, t.Any]:
    """The decoded JSON body that ``validate_response`` stored on the response.

    Args:
        response: A validated response.

    Returns:
        The envelope as a dict.
    """
    return t.cast("dict[str, t.Any]", response.homele_payload)  # type: ignore[attr-defined]


def parse_timestamp(value: str) -> datetime.datetime:
    """Parse an API timestamp; one without an offset is taken as UTC.

    Args:
        value: ISO 8601 text as the API sends it.

    Returns:
        An aware datetime.
    """
    parsed: datetime.datetime = _fromisoformat(
        value.replace("Z", "+00:00") if value.endswith("Z") else value
    )
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)


_encode_json = msgspec.json.encode


def normalize_timestamp(value: str) -> str:
    """Render an API timestamp as RFC 3339 in UTC with microseconds (``...00.000000+00:00``).

    One fixed width makes text order equal time order, which the bookmark relies on.

    Args:
        value: ISO 8601 text as the API sends it.

    Returns:
        RFC 3339 text.

    Raises:
        ValueError: The value is not an ISO 8601 timestamp.
    """
    # Already in UTC (the usual case): only the suffix and the fraction's width change.
    if value.endswith("Z"):
        local = value[:-1]
    elif value.endswith("+00:00"):
        local = value[:-6]
    else:
        return format_timestamp(parse_timestamp(value))
    if len(local) == 19:  # noqa: PLR2004
        local += ".000000"
    elif 20 < len(local) < 26 and local[19] == ".":  # noqa: PLR2004
        local = local.ljust(26, "0")
    if not _is_utc_local_time(local):
        return format_timestamp(parse_timestamp(value))
    _fromisoformat(local)  # refuses month 13, hour 25, letters for digits
    return local + "+00:00"


def _is_utc_local_time(text: str) -> bool:
    """``YYYY-MM-DDTHH:MM:SS.ffffff`` by its separators and fraction (the rest: fromisoformat)."""
    return (
        len(text) == 26  # noqa: PLR2004
        and text[19] == "."
        and text[10] == "T"
        and text[4] == text[7] == "-"
        and text[13] == text[16] == ":"
        and text[20:].isdigit()
    )


def format_timestamp(value: datetime.datetime) -> str:
    """Render an aware datetime as RFC 3339 in UTC with microseconds.

    Args:
        value: An aware datetime.

    Returns:
        RFC 3339 text of one fixed width.
    """
    # msgspec writes RFC 3339 several times faster than isoformat, but drops a zero fraction.
    text = _encode_json(value.astimezone(datetime.timezone.utc))[1:-2].decode()
    return f"{text}+00:00" if len(text) > 19 else f"{text}.000000+00:00"  # noqa: PLR2004


class DetailPrefetcher:
    """Fetches single resources inside the budget, handed out in request order.

    While the network is slow (``RequestBudget.worth_overlapping``) the ids announced by
    ``submit`` are fetched ahead, concurrently; while it is fast each one is fetched when it
    is taken. The choice is made again after every fetch, so it follows the network.
    """

    def __init__(
        self, fetch: Callable[[int], dict[str, t.Any] | None], budget: RequestBudget
    ) -> None:
        """Create a prefetcher.

        Args:
            fetch: Fetches one resource by id; None when it no longer exists.
            budget: The tap's request budget, which knows how slow the network is.
        """
        self._fetch = fetch
        self._budget = budget
        self._pending: dict[int, Future[dict[str, t.Any] | None]] = {}
        self._announced: dict[int, None] = {}  # ids to come, not fetched ahead (ordered)
        self._executor: ThreadPoolExecutor | None = None

    def submit(self, ids: Iterable[int]) -> None:
        """Announce the ids that will be taken next, in order; fetch ahead if that pays.

        Args:
            ids: Resource ids, in the order they will be taken.
        """
        self._announced.update((i, None) for i in ids if i not in self._pending)
        self._fetch_ahead_if_worth_it()

    def take(self, resource_id: int) -> dict[str, t.Any] | None:
        """Wait for one resource (fetching it now if it was not fetched ahead).

        Args:
            resource_id: The id to take.

        Returns:
            The resource, or None when it no longer exists.
        """
        future = self._pending.pop(resource_id, None)
        if future is not None:
            return future.result()
        self._announced.pop(resource_id, None)
        resource = self._fetch(resource_id)
        self._fetch_ahead_if_worth_it()
        return resource

    def _fetch_ahead_if_worth_it(self) -> None:
        if not self._announced or not self._budget.worth_overlapping():
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                DETAIL_FETCH_WORKERS, thread_name_prefix="homele-detail"
            )
        for resource_id in self._announced:
            self._pending[resource_id] = self._executor.submit(self._fetch, resource_id)
        self._announced.clear()

    def cancel(self) -> None:
        """Drop what is queued and release the worker threads."""
        self._pending.clear()
        self._announced.clear()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


#: Guards the unknown fields already reported (details are conformed in worker threads).
_REPORTING_LOCK = threading.Lock()


class HomeleBearerToken(BearerTokenAuthenticator):
    """The SDK's bearer token, minus re-parsing each URL to add no query parameters."""

    @override
    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers.update(self.auth_headers)
        return request


class HomeleStream(LeanRecordMessages, RESTStream[str | None]):
    """Base stream: everything about talking to Homele lives here."""

    # Records are decoded JSON with timestamps already normalized: nothing to conform.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    # A redirect is never followed: it would carry the token to wherever it points.
    allow_redirects = False
    _LOG_REQUEST_METRIC_URLS = False

    _tap: TapHomele

    #: First retry wait in seconds; doubles per attempt, up to a minute, with jitter.
    retry_base_seconds: t.ClassVar[float] = 1.0

    @override
    @property
    def url_base(self) -> str:
        return str(self.config.get("api_url") or DEFAULT_API_URL).rstrip("/")

    @override
    @cached_property
    def authenticator(self) -> HomeleBearerToken:
        return HomeleBearerToken(token=str(self.config["api_token"]))

    @override
    @property
    def http_headers(self) -> dict[str, str]:
        return {"Accept": "application/json"}

    @override
    @property
    def timeout(self) -> int:
        return t.cast("int", self.config.get("request_timeout", 60))

    @cached_property
    def _thread_sessions(self) -> threading.local:
        return threading.local()

    @override
    @property
    def requests_session(self) -> requests.Session:
        # Details are fetched from worker threads; requests.Session is not thread-safe.
        local = self._thread_sessions
        if not hasattr(local, "session"):
            session = requests.Session()
            # The environment's proxy for the API (HTTPS_PROXY, NO_PROXY...), looked up once:
            # requests would otherwise read every environment variable on every request.
            api = requests.Request("GET", self.url_base)
            session.proxies = resolve_proxies(api, {}, trust_env=True)
            session.trust_env = False
            local.session = session
        return t.cast("requests.Session", local.session)

    # Requests: paced by the tap-wide budget, retried with backoff, one clear error at the end.

    @override
    def request_decorator(self, func: Callable[..., requests.Response]) -> Callable[..., t.Any]:
        budget = self._tap.request_budget

        def budgeted(prepared: requests.PreparedRequest, context: Context | None) -> t.Any:  # noqa: ANN401
            budget.acquire()
            return func(prepared, context)

        # As the SDK's decorator, minus backoff's own log lines: backoff_handler logs each
        # retry on one line, and a give-up becomes the one-line error below.
        retrying = backoff.on_exception(
            self.backoff_wait_generator,
            RETRIED_ERRORS,
            max_tries=self.backoff_max_tries,
            on_backoff=self.backoff_handler,
            jitter=self.backoff_jitter,
            logger=None,
        )(budgeted)
        attempts = self.backoff_max_tries()

        def request(prepared: requests.PreparedRequest, context: Context | None) -> t.Any:  # noqa: ANN401
            try:
                return retrying(prepared, context)
            except RETRIED_ERRORS as error:
                msg = (
                    f"GET {_path_of(prepared)} still failing after {attempts} attempts "
                    f"({_cause(error)}); rerun the tap with its last STATE to resume"
                )
                raise RetriesExhaustedError(msg) from error
            except (requests.exceptions.RequestException, OSError) as error:
                msg = f"GET {_path_of(prepared)} failed: {_cause(error)}"
                raise HomeleFatalError(msg) from error

        return request

    @override
    def backoff_max_tries(self) -> int:
        return int(self.config.get("max_retries", 8)) + 1

    @override
    def backoff_wait_generator(self) -> t.Generator[float, t.Any, None]:
        budget = self._tap.request_budget
        base = self.retry_base_seconds
        attempt = 0
        error = yield 0.0
        while True:
            attempt += 1
            retry_after = _retry_after_seconds(error)
            if retry_after is not None:
                budget.count_throttled()
                budget.pause_for(retry_after)
                wait = retry_after + random.uniform(0, 0.25)  # noqa: S311
            else:
                wait = min(60.0, base * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)  # noqa: S311
            error = yield wait

    @override
    def backoff_jitter(self, value: float) -> float:
        return value  # jitter is already in backoff_wait_generator

    @override
    def backoff_handler(self, details: Details) -> None:
        self._tap.request_budget.count_retry()
        error = details.get("exception")
        self.logger.warning(
            "Retrying GET %s in %.1f s (attempt %d of %d failed: %s)",
            _path_of(details["args"][0]) if details.get("args") else self.path,
            details.get("wait") or 0.0,
            details["tries"],
            self.backoff_max_tries(),
            _cause(error) if isinstance(error, BaseException) else "unknown cause",
        )

    # Responses

    @override
    def validate_response(self, response: requests.Response) -> None:
        self._tap.request_budget.observe(response)
        status = response.status_code
        if status == 429 or status >= 500:  # noqa: PLR2004
            raise RetriableAPIError(_status_text(response), response)
        if 300 <= status < 400:  # noqa: PLR2004
            location = response.headers.get("Location", "?")
            msg = (
                f"Homele answered {status} redirecting to {_strip_query(location)}; the token "
                "is never sent after a redirect: set api_url to the API's real address"
            )
            raise HomeleFatalError(msg)
        if status >= 400:  # noqa: PLR2004
            raise self._client_error(response)
        try:
            payload = msgspec.json.decode(response.content)
        except msgspec.DecodeError:
            msg = f"{status} with a body that is not valid JSON (truncated or an error page)"
            raise RetriableAPIError(msg, response) from None
        if not isinstance(payload, dict) or payload.get("success") is not True:
            message = payload.get("message") if isinstance(payload, dict) else None
            msg = f"{status} with success: false ({_short(message)})"
            raise RetriableAPIError(msg, response)
        response.homele_payload = payload  # type: ignore[attr-defined]

    def _client_error(self, response: requests.Response) -> HomeleFatalError:
        status = response.status_code
        body = _json_or_none(response)
        message = _short(body.get("message")) if body else response.reason
        if status == 401:  # noqa: PLR2004
            return HomeleAuthError(
                f"Homele rejected the API token (401 {message}): it is missing, invalid, "
                f"expired or revoked; {TOKEN_HELP}"
            )
        if status == 403:  # noqa: PLR2004
            return HomelePermissionError(
                f"The API token lacks the customer:read permission (403 {message}); give the "
                "token that permission or create one that has it, then set api_token"
            )
        if status == 404:  # noqa: PLR2004
            return HomeleNotFoundError(f"404 {message} for GET {_strip_query(response.url)}")
        if status == 422:  # noqa: PLR2004
            return HomeleFilterError(_filter_error_text(message, body))
        return HomeleFatalError(
            f"Homele answered {status} {response.reason} for GET "
            f"{_strip_query(response.url)}: {message}"
        )

    @override
    def response_error_message(self, response: requests.Response) -> str:
        return _status_text(response)

    @override
    def parse_response(self, response: requests.Response) -> list[dict[str, t.Any]]:
        """The rows of a response, conformed to the schema (see ``conform``).

        Args:
            response: A validated response.

        Returns:
            The rows of ``data`` (one for a single resource).
        """
        rows = rows_of(response)
        self.conform(rows, self.timestamp_fields)
        return rows

    @cached_property
    def _send_request(self) -> Callable[..., requests.Response]:
        return self.request_decorator(self._request)

    def fetch_resource(self, context: Context) -> dict[str, t.Any] | None:
        """GET this stream's path for one resource, inside the budget and with retries.

        Args:
            context: Fills the path's placeholders.

        Returns:
            The resource, conformed; None when the API sent none.

        Raises:
            HomeleNotFoundError: It does not exist (any more).
        """
        http_request = self.get_http_request(
            page=PageContext(stream_context=context, next_page_token=None)
        )
        prepared = self.build_prepared_request(
            method=http_request.method, url=http_request.url, headers=http_request.headers
        )
        response = self._send_request(prepared, context)
        return next(iter(self.parse_response(response)), None)

    # Records

    @cached_property
    def _syncs_children(self) -> bool:
        return any(c.selected or c.has_selected_descendents for c in self.child_streams)

    @override
    def generate_child_contexts(
        self, record: dict[str, t.Any], context: Context | None
    ) -> Iterable[Context | None]:
        # The SDK would visit every deselected child once per record to find nothing to do.
        return (self.get_child_context(record, context),) if self._syncs_children else ()

    #: Date-time fields, normalized to UTC RFC 3339.
    timestamp_fields: t.ClassVar[tuple[str, ...]] = ()
    #: Date-time fields of the objects in array fields: ``{array field: (fields, ...)}``.
    nested_timestamp_fields: t.ClassVar[dict[str, tuple[str, ...]]] = {}

    @cached_property
    def _declared_fields(self) -> frozenset[str]:
        return frozenset(self.schema["properties"])

    @cached_property
    def _reported_fields(self) -> set[str]:
        return set()

    def conform(self, rows: list[dict[str, t.Any]], timestamp_fields: Iterable[str]) -> None:
        """Make rows match the schema, in place: timestamps normalized, unknown fields dropped.

        Done per page rather than in ``post_process``, which the SDK calls per record.

        Args:
            rows: Rows as the API sent them.
            timestamp_fields: The date-time fields still to normalize.
        """
        declared = self._declared_fields
        for row in rows:
            if not declared.issuperset(row):
                self._drop_unknown_fields(row)
        self.normalize_timestamps(rows, timestamp_fields)
        for array_field, fields in self.nested_timestamp_fields.items():
            for row in rows:
                self.normalize_timestamps(row.get(array_field) or [], fields, within=row)

    def normalize_timestamps(
        self,
        items: list[dict[str, t.Any]],
        fields: Iterable[str],
        *,
        within: dict[str, t.Any] | None = None,
    ) -> None:
        """Normalize date-time fields in place, or stop the sync naming the first bad one.

        Args:
            items: Rows, or the objects nested in one row.
            fields: Their date-time fields.
            within: The row that ``items`` are nested in, if they are.

        Raises:
            HomeleFatalError: A value is not a timestamp.
        """
        for item in items:
            for field in fields:
                value = item.get(field)
                if value is not None:
                    try:
                        item[field] = normalize_timestamp(value)
                    except (TypeError, ValueError):
                        row = within or item
                        msg = (
                            f"Homele sent {field} {_short(repr(value), 60)} for {self.name} id "
                            f"{row.get('id')}, which is not an ISO 8601 timestamp; nothing "
                            "after it was emitted"
                        )
                        raise HomeleFatalError(msg) from None

    def _drop_unknown_fields(self, row: dict[str, t.Any]) -> None:
        """Remove fields the schema lacks, logging each one once per stream and run."""
        unknown = row.keys() - self._declared_fields
        with _REPORTING_LOCK:
            new = unknown - self._reported_fields
            self._reported_fields.update(new)
        if new:
            self.logger.warning(
                "Stream '%s': the API sent field(s) not in the schema, left out: %s",
                self.name,
                ", ".join(sorted(new)),
            )
        for field in unknown:
            del row[field]


def _retry_after_seconds(error: object) -> float | None:
    response = getattr(error, "response", None)
    if response is None or response.status_code != 429:  # noqa: PLR2004
        return None
    header = response.headers.get("Retry-After", "").strip()
    if not header:
        return 1.0
    if header.isdigit():
        return float(header)
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return 1.0
    return max(0.0, when.timestamp() - time.time())


def _json_or_none(response: requests.Response) -> dict[str, t.Any] | None:
    try:
        body = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        return None
    return body if isinstance(body, dict) else None


def _filter_error_text(message: str, body: dict[str, t.Any] | None) -> str:
    errors = body.get("errors") if body else None
    details = []
    for field, problems in (errors or {}).items():
        parameter = field.replace("filter.", "filter[", 1) + "]" if "." in field else field
        setting = next(
            (s for p, s in FILTER_SETTINGS.items() if p.startswith(parameter)),
            "page_size" if field == "per_page" else None,
        )
        where = f"setting {setting} ({field})" if setting else field
        details.append(f"{where}: {'; '.join(map(str, problems))}")
    return f"Homele rejected a filter (422 {message}) {' | '.join(details)}".strip()


def _status_text(response: requests.Response) -> str:
    return f"{response.status_code} {response.reason} for GET {_strip_query(response.url)}"


def _path_of(prepared: object) -> str:
    url = getattr(prepared, "url", None) or ""
    return _strip_query(str(url))


def _strip_query(url: str) -> str:
    return url.split("?", 1)[0]


def _short(message: object, limit: int = 200) -> str:
    text = " ".join(str(message).split()) if message is not None else ""
    return text[:limit] or "no message"


def _cause(error: BaseException) -> str:
    if isinstance(error, RetriableAPIError):
        return str(error)
    if isinstance(error, requests.exceptions.Timeout):
        return "timed out"
    if isinstance(error, requests.exceptions.SSLError):
        return "TLS handshake or certificate check failed"
    if isinstance(error, requests.exceptions.ConnectionError):
        return "connection failed or was reset"
    return type(error).__name__
