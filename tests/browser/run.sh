#!/usr/bin/env bash
# The browser journeys (tests/browser/journeys.mjs): headless Chromium, Debian's, driven by
# playwright-core from npm, through the three instances of `maillage demo` on its sample data.
#
# Installs what is missing (Debian's chromium when /usr/bin/chromium is absent, playwright-core at the
# version of package-lock.json with `npm ci`), uses the optimised binary (built when missing or older
# than the sources), starts the demo on free ports with a fresh data directory, runs the journeys,
# and always stops the demo and removes its data. Exits non-zero when anything failed.
#
# Environment: CARGO_TARGET_DIR (where the binary is, as for cargo), MAILLAGE_BROWSER_PROFILE (the
# cargo profile whose binary is used: `release`, the default, or CI's `release-tests`), MAILLAGE_BROWSER_BASE_PORT
# (first of the three ports; default: the first free range from 18081), MAILLAGE_BROWSER_HEADED=1 (show
# the browser, where there is a display).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
started_at=$SECONDS

say() { printf 'run.sh: %s\n' "$*"; }
fail() {
  printf 'run.sh: %s\n' "$*" >&2
  echo "journeys: 0 passed, 1 failed, 0 skipped"
  exit 1
}

# 1. Chromium, from Debian's packages.
chromium=/usr/bin/chromium
if [[ ! -x $chromium ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    fail "$chromium is missing: install it with \`sudo apt-get update && sudo apt-get install -y chromium\`, then run again"
  fi
  say "installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
  [[ -x $chromium ]] || fail "apt-get installed chromium, but $chromium is still missing"
fi
say "browser: $("$chromium" --version 2>/dev/null || echo "$chromium")"

# 2. playwright-core, at the locked version. No browser download: the journeys use $chromium.
command -v node >/dev/null || fail "node is missing: install it with \`apt-get install -y nodejs npm\`"
command -v npm >/dev/null || fail "npm is missing: install it with \`apt-get install -y npm\`"
locked=$(sed -n 's/^ *"playwright-core": "\(.*\)"$/\1/p' "$here/package.json")
installed=$(sed -n 's/^ *"version": "\(.*\)",$/\1/p' "$here/node_modules/playwright-core/package.json" 2>/dev/null | head -n1 || true)
if [[ $installed != "$locked" ]]; then
  say "installing playwright-core $locked (npm ci)"
  (cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi
say "node $(node --version), playwright-core $locked"

# 3. The optimised binary: built when missing or older than a source file (CI's release test step has
# just built it: `cargo test --profile release-tests` builds the package's binary for its
# integration tests).
target_dir=${CARGO_TARGET_DIR:-$repo/target}
profile=${MAILLAGE_BROWSER_PROFILE:-release}
[[ $profile =~ ^[a-z][a-z0-9-]*$ ]] || fail "MAILLAGE_BROWSER_PROFILE must name a cargo profile: release or release-tests"
maillage=$target_dir/$profile/maillage
if [[ ! -x $maillage ]] || [[ -n $(cd "$repo" && find Cargo.toml Cargo.lock src server federation/src federation/Cargo.toml \
  migrations -newer "$maillage" -type f -print -quit 2>/dev/null) ]]; then
  say "building $maillage (cargo build --profile $profile)"
  (cd "$repo" && cargo build --profile "$profile" --bin maillage) || fail "cargo build --profile $profile failed"
fi
[[ -x $maillage ]] || fail "$maillage is missing after the build (is CARGO_TARGET_DIR right?)"
say "binary: $maillage"

# 4. The demo, on three free ports, with a fresh data directory.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [[ -n ${MAILLAGE_BROWSER_BASE_PORT:-} ]]; then
  base_port=$MAILLAGE_BROWSER_BASE_PORT
else
  base_port=
  for candidate in 18081 18181 18281 18381 18481 18581 18681 18781 18881 18981; do
    if port_free "$candidate" && port_free $((candidate + 1)) && port_free $((candidate + 2)); then
      base_port=$candidate
      break
    fi
  done
  [[ -n $base_port ]] || fail "no three free ports from 18081 to 18983: set MAILLAGE_BROWSER_BASE_PORT"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/maillage-browser-XXXXXX")
demo_pid=
cleanup() {
  local status=$?
  if [[ -n $demo_pid ]] && kill -0 "$demo_pid" 2>/dev/null; then
    kill -TERM "$demo_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$demo_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$demo_pid" 2>/dev/null || true
    wait "$demo_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "starting the demo on ports $base_port-$((base_port + 2)), data in $work/data"
# The runner's own MAILLAGE_BROWSER_* settings are not the demo's (Maillage refuses unknown MAILLAGE_*).
env -u MAILLAGE_BROWSER_BASE_PORT -u MAILLAGE_BROWSER_HEADED -u MAILLAGE_BROWSER_PROFILE \
  "$maillage" demo --data-dir "$work/data" --base-port "$base_port" >"$work/demo.log" 2>&1 &
demo_pid=$!

# The three instances answer, then peer with each other (the demo says so, within 20 s).
deadline=$((SECONDS + 60))
until grep -q "The three instances are peered\|Not every pair of instances is peered" "$work/demo.log"; do
  if ! kill -0 "$demo_pid" 2>/dev/null; then
    cat "$work/demo.log" >&2
    fail "the demo stopped before its instances were peered"
  fi
  if ((SECONDS > deadline)); then
    cat "$work/demo.log" >&2
    fail "the demo's instances were not peered within 60 s"
  fi
  sleep 0.2
done
if ! grep -q "The three instances are peered" "$work/demo.log"; then
  cat "$work/demo.log" >&2
  fail "the demo's instances did not all peer"
fi
for port in "$base_port" $((base_port + 1)) $((base_port + 2)); do
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://localhost:$port/") || code=none
  [[ $code == 200 ]] || fail "http://localhost:$port/ answers $code, not 200"
done
say "the three instances answer and are peered ($((SECONDS - started_at)) s so far)"

# 5. The journeys.
status=0
MAILLAGE_BROWSER_BASE_PORT=$base_port MAILLAGE_CHROMIUM=$chromium \
  MAILLAGE_BROWSER_SCREENSHOTS="$here/screenshots" node "$here/journeys.mjs" || status=$?
if ((status != 0)); then
  echo "--- demo log ($work/demo.log) ---" >&2
  tail -n 40 "$work/demo.log" >&2
fi
say "done in $((SECONDS - started_at)) s"
exit "$status"
