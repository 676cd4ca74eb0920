#!/usr/bin/env bash
# Install everything the tests need (the tap's tools from uv.lock into .venv, Meltano from
# scripts/meltano/requirements.txt into .tools/meltano; the end-to-end tests install the
# Meltano plugins) and run the whole test suite.
# Extra arguments go to pytest, e.g. scripts/test.sh -k sandbox, or scripts/test.sh -m e2e
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
"$UV" sync --locked --quiet --all-groups
source scripts/meltano.sh
exec .venv/bin/python -m pytest "$@"
