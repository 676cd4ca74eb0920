# Copyright 2026 tap-homele developers. SPDX-License-Identifier: Apache-2.0
"""homele-sandbox: a faithful local fake of the Homele CRM REST API.

Written from the API contract only (standard library, no code shared with the tap)::

    from tap_homele.sandbox import Sandbox

    with Sandbox(customers=3000, seed=0) as sb:
        auth = {"Authorization": f"Bearer {sb.tokens['full']}"}
        requests.get(f"{sb.url}/customers", headers=auth, timeout=10)

Decisions the contract leaves open, in one place:

- Order of checks per API request: number it (1-based, never reset) and apply any
  ``mutate_every`` mutation; route (unknown path 404, non-GET 405: neither is throttled);
  rate limit (keyed by the bearer string, else the client IP); auth (401, then 403); fault
  (``faults_at`` first, else ``fault_rate`` drawn from ``(fault_seed, request number)``);
  validation (422, then 400 for a malformed cursor); the answer. ``latency`` delays every
  API response. A request is logged before its answer is written.
- Faults only hit requests that passed the limiter and auth; a ``faults_at`` number that
  lands on any other request is not carried over.
- ``rate_limit=0`` sends no ``X-RateLimit-*`` headers at all.
- Backward pages (a ``prev_cursor``) always carry a ``next_cursor`` and ``has_more: true``.
- ``touch``/``add`` stamp "now", bumped to just after the newest ``last_activity_at`` so the
  row is always first, even with a clock behind the generated data (reference 2026-11-01).
- Equal ``last_activity_at`` instants exist on purpose, often rendered differently
  (``...10:11:12Z`` and ``...13:11:12+03:00``): compare instants, never strings.
"""

from __future__ import annotations

from tap_homele.sandbox.server import FAULT_KINDS, TOKEN_NAMES, RequestRecord, Sandbox

__all__ = ["FAULT_KINDS", "TOKEN_NAMES", "RequestRecord", "Sandbox"]
