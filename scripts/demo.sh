#!/usr/bin/env bash
# The README's demo, from a fresh clone with nothing but python3: a local Homele sandbox
# synced into DuckDB the way users run the tap, `meltano run tap-homele target-duckdb`, then
# a summary of what landed. Re-runnable; everything it writes stays in this checkout
# (.tools/, .venv/, .meltano/, .demo/). DEMO_CUSTOMERS=N changes the sandbox's size.
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"

customers="${DEMO_CUSTOMERS:-2000}"
demo="$PWD/.demo"
mkdir -p "$demo"
log="$demo/meltano.log"
: >"$log"

step() { printf '\n==> %s\n' "$*"; }
fail() {
    printf 'demo failed: %s\n' "$*" >&2
    [ -s "$log" ] && { printf -- '--- last lines of %s ---\n' "$log" >&2; tail -n 30 "$log" >&2; }
    exit 1
}

step "Installing the tap and the sandbox (.venv) and Meltano (.tools/meltano)"
# --inexact keeps the test and lint tools that scripts/test.sh may have put in .venv.
"$UV" sync --locked --quiet --inexact --no-default-groups
source scripts/meltano.sh

step "Installing the Meltano plugins of meltano.yml (.meltano/)"
"$MELTANO" install >>"$log" 2>&1 || fail "meltano install"

step "Starting homele-sandbox with $customers customers (rate limit off)"
work="$(mktemp -d)"
sandbox_pid=""
cleanup() {
    if [ -n "$sandbox_pid" ] && kill -0 "$sandbox_pid" 2>/dev/null; then
        kill -TERM "$sandbox_pid" 2>/dev/null || true
        wait "$sandbox_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
.venv/bin/homele-sandbox --port 0 --customers "$customers" --seed 1 --rate-limit 0 \
    --token-file "$work/tokens.json" >"$work/sandbox.out" 2>"$work/sandbox.err" &
sandbox_pid=$!
for _ in $(seq 300); do
    grep -q '^url ' "$work/sandbox.out" 2>/dev/null && break
    kill -0 "$sandbox_pid" 2>/dev/null || fail "homele-sandbox exited: $(cat "$work/sandbox.err")"
    sleep 0.1
done
url="$(awk '$1 == "url" { print $2 }' "$work/sandbox.out")"
[ -n "$url" ] || fail "homele-sandbox printed no url"
echo "    $url"

# The tap's settings, as Meltano reads them from the environment. The sandbox does not
# throttle, so neither does the tap; against Homele keep requests_per_minute at 60.
TAP_HOMELE_API_URL="$url"
TAP_HOMELE_API_TOKEN="$(.venv/bin/python -c 'import json, sys; print(json.load(open(sys.argv[1]))["full"])' "$work/tokens.json")"
TAP_HOMELE_REQUESTS_PER_MINUTE=600000
TARGET_DUCKDB_FILEPATH="$demo/warehouse.duckdb"
export TAP_HOMELE_API_URL TAP_HOMELE_API_TOKEN TAP_HOMELE_REQUESTS_PER_MINUTE TARGET_DUCKDB_FILEPATH
rm -f "$TARGET_DUCKDB_FILEPATH" "$TARGET_DUCKDB_FILEPATH.wal"

step "meltano --environment=sandbox run --full-refresh tap-homele target-duckdb"
started=$SECONDS
"$MELTANO" --environment=sandbox run --full-refresh tap-homele target-duckdb >>"$log" 2>&1 \
    || fail "meltano run"
grep -o 'Sync summary: .*' "$log" | tail -n 1 | sed 's/^/    /'
echo "    done in $((SECONDS - started)) s; full log in ${log#"$PWD"/}"

kill -TERM "$sandbox_pid" && wait "$sandbox_pid" 2>/dev/null || true
sandbox_pid=""

step "What landed in ${TARGET_DUCKDB_FILEPATH#"$PWD"/}"
# target-duckdb's own venv has the duckdb it is pinned to (1.2.2).
.meltano/loaders/target-duckdb/venv/bin/python scripts/warehouse_summary.py "$TARGET_DUCKDB_FILEPATH"
