# Sourced by the other scripts: puts uv (fast, lock-file installs) in .tools/ using only
# python3 and pip, so a fresh machine needs nothing else.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .tools/bin/uv ]; then
    "$PYTHON" -m venv .tools
    .tools/bin/python -m pip install --quiet --disable-pip-version-check "uv>=0.8"
fi
UV="$PWD/.tools/bin/uv"
# This machine sets PYTHONDONTWRITEBYTECODE: without compiled bytecode every tap run would
# recompile the SDK (~0.4 s of start-up).
export UV_COMPILE_BYTECODE=1
export UV_PYTHON="${UV_PYTHON:-$("$PYTHON" -c 'import sys; print(sys.executable)')}"
