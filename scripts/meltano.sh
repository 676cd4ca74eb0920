# Sourced after bootstrap.sh: Meltano in its own venv, .tools/meltano, installed from the
# hash-pinned scripts/meltano/requirements.txt. It gets a venv of its own because its
# dependencies would move the tap's locked ones (uv.lock); Meltano then builds one venv per
# plugin under .meltano/ (the tap's is an editable install of this checkout).
MELTANO_VENV="$PWD/.tools/meltano"
if [ ! -x "$MELTANO_VENV/bin/python" ]; then
    "$UV" venv --quiet "$MELTANO_VENV"
fi
"$UV" pip sync --quiet --require-hashes --python "$MELTANO_VENV/bin/python" \
    scripts/meltano/requirements.txt
MELTANO="$MELTANO_VENV/bin/meltano"
export MELTANO
export MELTANO_CLI_DISABLE_VERSION_CHECK=true
export MELTANO_SEND_ANONYMOUS_USAGE_STATS=false
