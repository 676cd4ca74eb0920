"""Throughput of homele-sandbox: list pages of 100 from one keep-alive client.

The sandbox runs as a subprocess pinned to one core (CPU 0); this client runs on another
core when there is one. Usage::

    python bench/bench_sandbox.py [--customers 200000] [--seconds 10] [--per-page 100]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent


def start_server(customers: int) -> tuple[subprocess.Popen[str], str, str, float]:
    command = [
        sys.executable,
        "-m",
        "tap_homele.sandbox",
        "--port",
        "0",
        "--rate-limit",
        "0",
        "--customers",
        str(customers),
    ]
    pinned = hasattr(os, "sched_setaffinity") and os.cpu_count() is not None
    if pinned and shutil.which("taskset"):
        command = ["taskset", "-c", "0", *command]
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    if proc.stdout is None:
        msg = "no stdout"
        raise RuntimeError(msg)
    url = proc.stdout.readline().split()[1]
    token = ""
    for line in iter(proc.stdout.readline, ""):
        _, name, value = line.split()
        if name == "full":
            token = value
        if name == "expired":
            break
    return proc, url, token, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--per-page", type=int, default=100)
    args = parser.parse_args()

    proc, url, token, startup = start_server(args.customers)
    cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    if len(cpus) > 1:
        os.sched_setaffinity(0, cpus - {0})  # keep the client off the server's core
    try:
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {token}"
            params: dict[str, str | int] = {"per_page": args.per_page}
            pages = rows = walks = 0
            cold_pages = 0
            cold_seconds = 0.0
            started = time.perf_counter()
            deadline = started + args.seconds
            while time.perf_counter() < deadline:
                response = session.get(f"{url}/customers", params=params, timeout=30)
                response.raise_for_status()
                body = response.json()
                pages += 1
                rows += len(body["data"])
                cursor = body["meta"]["next_cursor"]
                if cursor is None:
                    walks += 1
                    if walks == 1:
                        cold_pages, cold_seconds = pages, time.perf_counter() - started
                    params = {"per_page": args.per_page}
                else:
                    params = {"per_page": args.per_page, "cursor": cursor}
            elapsed = time.perf_counter() - started
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()

    print(f"customers            {args.customers} (company 1)")
    print(f"server start-up      {startup:.2f} s (generation included)")
    print(f"server pinned        {'CPU 0 via taskset' if shutil.which('taskset') else 'no'}")
    print(f"duration             {elapsed:.1f} s, {walks} complete walks")
    print(f"pages                {pages} of {args.per_page}")
    print(f"pages/minute         {pages / elapsed * 60:,.0f}")
    print(f"pages/second         {pages / elapsed:,.0f}")
    print(f"customers/second     {rows / elapsed:,.0f}")
    if cold_pages:
        print(f"first (cold) walk    {cold_pages / cold_seconds * 60:,.0f} pages/minute")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
