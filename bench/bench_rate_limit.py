"""The tap against Homele's real limit: 60 requests per 60 s, fixed window, per token.

Two syncs run side by side in one run, each against its own sandbox with the real limiter:
a fast server, and a server answering every request 1.5 s late. Each prints its requests,
429s (share of requests) and the achieved rate (requests per minute between its first and
last request; for the slow server, of the detail requests alone). Usage::

    python bench/bench_rate_limit.py [--customers 200]

200 customers cost 202 requests: a little over three minutes at 60 per minute.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from tap_homele.sandbox import Sandbox

TAP = str(Path(sys.executable).parent / "tap-homele")


def sync(sandbox: Sandbox, workdir: Path, results: dict[str, float], name: str) -> None:
    config = workdir / f"{name}.json"
    config.write_text(
        json.dumps(
            {"api_url": sandbox.url, "api_token": sandbox.tokens["full"], "requests_per_minute": 60}
        )
    )
    completed = subprocess.run(
        [TAP, "--config", str(config)], capture_output=True, text=True, check=False
    )
    log = sandbox.request_log
    details = [r.at for r in log if r.endpoint == "detail" and r.status == 200]
    everything = [r.at for r in log]
    throttled = sum(1 for r in log if r.status == 429)
    results.update(
        {
            f"{name}.exit": completed.returncode,
            f"{name}.requests": len(log),
            f"{name}.429": throttled,
            f"{name}.rate": 60 * (len(everything) - 1) / (max(everything) - min(everything)),
            f"{name}.detail_rate": 60 * (len(details) - 1) / (max(details) - min(details)),
        }
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=200)
    args = parser.parse_args()
    results: dict[str, float] = {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        Sandbox(customers=args.customers, seed=1, rate_limit=60, rate_window=60.0) as fast,
        Sandbox(
            customers=args.customers, seed=2, rate_limit=60, rate_window=60.0, latency=1.5
        ) as slow,
    ):
        runs = [
            threading.Thread(target=sync, args=(fast, Path(tmp), results, "fast")),
            threading.Thread(target=sync, args=(slow, Path(tmp), results, "slow")),
        ]
        for run in runs:
            run.start()
        for run in runs:
            run.join()
    for name, label in (("fast", "no latency"), ("slow", "1.5 s latency")):
        requests = results[f"{name}.requests"]
        print(
            f"{label:>13}: exit {results[f'{name}.exit']:.0f}, {requests:.0f} requests, "
            f"{results[f'{name}.429']:.0f} x 429 ({100 * results[f'{name}.429'] / requests:.1f}%), "
            f"achieved {results[f'{name}.rate']:.1f}/min of 60 "
            f"({100 * results[f'{name}.rate'] / 60:.1f}%), "
            f"details {results[f'{name}.detail_rate']:.1f}/min "
            f"({100 * results[f'{name}.detail_rate'] / 60:.1f}%)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
