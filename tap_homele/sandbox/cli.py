# Copyright 2026 tap-homele developers. SPDX-License-Identifier: Apache-2.0
"""Command line of ``homele-sandbox``."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from tap_homele.sandbox.server import FAULT_KINDS, Sandbox

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import FrameType


def _kinds(text: str) -> tuple[str, ...]:
    kinds = tuple(k.strip() for k in text.split(",") if k.strip())
    unknown = [k for k in kinds if k not in FAULT_KINDS]
    if unknown:
        msg = f"unknown fault kinds {unknown}; choose from {','.join(FAULT_KINDS)}"
        raise argparse.ArgumentTypeError(msg)
    return kinds


def _faults_at(text: str) -> dict[int, str]:
    faults: dict[int, str] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        number, _, kind = item.partition(":")
        if not number.strip().isdigit() or kind.strip() not in FAULT_KINDS:
            msg = f"expected NUMBER:KIND pairs with KIND in {','.join(FAULT_KINDS)}, got {item!r}"
            raise argparse.ArgumentTypeError(msg)
        faults[int(number)] = kind.strip()
    return faults


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser.

    Returns:
        The parser.
    """
    parser = argparse.ArgumentParser(
        prog="homele-sandbox", description="Serve a local fake of the Homele CRM API."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rate-limit", type=int, default=60, help="0 disables limiting")
    parser.add_argument("--rate-window", type=float, default=60.0, help="seconds")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per response")
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--fault-seed", type=int, default=0)
    parser.add_argument(
        "--fault-kinds", type=_kinds, default=FAULT_KINDS, help=",".join(FAULT_KINDS)
    )
    parser.add_argument(
        "--faults-at",
        type=_faults_at,
        default=None,
        help="exact API request numbers, e.g. 3:reset,7:html_502",
    )
    parser.add_argument("--slow-seconds", type=float, default=5.0)
    parser.add_argument("--mutate-every", type=int, default=0)
    parser.add_argument("--mutation-seed", type=int, default=0)
    parser.add_argument("--order", choices=("desc", "asc"), default="desc")
    parser.add_argument("--token-file", type=Path, default=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGINT or SIGTERM.

    Args:
        argv: Arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit status.
    """
    args = build_parser().parse_args(argv)
    sandbox = Sandbox(
        customers=args.customers,
        seed=args.seed,
        host=args.host,
        port=args.port,
        rate_limit=args.rate_limit,
        rate_window=args.rate_window,
        latency=args.latency,
        fault_rate=args.fault_rate,
        fault_seed=args.fault_seed,
        fault_kinds=args.fault_kinds,
        faults_at=args.faults_at,
        slow_seconds=args.slow_seconds,
        mutate_every=args.mutate_every,
        mutation_seed=args.mutation_seed,
        order=args.order,
        token_file=args.token_file,
    )
    done = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001
        done.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    sandbox.start()
    try:
        lines = [f"url {sandbox.url}"]
        lines += [f"token {name} {value}" for name, value in sandbox.tokens.items()]
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()
        while not done.wait(0.5):
            pass
    finally:
        sandbox.stop()
    return 0
