#!/usr/bin/env bash
# Installs what the bovine interoperability test (tests/interop_bovine.rs) needs, with nothing but
# PyPI: a Python 3 virtual environment in .venv/ (git-ignored) holding bovine and its dependencies at
# the exact versions of requirements.txt. Needs python3 (3.11 or later: bovine 0.5 asks for it) with
# its venv module. Safe to run again: it does nothing when .venv already holds these versions.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
if ! command -v "$PYTHON" >/dev/null; then
  echo "install.sh: $PYTHON is missing (apt-get install python3 python3-venv)" >&2
  exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "install.sh: bovine needs Python 3.11 or later; $PYTHON is $("$PYTHON" --version 2>&1)" >&2
  exit 1
fi

stamp=.venv/requirements.installed
if [[ -x .venv/bin/python ]] && cmp -s requirements.txt "$stamp"; then
  echo "bovine already installed: $(.venv/bin/python -c "from importlib.metadata import version; print(version('bovine'))")"
  exit 0
fi

if [[ ! -x .venv/bin/python ]]; then
  echo "creating a virtual environment in $(pwd)/.venv"
  if ! "$PYTHON" -m venv .venv; then
    rm -rf .venv
    echo "install.sh: \`$PYTHON -m venv\` failed (on Debian: apt-get install python3-venv)" >&2
    exit 1
  fi
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-input -r requirements.txt
cp requirements.txt "$stamp"
echo "bovine installed: $(.venv/bin/python -c "from importlib.metadata import version; print(version('bovine'))") ($(.venv/bin/python --version))"
