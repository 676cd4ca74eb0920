# Copyright 2026 tap-homele developers. SPDX-License-Identifier: Apache-2.0
"""The sandbox HTTP server: auth, rate limiting, faults, request log and the public API."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import math
import random
import re
import socket
import socketserver
import string
import struct
import sys
import threading
import time
import traceback
from dataclasses import asdict, dataclass
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs

from tap_homele.sandbox.api import Response, dumps, error, list_customers, show_customer
from tap_homele.sandbox.data import Dataset

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from types import TracebackType

    from typing_extensions import Self

API_BASE = "/api/v2/crm"
INTROSPECTION_BASE = "/__sandbox"
FAULT_KINDS: tuple[str, ...] = (
    "error_500",
    "html_500",
    "html_502",
    "reset",
    "slow",
    "truncated",
    "success_false",
)
TOKEN_NAMES: tuple[str, ...] = (
    "full",
    "other_company",
    "empty_company",
    "no_permission",
    "revoked",
    "expired",
)
READ_ABILITY = "customer:read"
HTML = "text/html; charset=UTF-8"
HTML_500 = b"""<!DOCTYPE html>
<html lang="en">
<head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Server Error</title>
</head>
<body class="antialiased">
    <div class="flex items-top justify-center min-h-screen">
        <div class="px-4 text-lg text-gray-500 border-r border-gray-400 tracking-wider">500</div>
        <div class="ml-4 text-lg text-gray-500 uppercase tracking-wider">Server Error</div>
    </div>
</body>
</html>
"""
HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
_TOKEN_RE = re.compile(r"\d+\|[A-Za-z0-9]{40}")
_DETAIL_RE = re.compile(r"/customers/(\d{1,18})")
_ALNUM = string.ascii_letters + string.digits


@dataclass(frozen=True)
class RequestRecord:
    """One API request as the sandbox saw it."""

    number: int
    endpoint: str
    path: str
    query: str
    params: dict[str, list[str]]
    status: int
    fault: str | None
    token_name: str | None
    at: float


@dataclass(frozen=True)
class _Token:
    name: str
    value: str
    company: int
    abilities: frozenset[str]
    state: Literal["active", "revoked", "expired"]


def make_tokens(seed: int) -> dict[str, _Token]:
    """Create the sandbox's Sanctum-like tokens, deterministically from ``seed``.

    Args:
        seed: Data seed.

    Returns:
        Tokens by name (:data:`TOKEN_NAMES`).
    """
    rng = random.Random(f"homele-sandbox:tokens:{seed}")  # noqa: S311
    ids = rng.sample(range(1, 1000), len(TOKEN_NAMES))
    read = frozenset({READ_ABILITY, "deal:read", "property:read"})
    specs: dict[str, tuple[int, frozenset[str], Literal["active", "revoked", "expired"]]] = {
        "full": (1, read, "active"),
        "other_company": (2, read, "active"),
        "empty_company": (3, read, "active"),
        "no_permission": (1, frozenset({"deal:read", "property:read"}), "active"),
        "revoked": (1, read, "revoked"),
        "expired": (1, read, "expired"),
    }
    tokens: dict[str, _Token] = {}
    for token_id, name in zip(ids, TOKEN_NAMES, strict=True):
        company, abilities, state = specs[name]
        secret = "".join(rng.choice(_ALNUM) for _ in range(40))
        tokens[name] = _Token(name, f"{token_id}|{secret}", company, abilities, state)
    return tokens


class _RateLimiter:
    """Fixed-window counter per key, like Laravel's cache-TTL throttle."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._lock = threading.Lock()
        self._windows: dict[str, list[float]] = {}

    def hit(self, key: str) -> tuple[bool, list[tuple[str, str]]]:
        now = time.monotonic()
        with self._lock:
            state = self._windows.get(key)
            if state is None or now >= state[0] + self.window:
                state = [now, 0.0]
                self._windows[key] = state
            if state[1] >= self.limit:
                wait = state[0] + self.window - now
                return False, [
                    ("X-RateLimit-Limit", str(self.limit)),
                    ("X-RateLimit-Remaining", "0"),
                    ("Retry-After", str(max(1, math.ceil(wait)))),
                    ("X-RateLimit-Reset", str(math.ceil(time.time() + wait))),
                ]
            state[1] += 1
            remaining = self.limit - int(state[1])
        return True, [
            ("X-RateLimit-Limit", str(self.limit)),
            ("X-RateLimit-Remaining", str(remaining)),
        ]


def _is_loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _now_us() -> int:
    return time.time_ns() // 1000


class _Engine:
    """Everything behind the socket: data, tokens, limiter, faults, log."""

    def __init__(  # noqa: PLR0913
        self,
        *,
        customers: int,
        seed: int,
        rate_limit: int,
        rate_window: float,
        latency: float,
        fault_rate: float,
        fault_seed: int,
        fault_kinds: Iterable[str],
        faults_at: Mapping[int, str] | None,
        slow_seconds: float,
        mutate_every: int,
        mutation_seed: int,
        order: str,
    ) -> None:
        kinds = tuple(fault_kinds)
        unknown = [k for k in (*kinds, *(faults_at or {}).values()) if k not in FAULT_KINDS]
        if unknown:
            msg = f"unknown fault kinds {unknown}; known: {FAULT_KINDS}"
            raise ValueError(msg)
        if fault_rate > 0 and not kinds:
            msg = "fault_rate > 0 needs at least one fault kind"
            raise ValueError(msg)
        if order not in {"desc", "asc"}:
            msg = f"order must be 'desc' or 'asc', not {order!r}"
            raise ValueError(msg)
        if customers < 0 or rate_limit < 0 or mutate_every < 0 or rate_window <= 0:
            msg = "customers, rate_limit and mutate_every must be >= 0, rate_window > 0"
            raise ValueError(msg)
        self.data = Dataset(
            customers=customers,
            seed=seed,
            ascending=order == "asc",
            mutation_seed=mutation_seed,
        )
        self.data_lock = threading.RLock()
        self.tokens = make_tokens(seed)
        self.by_value = {t.value: t for t in self.tokens.values()}
        self.limiter = _RateLimiter(rate_limit, rate_window) if rate_limit else None
        self.latency = latency
        self.fault_rate = fault_rate
        self.fault_seed = fault_seed
        self.fault_kinds = kinds
        self.faults_at = dict(faults_at or {})
        self.slow_seconds = slow_seconds
        self.mutate_every = mutate_every
        self.stopping = threading.Event()
        self.log_lock = threading.Lock()
        self.log: list[RequestRecord] = []
        self.counter = 0
        self._date = (0, "")

    # -- introspection helpers ---------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        with self.log_lock:
            records = list(self.log)
        by_endpoint: dict[str, dict[str, int]] = {}
        by_status: dict[str, int] = {}
        for record in records:
            status = str(record.status)
            counts = by_endpoint.setdefault(record.endpoint, {})
            counts[status] = counts.get(status, 0) + 1
            by_status[status] = by_status.get(status, 0) + 1
        return {"total": len(records), "by_endpoint": by_endpoint, "by_status": by_status}

    def truth(self, company: int) -> list[dict[str, Any]]:
        with self.data_lock:
            rows = [c.list_json() for c in self.data.company(company).ordered()]
        result: list[dict[str, Any]] = json.loads(b"[" + b",".join(rows) + b"]")
        return result

    def truth_details(self, company: int) -> dict[int, dict[str, Any]]:
        with self.data_lock:
            rows = [(c.id, c.detail_json()) for c in self.data.company(company).ordered()]
        return {cid: json.loads(raw) for cid, raw in rows}

    # -- HTTP --------------------------------------------------------------------------

    def handle(self, handler: _Handler, method: str) -> None:
        length = handler.headers.get("Content-Length")
        if length and length.strip().isdigit() and int(length) > 0:
            handler.rfile.read(int(length))
        path, _, query = handler.path.partition("?")
        path = path.split("#", 1)[0]
        if path == INTROSPECTION_BASE or path.startswith(INTROSPECTION_BASE + "/"):
            if _is_loopback(str(handler.client_address[0])):
                self._introspect(handler, method, path, query)
                return
        elif path == API_BASE or path.startswith(API_BASE + "/"):
            self._api(handler, method, path, query)
            return
        self._write(handler, _not_found(path), method=method)

    def _next_number(self) -> int:
        with self.log_lock:
            self.counter += 1
            return self.counter

    def _mutate(self, number: int) -> None:
        if not self.mutate_every or number % self.mutate_every:
            return
        step = (number // self.mutate_every - 1) % 3
        with self.data_lock:
            if step == 0:
                self.data.touch(_now_us(), count=1)
            elif step == 1:
                self.data.add(_now_us(), count=1)
            else:
                self.data.delete(count=1)

    def _fault_for(self, number: int) -> str | None:
        if number in self.faults_at:
            return self.faults_at[number]
        if self.fault_rate > 0:
            rng = random.Random(f"homele-sandbox:faults:{self.fault_seed}:{number}")  # noqa: S311
            if rng.random() < self.fault_rate:
                return rng.choice(self.fault_kinds)
        return None

    def _api(self, handler: _Handler, method: str, path: str, query: str) -> None:
        at = time.monotonic()
        number = self._next_number()
        self._mutate(number)
        params = parse_qs(query, keep_blank_values=True)
        rel = path[len(API_BASE) :]
        rel = rel.removesuffix("/")
        detail = _DETAIL_RE.fullmatch(rel)
        endpoint = "list" if rel == "/customers" else "detail" if detail else "other"
        token_name: str | None = None
        fault: str | None = None
        headers: list[tuple[str, str]] = []
        if endpoint == "other":
            response = _not_found(path)
        elif method != "GET":
            response = error(
                405,
                f"The {method} method is not supported for route {path.strip('/')}. "
                "Supported methods: GET.",
            )
            headers.append(("Allow", "GET"))
        else:
            bearer = _bearer(handler.headers.get("Authorization"))
            allowed = True
            if self.limiter is not None:
                key = f"token:{bearer}" if bearer else f"ip:{handler.client_address[0]}"
                allowed, headers = self.limiter.hit(key)
            token = self.by_value.get(bearer) if bearer and _TOKEN_RE.fullmatch(bearer) else None
            token_name = token.name if token is not None else None
            if not allowed:
                response = error(429, "Too Many Attempts.")
            elif token is None or token.state != "active":
                response = error(401, "Unauthenticated.")
            elif READ_ABILITY not in token.abilities:
                response = error(403, "This action is unauthorized.")
            else:
                fault = self._fault_for(number)
                response = self._answer(fault, endpoint, token.company, detail, params)
        if self.latency > 0:
            self.stopping.wait(self.latency)
        record = RequestRecord(
            number=number,
            endpoint=endpoint,
            path=path,
            query=query,
            params=params,
            status=0 if fault == "reset" else response.status,
            fault=fault,
            token_name=token_name,
            at=at,
        )
        # logged before answering, so a client that has its answer also sees the record
        with self.log_lock:
            self.log.append(record)
        if fault == "reset":
            _reset(handler)
        else:
            self._write(handler, response, headers, method=method)

    def _answer(  # noqa: PLR0911
        self,
        fault: str | None,
        endpoint: str,
        company: int,
        detail: re.Match[str] | None,
        params: dict[str, list[str]],
    ) -> Response:
        if fault == "error_500":
            return error(500, "Server Error")
        if fault == "html_500":
            return Response(500, HTML_500, HTML)
        if fault == "html_502":
            return Response(502, HTML_502, HTML)
        if fault == "success_false":
            return Response(200, dumps({"success": False, "message": "Temporary failure."}))
        if fault == "reset":
            return Response(0, b"")
        if fault == "slow":
            self.stopping.wait(self.slow_seconds)
        with self.data_lock:
            store = self.data.company(company)
            if endpoint == "list":
                response = list_customers(store, params)
            else:
                assert detail is not None  # noqa: S101
                response = show_customer(store, int(detail.group(1)))
        if fault == "truncated":
            return Response(200, response.body[: len(response.body) // 2])
        return response

    def _introspect(self, handler: _Handler, method: str, path: str, query: str) -> None:
        action = path[len(INTROSPECTION_BASE) :].strip("/")
        params = parse_qs(query, keep_blank_values=True)
        reads = {"stats", "requests", "truth", "tokens"}
        writes = {"touch", "add", "delete"}
        if action not in reads | writes:
            self._write(handler, _not_found(path), method=method)
            return
        wanted = "GET" if action in reads else "POST"
        if method != wanted:
            self._write(handler, error(405, f"Use {wanted}."), [("Allow", wanted)], method=method)
            return
        try:
            payload = self._introspection_payload(action, params)
        except ValueError as exc:
            self._write(handler, error(400, str(exc)), method=method)
            return
        self._write(handler, Response(200, dumps(payload)), method=method)

    def _introspection_payload(  # noqa: C901, PLR0911
        self, action: str, params: dict[str, list[str]]
    ) -> object:
        def number(name: str, default: int | None) -> int | None:
            values = params.get(name)
            if not values or values[-1] == "":
                return default
            try:
                return int(values[-1])
            except ValueError:
                msg = f"{name} must be an integer"
                raise ValueError(msg) from None

        company = number("company", 1) or 1
        if action == "stats":
            return self.stats()
        if action == "requests":
            with self.log_lock:
                return [asdict(r) for r in self.log]
        if action == "tokens":
            return {name: token.value for name, token in self.tokens.items()}
        if action == "truth":
            self.data.company(company)
            details = self.truth_details(company)
            return {
                "customers": self.truth(company),
                "details": {str(k): v for k, v in details.items()},
            }
        ids: list[int] | None = None
        if params.get("ids"):
            try:
                ids = [int(p) for v in params["ids"] for p in v.split(",") if p.strip()]
            except ValueError:
                msg = "ids must be integers"
                raise ValueError(msg) from None
        count = number("count", None)
        with self.data_lock:
            if action == "touch":
                return {"ids": self.data.touch(_now_us(), ids, count, company)}
            if action == "add":
                return {"ids": self.data.add(_now_us(), count or 1, company)}
            return {"ids": self.data.delete(ids, count, company)}

    def _http_date(self) -> str:
        now = int(time.time())
        cached = self._date
        if cached[0] != now:
            cached = (now, formatdate(now, usegmt=True))
            self._date = cached
        return cached[1]

    def _write(
        self,
        handler: _Handler,
        response: Response,
        headers: Iterable[tuple[str, str]] = (),
        *,
        method: str,
    ) -> None:
        status = HTTPStatus(response.status)
        lines = [
            f"HTTP/1.1 {status.value} {status.phrase}",
            f"Date: {self._http_date()}",
            "Server: nginx",
            f"Content-Type: {response.content_type}",
            f"Content-Length: {len(response.body)}",
            "Cache-Control: no-cache, private",
        ]
        lines.extend(f"{name}: {value}" for name, value in (*response.headers, *headers))
        if handler.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        handler.wfile.write(head if method == "HEAD" else head + response.body)


def _not_found(path: str) -> Response:
    return error(404, f"The route {path.strip('/')} could not be found.")


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return rest.strip() or None


def _reset(handler: _Handler) -> None:
    """Drop the connection without a response, with an RST where the OS allows it."""
    handler.close_connection = True
    connection = handler.connection
    with contextlib.suppress(OSError):
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 120.0

    def setup(self) -> None:
        super().setup()
        if not self.server.track(self.connection):
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002, ANN401
        """Silence per-request logging."""

    def _dispatch(self, method: str) -> None:
        try:
            self.server.engine.handle(self, method)
        except OSError:
            raise  # the client went away; handle_error stays quiet about it
        except Exception:  # noqa: BLE001 - a sandbox bug must not kill the connection silently
            traceback.print_exc(file=sys.stderr)
            self.close_connection = True
            body = dumps({"success": False, "message": "Server Error"})
            head = (
                "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            with contextlib.suppress(OSError):
                self.wfile.write(head.encode("latin-1") + body)

    def do_GET(self) -> None:
        """Serve GET."""
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        """Serve HEAD."""
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        """Serve POST."""
        self._dispatch("POST")

    def do_PUT(self) -> None:
        """Serve PUT."""
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        """Serve PATCH."""
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        """Serve DELETE."""
        self._dispatch("DELETE")

    def do_OPTIONS(self) -> None:
        """Serve OPTIONS."""
        self._dispatch("OPTIONS")


class _Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], engine: _Engine) -> None:
        self.engine = engine
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._workers: set[threading.Thread] = set()
        self._closing = False
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would call getfqdn(), a reverse DNS lookup.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:  # noqa: ANN401
        worker = threading.Thread(
            target=self._work, args=(request, client_address), daemon=True, name="homele-sandbox"
        )
        with self._lock:
            if self._closing:
                self.shutdown_request(request)
                return
            self._workers.add(worker)
        worker.start()

    def _work(self, request: Any, client_address: Any) -> None:  # noqa: ANN401
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._lock:
                self._workers.discard(threading.current_thread())

    def track(self, connection: socket.socket) -> bool:
        with self._lock:
            if self._closing:
                return False
            self._connections.add(connection)
            return True

    def untrack(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)

    def close_all(self, timeout: float = 5.0) -> None:
        with self._lock:
            self._closing = True
            connections = list(self._connections)
            workers = list(self._workers)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))

    def handle_error(self, request: Any, client_address: Any) -> None:  # noqa: ANN401
        if isinstance(sys.exc_info()[1], OSError):
            return  # the client went away, or a fault closed the socket
        super().handle_error(request, client_address)


class Sandbox:
    """A local fake of the Homele CRM API (see the module documentation)."""

    def __init__(  # noqa: PLR0913
        self,
        customers: int = 3000,
        *,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: int = 60,
        rate_window: float = 60.0,
        latency: float = 0.0,
        fault_rate: float = 0.0,
        fault_seed: int = 0,
        fault_kinds: Iterable[str] = FAULT_KINDS,
        faults_at: Mapping[int, str] | None = None,
        slow_seconds: float = 5.0,
        mutate_every: int = 0,
        mutation_seed: int = 0,
        order: str = "desc",
        token_file: Path | str | None = None,
    ) -> None:
        """Generate the data set; call :meth:`start` to serve it.

        Args:
            customers: Customers of company 1 (company 2 gets ``max(5, customers // 10)``,
                company 3 none).
            seed: Seed of the data and the tokens.
            host: Interface to bind.
            port: Port to bind, 0 for a free one.
            rate_limit: Requests per window per token; 0 disables limiting.
            rate_window: Window length in seconds.
            latency: Seconds added to every API response.
            fault_rate: Probability per API request of an injected fault.
            fault_seed: Seed of the probabilistic faults.
            fault_kinds: Kinds drawn from when ``fault_rate > 0``.
            faults_at: Exact 1-based API request number -> fault kind (wins over the rate).
            slow_seconds: Sleep of the "slow" fault.
            mutate_every: Every N-th API request mutates company 1 first (0: never).
            mutation_seed: Seed of the mutations' choices.
            order: "desc" (the contract) or "asc" (a server that lists oldest first).
            token_file: Where to write ``{name: token}`` JSON at start.
        """
        self.host = host
        self._requested_port = port
        self.token_file = Path(token_file) if token_file is not None else None
        self._engine = _Engine(
            customers=customers,
            seed=seed,
            rate_limit=rate_limit,
            rate_window=rate_window,
            latency=latency,
            fault_rate=fault_rate,
            fault_seed=fault_seed,
            fault_kinds=fault_kinds,
            faults_at=faults_at,
            slow_seconds=slow_seconds,
            mutate_every=mutate_every,
            mutation_seed=mutation_seed,
            order=order,
        )
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> Self:
        """Bind and serve in a background thread.

        Returns:
            The sandbox itself.

        Raises:
            RuntimeError: When already started.
        """
        if self._server is not None:
            msg = "sandbox already started"
            raise RuntimeError(msg)
        server = _Server((self.host, self._requested_port), self._engine)
        self._engine.stopping.clear()
        self._server = server
        if self.token_file is not None:
            self.token_file.write_text(json.dumps(self.tokens, indent=2) + "\n")
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name="homele-sandbox-server",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close every connection and join every thread (idempotent)."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._engine.stopping.set()
        server.shutdown()
        thread.join()
        server.close_all()
        server.server_close()
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        """Start the sandbox.

        Returns:
            The sandbox itself.
        """
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the sandbox."""
        self.stop()

    # -- addresses and tokens ----------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (the requested one before :meth:`start`)."""
        if self._server is None:
            return self._requested_port
        return self._server.server_port

    @property
    def url(self) -> str:
        """Base URL of the API, e.g. ``http://127.0.0.1:8765/api/v2/crm``.

        Raises:
            RuntimeError: Before :meth:`start`.
        """
        if self._server is None:
            msg = "sandbox not started"
            raise RuntimeError(msg)
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{API_BASE}"

    @property
    def tokens(self) -> dict[str, str]:
        """Token values by name (:data:`TOKEN_NAMES`)."""
        return {name: token.value for name, token in self._engine.tokens.items()}

    # -- observation -------------------------------------------------------------------

    @property
    def request_log(self) -> list[RequestRecord]:
        """A copy of the API request log, in order of completion."""
        with self._engine.log_lock:
            return list(self._engine.log)

    def stats(self) -> dict[str, Any]:
        """Counts of logged API requests by endpoint and status.

        Returns:
            ``{"total": n, "by_endpoint": {...}, "by_status": {...}}`` (statuses as strings).
        """
        return self._engine.stats()

    def reset_log(self) -> None:
        """Clear the request log (request numbers and rate-limit windows go on)."""
        with self._engine.log_lock:
            self._engine.log.clear()

    def set_mutate_every(self, every: int) -> None:
        """Change how often requests mutate company 1 (0 stops the mutations).

        Args:
            every: Every N-th API request mutates; 0 for never.
        """
        if every < 0:
            msg = "mutate_every must be >= 0"
            raise ValueError(msg)
        self._engine.mutate_every = every

    def truth(self, company: int = 1) -> list[dict[str, Any]]:
        """All list items of a company, exactly as the list endpoint serializes them.

        Args:
            company: Company id.

        Returns:
            The items in API order.
        """
        return self._engine.truth(company)

    def truth_details(self, company: int = 1) -> dict[int, dict[str, Any]]:
        """All customer details of a company, exactly as ``GET /customers/{id}`` returns them.

        Args:
            company: Company id.

        Returns:
            Details by customer id.
        """
        return self._engine.truth_details(company)

    # -- mutations ---------------------------------------------------------------------

    def touch(
        self, ids: Iterable[int] | None = None, count: int | None = None, company: int = 1
    ) -> list[int]:
        """Record new activity now: new lead status, history entry, moved to the front.

        Args:
            ids: Customers to touch, or None for ``count`` random ones (default 1).
            count: How many random customers.
            company: Company id.

        Returns:
            The touched ids.
        """
        with self._engine.data_lock:
            return self._engine.data.touch(_now_us(), ids, count, company)

    def add(self, count: int = 1, company: int = 1) -> list[int]:
        """Create customers now (first in the list).

        Args:
            count: How many.
            company: Company id.

        Returns:
            The new ids.
        """
        with self._engine.data_lock:
            return self._engine.data.add(_now_us(), count, company)

    def delete(
        self, ids: Iterable[int] | None = None, count: int | None = None, company: int = 1
    ) -> list[int]:
        """Delete customers: gone from the list, detail 404.

        Args:
            ids: Customers to delete, or None for ``count`` random ones (default 1).
            count: How many random customers.
            company: Company id.

        Returns:
            The deleted ids.
        """
        with self._engine.data_lock:
            return self._engine.data.delete(ids, count, company)
