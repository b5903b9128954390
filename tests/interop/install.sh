#!/usr/bin/env bash
# Installs, once, what the tests need from the package registries: Node 22 and Fedify from npm
# (tests/interop_fedify.rs), apsig and bovine from PyPI (tests/interop_apsig.rs,
# tests/interop_bovine.rs), and the SMTP server aiosmtpd from PyPI (tests/exchanges_email.rs).
# Each step does nothing when it is already done, so this is quick on every run after the first.
# Without them those tests fail and name this script.
set -euo pipefail
cd "$(dirname "$0")"
bash fedify/install.sh
bash apsig/install.sh
bash bovine/install.sh
bash ../smtp/install.sh
