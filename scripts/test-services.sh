#!/usr/bin/env bash
# Start the servers the tests need, run a command with them, stop them afterwards.
#
#   scripts/test-services.sh .venv/bin/pytest -q      run pytest against a throwaway PostgreSQL
#   scripts/test-services.sh                          start, print the URL, wait for Ctrl-C
#
# PostgreSQL: installed from Debian (apt-get install postgresql) when no server binaries are
# found and we are root; then a throwaway cluster is created in a temporary directory
# (initdb, trust authentication, loopback only, a free port, no fsync) and started.
# QMSGAP_TEST_DATABASE_URL names its admin database for the command; the service tests create
# one database per test in it. When QMSGAP_TEST_DATABASE_URL is already set, that server is
# used and nothing is started. The cluster and its directory are removed on exit.
#
# Chromium (the browser tests in tests/frontend drive it through Playwright): Debian's
# `chromium` is installed (apt-get install chromium) when /usr/bin/chromium (or
# $QMSGAP_CHROMIUM) is missing and we are root. Without it the browser tests FAIL, unless
# QMSGAP_TEST_SKIP_BROWSER=1 says to skip them.
set -euo pipefail

say()  { printf '\033[1m[test-services]\033[0m %s\n' "$*" >&2; }
fail() { printf '\033[31m[test-services] FAILED:\033[0m %s\n' "$*" >&2; exit 1; }

ensure_chromium() {
    local chromium="${QMSGAP_CHROMIUM:-/usr/bin/chromium}"
    [ -x "$chromium" ] && return 0
    if [ "${QMSGAP_TEST_SKIP_BROWSER:-}" = "1" ]; then
        say "no chromium at $chromium: the browser tests are skipped (QMSGAP_TEST_SKIP_BROWSER=1)"
        return 0
    fi
    [ "$(id -u)" -eq 0 ] || fail "chromium is missing; as root run: apt-get install -y chromium (or set QMSGAP_TEST_SKIP_BROWSER=1 to skip the browser tests)"
    say "installing chromium from Debian (apt-get install chromium) for the browser tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || fail "apt-get update failed"
    apt-get install -y -qq --no-install-recommends chromium >/dev/null \
        || fail "apt-get install chromium failed"
    [ -x "$chromium" ] || fail "chromium was installed but $chromium is not there"
}
ensure_chromium

if [ -n "${QMSGAP_TEST_DATABASE_URL:-}" ]; then
    say "using the PostgreSQL named by QMSGAP_TEST_DATABASE_URL"
    if [ "$#" -gt 0 ]; then exec "$@"; fi
    exit 0
fi

find_pg_bin() {
    local candidate
    if command -v pg_config >/dev/null 2>&1; then
        candidate=$(pg_config --bindir 2>/dev/null || true)
        if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then echo "$candidate"; return 0; fi
    fi
    for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then echo "$candidate"; return 0; fi
    done
    return 1
}

PG_BIN=$(find_pg_bin || true)
if [ -z "$PG_BIN" ]; then
    [ "$(id -u)" -eq 0 ] || fail "PostgreSQL is not installed; as root run: apt-get install -y postgresql"
    say "installing PostgreSQL from Debian (apt-get install postgresql)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || fail "apt-get update failed"
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null \
        || fail "apt-get install postgresql failed"
    PG_BIN=$(find_pg_bin) || fail "PostgreSQL was installed but initdb/pg_ctl were not found"
fi

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
WORK=$(mktemp -d "${TMPDIR:-/tmp}/qmsgap-pg.XXXXXX")
RUN=()
if [ "$(id -u)" -eq 0 ]; then
    # initdb refuses to run as root: the cluster belongs to the postgres system user
    id postgres >/dev/null 2>&1 || fail "the 'postgres' system user is missing (reinstall postgresql)"
    chown postgres "$WORK"
    RUN=(runuser -u postgres --)
fi

SLEEPER=""
stop() {
    if [ -n "$SLEEPER" ]; then kill "$SLEEPER" 2>/dev/null || true; fi
    "${RUN[@]}" "$PG_BIN/pg_ctl" -D "$WORK/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap stop EXIT
trap 'exit 130' INT TERM

"${RUN[@]}" "$PG_BIN/initdb" -D "$WORK/data" -U postgres -A trust -E UTF8 --no-sync >"$WORK/initdb.log" 2>&1 \
    || { cat "$WORK/initdb.log" >&2; fail "initdb failed"; }
"${RUN[@]}" "$PG_BIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w -t 60 \
    -o "-p $PORT -k $WORK -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || { cat "$WORK/server.log" >&2; fail "PostgreSQL did not start"; }

export QMSGAP_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
say "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (QMSGAP_TEST_DATABASE_URL)"

if [ "$#" -gt 0 ]; then
    "$@"
else
    say "press Ctrl-C to stop"
    while true; do sleep 3600 & SLEEPER=$!; wait "$SLEEPER"; done
fi
