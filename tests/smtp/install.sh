#!/usr/bin/env bash
# Installs what the email tests (tests/exchanges_email.rs) need, with nothing but PyPI: a real SMTP
# server, aiosmtpd, in a Python 3 virtual environment in .venv/ (git-ignored), at the exact
# versions of requirements.txt. Needs python3 (3.10 or later) with its venv module. Safe to run
# again: it does nothing when .venv already holds these versions.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
if ! command -v "$PYTHON" >/dev/null; then
  echo "install.sh: $PYTHON is missing (apt-get install python3 python3-venv)" >&2
  exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
  echo "install.sh: aiosmtpd needs Python 3.10 or later; $PYTHON is $("$PYTHON" --version 2>&1)" >&2
  exit 1
fi

stamp=.venv/requirements.installed
if [[ -x .venv/bin/python ]] && cmp -s requirements.txt "$stamp"; then
  echo "aiosmtpd already installed: $(.venv/bin/python -c "import aiosmtpd; print(aiosmtpd.__version__)")"
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
echo "aiosmtpd installed: $(.venv/bin/python -c "import aiosmtpd; print(aiosmtpd.__version__)") ($(.venv/bin/python --version))"
