#!/usr/bin/env bash
# Install everything the tests need (from uv.lock) and run the whole test suite.
# Extra arguments go to pytest, e.g. scripts/test.sh -k sandbox
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
"$UV" sync --locked --quiet --all-groups
exec .venv/bin/python -m pytest "$@"
