# Copyright 2026 tap-homele developers. SPDX-License-Identifier: Apache-2.0
"""Run the sandbox: ``python -m tap_homele.sandbox``."""

from __future__ import annotations

import sys

from tap_homele.sandbox.cli import main

if __name__ == "__main__":
    sys.exit(main())
