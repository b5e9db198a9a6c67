#!/usr/bin/env bash
# Set up qmsgap's Python environment from nothing, offline but for the package registries.
#
#   scripts/setup.sh          create .venv, install torch==2.13.0 (CPU) first, then qmsgap[dev]
#
# Idempotent: a second run compares a fingerprint of pyproject.toml and the package file list
# with the one recorded after the last successful install, and does nothing when they match.
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

# What the installed environment depends on: the project metadata, and (because the editable
# install links files one by one) the list of files in the package folders.
fingerprint() {
    {
        "$VENV/bin/python" -c 'import sys; print(sys.version)'
        cat pyproject.toml
        find core ingest mapping clauses service frontend eval -type f \
             -not -path '*/__pycache__/*' -not -path 'eval/results/*' 2>/dev/null | LC_ALL=C sort
    } | sha256sum | cut -d' ' -f1
}

PY=$(find_python) || fail "Python 3.11 is required (set PYTHON=/path/to/python3.11)."

if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV with $PY"
    "$PY" -m venv "$VENV" || fail "could not create the virtual environment (is python3-venv installed?)"
fi

PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)

if ! "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(not m.version('torch').startswith('$TORCH_VERSION'))" 2>/dev/null; then
    say "installing torch==$TORCH_VERSION (CPU build) before anything else"
    "${PIP[@]}" install --quiet "torch==$TORCH_VERSION" \
        || fail "pip could not install torch==$TORCH_VERSION; the CPU wheel must be reachable via pip's find-links"
fi

want=$(fingerprint)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
    say "environment up to date ($VENV)"
    exit 0
fi

say "installing qmsgap with its dev extras (editable)"
"${PIP[@]}" install --quiet -e ".[dev]" --config-settings editable_mode=strict \
    || fail "pip could not install qmsgap[dev]; see the pip output above"

"$VENV/bin/python" -c "import importlib.metadata as m, sys; v=m.version('torch'); sys.exit(0 if v.startswith('$TORCH_VERSION') else f'torch changed to {v}')" \
    || fail "a dependency replaced torch $TORCH_VERSION; pin it in pyproject.toml"

"$VENV/bin/qmsgap" --version >/dev/null || fail "the qmsgap command does not start"
fingerprint > "$STAMP"
say "ready: $("$VENV/bin/qmsgap" --version)"
