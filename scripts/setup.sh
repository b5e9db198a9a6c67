#!/usr/bin/env bash
# Set up qmsgap's Python environment from nothing, offline but for the package registries.
#
#   scripts/setup.sh          create .venv, install torch==2.13.0 (CPU) first, then qmsgap[dev]
#
# Idempotent: a second run compares fingerprints of pyproject.toml and of the package file list
# with those recorded after the last successful install, and does nothing when they match.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV="$ROOT/.venv"
STAMP="$VENV/.qmsgap-setup"
TORCH_VERSION="2.13.0"

say()  { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
fail() { printf '\033[31m[setup] FAILED:\033[0m %s\n' "$*" >&2; exit 1; }

find_python() {
    for candidate in "${PYTHON:-}" python3.11 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
           "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            command -v "$candidate"; return 0
        fi
    done
    return 1
}

# Two fingerprints decide what a run must do: the dependencies (Python, pyproject.toml) need a
# full install; the package file list only needs the editable install's file links renewed.
deps_fingerprint() {
    { "$VENV/bin/python" -c 'import sys; print(sys.version)'; cat pyproject.toml; } \
        | sha256sum | cut -d' ' -f1
}
files_fingerprint() {
    find core ingest mapping clauses service frontend eval -type f \
         -not -path '*/__pycache__/*' -not -path 'eval/results/*' 2>/dev/null \
        | LC_ALL=C sort | sha256sum | cut -d' ' -f1
}

# pip prints a warning for every package missing from the partial local mirror; hide only those.
quiet_pip() { "$VENV/bin/python" -m pip --disable-pip-version-check "$@" \
    2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2); }

PY=$(find_python) || fail "Python 3.11 is required (set PYTHON=/path/to/python3.11)."

if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV with $PY"
    "$PY" -m venv "$VENV" || fail "could not create the virtual environment (is python3-venv installed?)"
fi

# Two set-ups started at once (two terminals, parallel make) must not install concurrently.
exec 9>"$VENV/.setup.lock"
flock 9

if ! "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(not m.version('torch').startswith('$TORCH_VERSION'))" 2>/dev/null; then
    say "installing torch==$TORCH_VERSION (CPU build) before anything else"
    quiet_pip install --quiet "torch==$TORCH_VERSION" \
        || fail "pip could not install torch==$TORCH_VERSION; the CPU wheel must be reachable via pip's find-links"
fi

want_deps=$(deps_fingerprint)
want_files=$(files_fingerprint)
have_deps=$(sed -n 1p "$STAMP" 2>/dev/null || true)
have_files=$(sed -n 2p "$STAMP" 2>/dev/null || true)

if [ "$have_deps" != "$want_deps" ]; then
    say "installing qmsgap with its dev extras (editable)"
    quiet_pip install --quiet "setuptools>=75" wheel \
        || fail "pip could not install setuptools and wheel"
    quiet_pip install --quiet -e ".[dev]" --config-settings editable_mode=strict \
        || fail "pip could not install qmsgap[dev]; see the pip output above"
    "$VENV/bin/python" -c "import importlib.metadata as m, sys; v=m.version('torch'); sys.exit(0 if v.startswith('$TORCH_VERSION') else f'torch changed to {v}')" \
        || fail "a dependency replaced torch $TORCH_VERSION; pin it in pyproject.toml"
elif [ "$have_files" != "$want_files" ]; then
    say "package files were added or removed: renewing the editable install's links"
    quiet_pip install --quiet --no-deps --no-build-isolation -e . --config-settings editable_mode=strict \
        || fail "pip could not renew the editable install"
else
    say "environment up to date ($VENV)"
    exit 0
fi

"$VENV/bin/qmsgap" --version >/dev/null || fail "the qmsgap command does not start"
printf '%s\n%s\n' "$want_deps" "$want_files" > "$STAMP"
say "ready: $("$VENV/bin/qmsgap" --version)"
