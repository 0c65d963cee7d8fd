#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft, broker and controller in one JVM)
# for kraul's integration tests, run from the official Maven jars: no Docker needed,
# only Java >= 17 and Maven.
#
#   scripts/kafka.sh start    fetch the jars once, start a fresh broker, wait until it answers
#   scripts/kafka.sh stop     stop it (SIGTERM, then SIGKILL after 20 s); idempotent
#   scripts/kafka.sh status   exit 0 and say so if a broker answers, else exit 1
#   scripts/kafka.sh logs     print the broker log's path and its last lines
#
# Environment: KRAUL_KAFKA_PORT (client port, default 9092),
# KRAUL_KAFKA_CONTROLLER_PORT (default 29093).
#
# Every start gets an empty data folder: tests never see topics or offsets from a
# previous run.
set -euo pipefail

kafka_version=4.1.1
log4j_version=2.24.3
dependency_plugin=org.apache.maven.plugins:maven-dependency-plugin:3.6.1

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
here="$root/scripts/kafka"
host=127.0.0.1
port=${KRAUL_KAFKA_PORT:-9092}
controller_port=${KRAUL_KAFKA_CONTROLLER_PORT:-29093}
broker="$host:$port"

version_dir="$root/.cache/kafka/$kafka_version"
libs="$version_dir/libs"
# One run folder per client port, so brokers on different ports never share data or pid.
run_dir="$root/.cache/kafka/run/$port"
pid_file="$run_dir/broker.pid"
log_file="$run_dir/broker.log"
start_timeout_ms=60000
stop_timeout_s=20

say() { echo "kafka.sh: $*"; }
fail() {
  echo "kafka.sh: $*" >&2
  exit 1
}

now_ms() { date +%s%3N; }
seconds_since() { awk -v a="$1" -v b="$(now_ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }

node_bin() {
  local dir
  dir=$("$root/scripts/node.sh") || fail "Node.js >= 22.22 is needed to check that the broker answers"
  [ -d "$root/node_modules/@platformatic/kafka" ] || fail "node_modules is missing: run npm ci first"
  echo "$dir/node"
}

# Asks the broker for its topic list; 0 = it answers, 1 = it did not, 2 = the pid exited.
wait_for_broker() {
  local timeout_ms=$1 pid=${2:-}
  local node
  node=$(node_bin)
  local args=(--broker "$broker" --timeout "$timeout_ms")
  [ -n "$pid" ] && args+=(--pid "$pid")
  (cd "$root" && "$node" "$here/wait.ts" "${args[@]}")
}

# The pid from the pid file, only if that process is alive and still our broker
# (a pid can be reused by an unrelated process after a crash or reboot).
running_pid() {
  [ -f "$pid_file" ] || return 1
  local pid
  pid=$(cat "$pid_file")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' || return 1
  echo "$pid"
}

port_in_use() { (exec 3<>"/dev/tcp/$host/$1") 2>/dev/null; }

fetch_jars() {
  if [ -f "$libs/.complete" ]; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || fail "Maven (mvn) is needed to fetch the Kafka $kafka_version jars once"
  local started work
  started=$(now_ms)
  work="$version_dir/fetch"
  rm -rf "$work" "$libs"
  mkdir -p "$work"
  sed -e "s/@KAFKA_VERSION@/$kafka_version/g" -e "s/@LOG4J_VERSION@/$log4j_version/g" \
    "$here/pom.xml.in" >"$work/pom.xml"
  say "fetching the Kafka $kafka_version jars from Maven Central (once)"
  if ! mvn -B -q -f "$work/pom.xml" "$dependency_plugin:copy-dependencies" \
    -DoutputDirectory="$work/libs" -DincludeScope=runtime >"$work/maven.log" 2>&1; then
    if grep -qiE 'could not transfer|unknown ?host|connection (refused|reset|timed out)|network is unreachable|no route to host|timed out' "$work/maven.log"; then
      fail "cannot fetch the Kafka $kafka_version jars from Maven Central (is it reachable?); Maven's output: $work/maven.log"
    fi
    fail "Maven failed to fetch the Kafka $kafka_version jars; its output: $work/maven.log"
  fi
  # Moved into place only when complete, so an interrupted fetch is never mistaken
  # for a usable cache.
  mv "$work/libs" "$libs"
  touch "$libs/.complete"
  rm -rf "$work"
  say "fetched $(find "$libs" -name '*.jar' | wc -l) jars ($(du -sh "$libs" | cut -f1)) in $(seconds_since "$started") s"
}

# A cluster id as `kafka-storage random-uuid` makes it (16 random bytes, base64url
# without padding, never starting with "-"), without paying for a JVM start.
new_cluster_id() {
  local id
  while :; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
    [[ "$id" == -* ]] || break
  done
  echo "$id"
}

write_server_properties() {
  cat >"$run_dir/server.properties" <<EOF
# Single combined KRaft node for tests; written by scripts/kafka.sh on every start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$host:$controller_port
listeners=PLAINTEXT://$host:$port,CONTROLLER://$host:$controller_port
advertised.listeners=PLAINTEXT://$host:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$run_dir/data

# kraul creates its topics explicitly; a typo in a topic name must fail, not create one.
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1

# One broker: internal topics with the default replication factor 3 would never
# become available, and consumer groups would never find a coordinator.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1

# Groups settle at once and accept short sessions, so tests can watch a member
# fail over in about a second instead of the production minimum of six.
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
group.consumer.min.session.timeout.ms=1000
group.consumer.min.heartbeat.interval.ms=500

# Small and short-lived logs: test data is thrown away with the run folder.
log.segment.bytes=16777216
log.retention.ms=3600000
log.retention.check.interval.ms=60000
log.cleaner.dedupe.buffer.size=16777216
log.cleaner.backoff.ms=1000

# Sized for a small machine shared with the tests themselves.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
EOF
}

print_log_tail() {
  [ -f "$log_file" ] || return 0
  echo "---- last lines of $log_file ----" >&2
  tail -n 40 "$log_file" >&2
  echo "----" >&2
}

cmd_start() {
  local pid
  if pid=$(running_pid); then
    if wait_for_broker "$start_timeout_ms" "$pid"; then
      say "already running (pid $pid) on $broker"
      return 0
    fi
    fail "a broker is running (pid $pid) but does not answer at $broker: run scripts/kafka.sh stop, then start"
  fi
  if port_in_use "$port"; then
    if wait_for_broker 5000; then
      say "a Kafka broker not started by this script already answers at $broker; using it"
      return 0
    fi
    fail "port $port on $host is taken by something that is not a Kafka broker (set KRAUL_KAFKA_PORT to use another)"
  fi
  port_in_use "$controller_port" &&
    fail "controller port $controller_port on $host is taken (set KRAUL_KAFKA_CONTROLLER_PORT to use another)"

  command -v java >/dev/null 2>&1 || fail "Java >= 17 is needed to run Kafka $kafka_version (no java on PATH)"
  fetch_jars

  local started
  started=$(now_ms)
  rm -rf "$run_dir"
  mkdir -p "$run_dir/data"
  write_server_properties

  local cp="$libs/*"
  # Formatting is a short-lived JVM: the quick JIT tier and the serial collector start
  # faster, and this run pays for the startup, not the throughput.
  if ! java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Dlog4j2.configurationFile="$here/log4j2.properties" \
    -cp "$cp" kafka.tools.StorageTool format -t "$(new_cluster_id)" -c "$run_dir/server.properties" \
    >>"$log_file" 2>&1; then
    print_log_tail
    fail "formatting the broker's storage failed"
  fi

  # A session of its own: Ctrl-C in the terminal that ran the tests must not kill the
  # broker behind the test runner's back; the runner's exit trap stops it by pid.
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$pid_file" \
    java -Xms256m -Xmx512m -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$here/log4j2.properties" \
    -cp "$cp" kafka.Kafka "$run_dir/server.properties" </dev/null >>"$log_file" 2>&1 &
  local tries=0
  until [ -s "$pid_file" ]; do
    tries=$((tries + 1))
    [ "$tries" -le 50 ] || fail "the broker process did not start"
    sleep 0.1
  done
  pid=$(cat "$pid_file")

  local answered=0
  wait_for_broker "$start_timeout_ms" "$pid" || answered=$?
  if [ "$answered" -ne 0 ]; then
    print_log_tail
    if [ "$answered" -eq 2 ]; then
      rm -f "$pid_file"
      fail "the broker exited during startup (log: $log_file)"
    fi
    kill -TERM "$pid" 2>/dev/null || true
    fail "the broker did not answer at $broker within $((start_timeout_ms / 1000)) s (log: $log_file)"
  fi
  local version
  version=$(grep -o 'Kafka version: [^ ]*' "$log_file" | head -n 1 | cut -d' ' -f3)
  say "Kafka ${version:-$kafka_version} running (pid $pid) on $broker; started in $(seconds_since "$started") s"
}

cmd_stop() {
  local pid
  if ! pid=$(running_pid); then
    rm -f "$pid_file"
    say "not running"
    return 0
  fi
  local started waited=0
  started=$(now_ms)
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt $((stop_timeout_s * 10)) ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "broker (pid $pid) still running after ${stop_timeout_s} s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$pid_file"
  say "stopped (pid $pid) in $(seconds_since "$started") s"
}

cmd_status() {
  local pid
  if pid=$(running_pid); then
    if wait_for_broker 5000 "$pid" 2>/dev/null; then
      echo "running (pid $pid) on $broker"
      return 0
    fi
    echo "started (pid $pid) but not answering on $broker"
    return 1
  fi
  if port_in_use "$port" && wait_for_broker 5000 2>/dev/null; then
    echo "running (not started by this script) on $broker"
    return 0
  fi
  echo "not running"
  return 1
}

cmd_logs() {
  if [ ! -f "$log_file" ]; then
    say "no broker log yet ($log_file appears on the first start)"
    return 0
  fi
  echo "$log_file"
  tail -n "${KRAUL_KAFKA_LOG_LINES:-50}" "$log_file"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  logs) cmd_logs ;;
  *)
    echo "usage: scripts/kafka.sh start|stop|status|logs" >&2
    exit 2
    ;;
esac
