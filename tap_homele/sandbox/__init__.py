# Copyright 2026 tap-homele developers. SPDX-License-Identifier: Apache-2.0
"""homele-sandbox: a faithful local fake of the Homele CRM REST API.

Written from the API contract only (standard library, no code shared with the tap)::

    from tap_homele.sandbox import Sandbox

    with Sandbox(customers=3000, seed=0) as sb:
        auth = {"Authorization": f"Bearer {sb.tokens['full']}"}
        requests.get(f"{sb.url}/customers", headers=auth, timeout=10)
"""

from __future__ import annotations

from tap_homele.sandbox.server import FAULT_KINDS, TOKEN_NAMES, RequestRecord, Sandbox

__all__ = ["FAULT_KINDS", "TOKEN_NAMES", "RequestRecord", "Sandbox"]
