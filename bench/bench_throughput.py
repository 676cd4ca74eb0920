"""Throughput when the API is not the bottleneck: the tap against the bare-loop floor.

Starts an unthrottled sandbox (page 100, no latency) and times whole processes, side by
side in one run, median of ``--runs``:

(a) ``tap-homele`` syncing ``customers`` of 50,000 customers to /dev/null, and the floor
    (``bench/floor.py``) doing the same; records/s, the ratio tap/floor and peak RSS;
(c) all three streams for 5,000 customers, tap and floor; seconds per request and ratio;
(m) peak RSS of the tap syncing ``customers`` of 20,000 and of 200,000 customers.

Usage::

    python bench/bench_throughput.py [--runs 3] [--skip-memory]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import typing as t
from dataclasses import dataclass
from pathlib import Path

from bench_sandbox import start_server

if t.TYPE_CHECKING:
    from collections.abc import Iterator

HERE = Path(__file__).resolve().parent
TAP = str(Path(sys.executable).parent / "tap-homele")


@dataclass
class Server:
    """A sandbox in a process of its own, so the processes we measure do not inherit its RSS."""

    url: str
    token: str


@contextlib.contextmanager
def sandbox(customers: int) -> Iterator[Server]:
    process, url, token, _ = start_server(customers)
    try:
        yield Server(url, token)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def timed(command: list[str]) -> tuple[float, float]:
    """Run ``command`` with stdout to /dev/null; return (seconds, peak RSS in MiB)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        msg = f"{command[0]} exited {process.returncode}"
        raise RuntimeError(msg)
    return elapsed, usage.ru_maxrss / 1024


def tap_command(server: Server, workdir: Path, *, streams: set[str]) -> list[str]:
    config = workdir / "config.json"
    config.write_text(
        json.dumps(
            {
                "api_url": server.url,
                "api_token": server.token,
                "requests_per_minute": 10_000_000,
            }
        )
    )
    discovered = subprocess.run(
        [TAP, "--config", str(config), "--discover"], capture_output=True, check=True
    ).stdout
    catalog = json.loads(discovered)
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
    catalog_file = workdir / f"catalog-{len(streams)}.json"
    catalog_file.write_text(json.dumps(catalog))
    return [TAP, "--config", str(config), "--catalog", str(catalog_file)]


def floor_command(server: Server, *, details: bool) -> list[str]:
    command = [sys.executable, str(HERE / "floor.py"), server.url, server.token]
    return [*command, "--details"] if details else command


def compare(  # noqa: PLR0913
    label: str, *, runs: int, tap: list[str], floor: list[str], units: int, unit: str
) -> None:
    # Interleave tap and floor runs so that machine noise hits both alike.
    tap_times, floor_times, tap_rss, floor_rss = [], [], 0.0, 0.0
    for _ in range(runs):
        seconds, rss = timed(tap)
        tap_times.append(seconds)
        tap_rss = max(tap_rss, rss)
        seconds, rss = timed(floor)
        floor_times.append(seconds)
        floor_rss = max(floor_rss, rss)
    tap_s, floor_s = statistics.median(tap_times), statistics.median(floor_times)
    print(
        f"{label}: tap {units / tap_s:,.0f} {unit}/s ({tap_s:.2f} s, {tap_rss:.0f} MiB), "
        f"floor {units / floor_s:,.0f} {unit}/s ({floor_s:.2f} s, {floor_rss:.0f} MiB), "
        f"tap/floor {floor_s / tap_s:.2f}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        with sandbox(50_000) as server:
            timed(floor_command(server, details=False))  # warm the server's page cache
            compare(
                "(a) customers, 50,000",
                runs=args.runs,
                tap=tap_command(server, workdir, streams={"customers"}),
                floor=floor_command(server, details=False),
                units=50_000,
                unit="records",
            )
        with sandbox(5_000) as server:
            timed(floor_command(server, details=True))
            compare(
                "(c) all streams, 5,000 customers (5,050 requests)",
                runs=args.runs,
                tap=tap_command(
                    server,
                    workdir,
                    streams={"customers", "customer_details", "lead_status_history"},
                ),
                floor=floor_command(server, details=True),
                units=5_050,
                unit="requests",
            )
        if not args.skip_memory:
            for customers in (20_000, 200_000):
                with sandbox(customers) as server:
                    command = tap_command(server, workdir, streams={"customers"})
                    seconds, rss = timed(command)
                    print(
                        f"(m) customers, {customers:,}: peak RSS {rss:.0f} MiB "
                        f"({customers / seconds:,.0f} records/s)",
                        flush=True,
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
