#!/usr/bin/env bash
# A real Apache Kafka cluster (KRaft, broker and controller in one JVM per node) for
# kraul's integration tests, run from the official Maven jars: no Docker needed, only
# Java >= 17 and Maven. One node by default; three for replication and failover tests.
#
#   scripts/kafka.sh start            fetch the jars once, start fresh nodes, wait until they answer
#   scripts/kafka.sh stop             stop every node (SIGTERM, then SIGKILL after 20 s); idempotent
#   scripts/kafka.sh status           exit 0 and say so if the cluster answers, else exit 1
#   scripts/kafka.sh logs             print each node's log path and its last lines
#   scripts/kafka.sh kill-node N      SIGKILL node N (1-based), as a crash does
#   scripts/kafka.sh start-node N     start node N again on its existing data, wait until it answers
#   scripts/kafka.sh pid N            print node N's pid
#   scripts/kafka.sh tls-dir          print the folder of the generated certificates (with SECURITY=1)
#   scripts/kafka.sh jars             fetch the jars once (no broker) and print their folder
#
# Environment:
#   KRAUL_KAFKA_PORT             client port of node 1 (default 9092); node N listens on port + N - 1
#   KRAUL_KAFKA_CONTROLLER_PORT  controller port of node 1 (default 29093); node N on + N - 1
#   KRAUL_KAFKA_NODES            1 (default) or 3: three nodes replicate internal topics 3 times
#   KRAUL_KAFKA_SECURITY         1 adds, on every node, SASL_PLAINTEXT on port + 100,
#                                SSL on + 200, SSL with client certificates required (mutual
#                                TLS) on + 300 and SASL_SSL on + 400, with certificates made by
#                                openssl in the run folder's tls/ (ca.pem, client.pem,
#                                client.key, and other-ca.pem that signed nothing) and the user
#                                kraul / kraul-secret for PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512
#                                (SASL_SSL offers PLAIN and SCRAM-SHA-512 only).
#   KRAUL_KAFKA_RUN_DIR          the run folder (default .cache/kafka/run/<port>), e.g. for a
#                                second, brand-new broker in a test
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
security=${KRAUL_KAFKA_SECURITY:-0}
requested_nodes=${KRAUL_KAFKA_NODES:-1}
case "$requested_nodes" in
  1 | 3) ;;
  *)
    echo "kafka.sh: KRAUL_KAFKA_NODES must be 1 or 3, not \"$requested_nodes\"" >&2
    exit 2
    ;;
esac
# Test credentials of the secured listeners; nothing outside a test broker uses them.
sasl_user=kraul
sasl_password=kraul-secret
store_password=kraul-test

version_dir="$root/.cache/kafka/$kafka_version"
libs="$version_dir/libs"
# One run folder per client port of node 1, so clusters on different ports never share
# data or pids; node N keeps its data, pid and log in node-N/ below it.
run_dir="${KRAUL_KAFKA_RUN_DIR:-$root/.cache/kafka/run/$port}"
nodes_file="$run_dir/nodes"
tls_dir="$run_dir/tls"
# The node count of the cluster in this run folder: what `start` recorded, or what is asked.
nodes() { if [ -f "$nodes_file" ]; then cat "$nodes_file"; else echo "$requested_nodes"; fi; }
node_dir() { echo "$run_dir/node-$1"; }
node_port() { echo $((port + $1 - 1)); }
node_controller_port() { echo $((controller_port + $1 - 1)); }
pid_file_of() { echo "$(node_dir "$1")/broker.pid"; }
log_file_of() { echo "$(node_dir "$1")/broker.log"; }
# Node 1's files keep their old names for tools that read them.
pid_file=$(pid_file_of 1)
log_file=$(log_file_of 1)
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

# Asks a broker (node 1's unless a third argument names another address) for its topic
# list; 0 = it answers, 1 = it did not, 2 = the pid exited.
wait_for_broker() {
  local timeout_ms=$1 pid=${2:-} address=${3:-$broker}
  local node
  node=$(node_bin)
  local args=(--broker "$address" --timeout "$timeout_ms")
  [ -n "$pid" ] && args+=(--pid "$pid")
  (cd "$root" && "$node" "$here/wait.ts" "${args[@]}")
}

# The pid of node N (default 1) from its pid file, only if that process is alive and
# still our broker (a pid can be reused by an unrelated process after a crash or reboot).
running_pid() {
  local file
  file=$(pid_file_of "${1:-1}")
  [ -f "$file" ] || return 1
  local pid
  pid=$(cat "$file")
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

# The server.properties of node $1 of a cluster of $2 nodes.
write_server_properties() {
  local node=$1 count=$2
  local dir client controller voters="" i
  dir=$(node_dir "$node")
  client=$(node_port "$node")
  controller=$(node_controller_port "$node")
  for ((i = 1; i <= count; i++)); do
    voters+="${voters:+,}$i@$host:$(node_controller_port "$i")"
  done
  local replicas=$((count < 3 ? count : 3))
  local min_isr=$((replicas >= 3 ? 2 : 1))
  local listeners="PLAINTEXT://$host:$client"
  local protocol_map="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
  if [ "$security" = 1 ]; then
    listeners+=",SASL_PLAINTEXT://$host:$((client + 100)),SSL://$host:$((client + 200))"
    listeners+=",MTLS://$host:$((client + 300)),SASL_SSL://$host:$((client + 400))"
    protocol_map+=",SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,MTLS:SSL,SASL_SSL:SASL_SSL"
  fi
  cat >"$dir/server.properties" <<EOF
# KRaft node $node of $count (broker and controller in one JVM) for tests; written by
# scripts/kafka.sh on every start.
process.roles=broker,controller
node.id=$node
controller.quorum.voters=$voters
listeners=$listeners,CONTROLLER://$host:$controller
advertised.listeners=$listeners
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocol_map
log.dirs=$dir/data

# kraul creates its topics explicitly; a typo in a topic name must fail, not create one.
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1

# Internal topics as replicated as the cluster allows: with the default replication
# factor 3 on one node, consumer groups would never find a coordinator.
offsets.topic.replication.factor=$replicas
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=$replicas
transaction.state.log.min.isr=$min_isr
share.coordinator.state.topic.replication.factor=$replicas
share.coordinator.state.topic.min.isr=$min_isr

# Groups settle at once and accept short sessions, so tests can watch a member
# fail over in about a second instead of the production minimum of six. kraul sets each
# group's session timeout and heartbeat interval itself (KIP-848 group configs
# consumer.session.timeout.ms / consumer.heartbeat.interval.ms), within these bounds; the
# defaults below apply to groups of other clients. The consumer protocol is on by default
# in Kafka 4.x (group.coordinator.rebalance.protocols=classic,consumer).
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
group.consumer.min.session.timeout.ms=1000
group.consumer.min.heartbeat.interval.ms=500
group.consumer.session.timeout.ms=10000
group.consumer.heartbeat.interval.ms=1000
group.coordinator.rebalance.protocols=classic,consumer

# A dead node's partitions get a new leader within seconds: the controller notices a
# broker whose heartbeats stop after this long (the default is 9 s). Until then the group
# coordinators cannot commit (the dead node is still an in-sync replica of
# __consumer_offsets) and answer no heartbeat, so this must stay below the members' session
# timeout (kraul's roles: 2.5 s), or a broker's death expels every member of every group.
broker.session.timeout.ms=2000
broker.heartbeat.interval.ms=500

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
  if [ "$security" = 1 ]; then
    local scram_module=org.apache.kafka.common.security.scram.ScramLoginModule
    local plain_module=org.apache.kafka.common.security.plain.PlainLoginModule
    cat >>"$dir/server.properties" <<EOF

# Secured listeners: SASL (PLAIN users in the JAAS line below, SCRAM users stored by
# the format step), TLS with a certificate signed by the test CA in $tls_dir, and
# a listener that requires a client certificate signed by the same CA.
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=$plain_module required user_$sasl_user="$sasl_password";
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=$scram_module required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=$scram_module required;
# SASL_SSL leaves SCRAM-SHA-256 out, so a test can see a mechanism refused.
listener.name.sasl_ssl.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512
listener.name.sasl_ssl.plain.sasl.jaas.config=$plain_module required user_$sasl_user="$sasl_password";
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=$scram_module required;
ssl.keystore.type=PKCS12
ssl.keystore.location=$tls_dir/broker.p12
ssl.keystore.password=$store_password
ssl.key.password=$store_password
ssl.truststore.type=PEM
ssl.truststore.location=$tls_dir/ca.pem
listener.name.mtls.ssl.client.auth=required
EOF
  fi
}

# A test CA, a broker certificate it signs (for 127.0.0.1 and localhost), a client
# certificate it signs (mutual TLS), and a second CA that signs nothing (a client that
# trusts only it must refuse the brokers).
make_certificates() {
  command -v openssl >/dev/null 2>&1 || fail "openssl is needed to make the test certificates (KRAUL_KAFKA_SECURITY=1)"
  mkdir -p "$tls_dir"
  local quiet=(-batch)
  (
    cd "$tls_dir"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=kraul test CA" \
      -keyout ca.key -out ca.pem "${quiet[@]}" 2>/dev/null
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=kraul other CA" \
      -keyout other-ca.key -out other-ca.pem "${quiet[@]}" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >broker.ext
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout broker.key -out broker.csr 2>/dev/null
    openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
      -extfile broker.ext -out broker.pem 2>/dev/null
    openssl pkcs12 -export -in broker.pem -inkey broker.key -name broker \
      -out broker.p12 -passout "pass:$store_password"
    openssl req -newkey rsa:2048 -nodes -subj "/CN=kraul-client" -keyout client.key -out client.csr 2>/dev/null
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out client.pem 2>/dev/null
    rm -f ./*.csr ./*.srl broker.ext
  ) || fail "making the test certificates with openssl failed"
}

print_log_tail() {
  local file=${1:-$log_file}
  [ -f "$file" ] || return 0
  echo "---- last lines of $file ----" >&2
  tail -n 40 "$file" >&2
  echo "----" >&2
}

# Starts node $1's JVM on its formatted data and waits until it answers; fails naming the
# log when it exits or stays silent.
launch_node() {
  local node=$1 dir file log pid
  dir=$(node_dir "$node")
  file=$(pid_file_of "$node")
  log=$(log_file_of "$node")
  rm -f "$file"
  # A session of its own: Ctrl-C in the terminal that ran the tests must not kill the
  # broker behind the test runner's back; the runner's exit trap stops it by pid.
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$file" \
    java -Xms256m -Xmx512m -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$here/log4j2.properties" \
    -cp "$libs/*" kafka.Kafka "$dir/server.properties" </dev/null >>"$log" 2>&1 &
  local tries=0
  until [ -s "$file" ]; do
    tries=$((tries + 1))
    [ "$tries" -le 50 ] || fail "node $node: the broker process did not start"
    sleep 0.1
  done
}

# Waits until node $1 answers a client request.
await_node() {
  local node=$1 pid answered=0 address
  pid=$(cat "$(pid_file_of "$node")")
  address="$host:$(node_port "$node")"
  wait_for_broker "$start_timeout_ms" "$pid" "$address" || answered=$?
  if [ "$answered" -ne 0 ]; then
    print_log_tail "$(log_file_of "$node")"
    if [ "$answered" -eq 2 ]; then
      rm -f "$(pid_file_of "$node")"
      fail "node $node exited during startup (log: $(log_file_of "$node"))"
    fi
    kill -TERM "$pid" 2>/dev/null || true
    fail "node $node did not answer at $address within $((start_timeout_ms / 1000)) s (log: $(log_file_of "$node"))"
  fi
}

cmd_start() {
  local pid
  if pid=$(running_pid 1); then
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
  local count=$requested_nodes node
  for ((node = 1; node <= count; node++)); do
    local client controller
    client=$(node_port "$node")
    controller=$(node_controller_port "$node")
    [ "$node" -gt 1 ] && port_in_use "$client" &&
      fail "port $client on $host (node $node) is taken (set KRAUL_KAFKA_PORT to use another range)"
    port_in_use "$controller" &&
      fail "controller port $controller on $host is taken (set KRAUL_KAFKA_CONTROLLER_PORT to use another)"
    if [ "$security" = 1 ]; then
      local offset
      for offset in 100 200 300 400; do
        port_in_use $((client + offset)) &&
          fail "port $((client + offset)) on $host (a secured listener of node $node) is taken"
      done
    fi
  done

  command -v java >/dev/null 2>&1 || fail "Java >= 17 is needed to run Kafka $kafka_version (no java on PATH)"
  fetch_jars

  local started cluster_id
  started=$(now_ms)
  cluster_id=$(new_cluster_id)
  rm -rf "$run_dir"
  mkdir -p "$run_dir"
  echo "$count" >"$nodes_file"
  [ "$security" = 1 ] && make_certificates
  local scram=()
  if [ "$security" = 1 ]; then
    scram=(--add-scram "SCRAM-SHA-256=[name=$sasl_user,password=$sasl_password]"
      --add-scram "SCRAM-SHA-512=[name=$sasl_user,password=$sasl_password]")
  fi
  for ((node = 1; node <= count; node++)); do
    mkdir -p "$(node_dir "$node")/data"
    write_server_properties "$node" "$count"
    # Formatting is a short-lived JVM: the quick JIT tier and the serial collector start
    # faster, and this run pays for the startup, not the throughput.
    if ! java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Dlog4j2.configurationFile="$here/log4j2.properties" \
      -cp "$libs/*" kafka.tools.StorageTool format -t "$cluster_id" -c "$(node_dir "$node")/server.properties" \
      "${scram[@]}" >>"$(log_file_of "$node")" 2>&1; then
      print_log_tail "$(log_file_of "$node")"
      fail "formatting node $node's storage failed"
    fi
  done
  # Every node first, then the waits: a controller quorum of three needs two voters up
  # before any node answers.
  for ((node = 1; node <= count; node++)); do launch_node "$node"; done
  for ((node = 1; node <= count; node++)); do await_node "$node"; done

  local version ports=""
  version=$(grep -o 'Kafka version: [^ ]*' "$log_file" | head -n 1 | cut -d' ' -f3)
  for ((node = 1; node <= count; node++)); do ports+="${ports:+,}$host:$(node_port "$node")"; done
  local extra=""
  [ "$security" = 1 ] && extra=" (+ SASL_PLAINTEXT +100, SSL +200, mutual TLS +300, SASL_SSL +400; certificates in $tls_dir)"
  say "Kafka ${version:-$kafka_version}: $count node(s) running on $ports$extra; started in $(seconds_since "$started") s"
}

cmd_stop() {
  local started node count pid pids=() waited=0
  started=$(now_ms)
  count=$(nodes)
  for ((node = 1; node <= count; node++)); do
    if pid=$(running_pid "$node"); then pids+=("$pid"); fi
    rm -f "$(pid_file_of "$node")"
  done
  if [ "${#pids[@]}" -eq 0 ]; then
    say "not running"
    return 0
  fi
  # Every node at once: one node stopped at a time loses the controller quorum half way,
  # and the last ones then wait out their whole controlled shutdown for nothing.
  kill -TERM "${pids[@]}" 2>/dev/null || true
  alive() { local p; for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
  while alive && [ "$waited" -lt $((stop_timeout_s * 10)) ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  if alive; then
    say "node(s) still running after ${stop_timeout_s} s; sending SIGKILL"
    kill -KILL "${pids[@]}" 2>/dev/null || true
    while alive; do sleep 0.1; done
  fi
  say "stopped ${#pids[@]} node(s) in $(seconds_since "$started") s"
}

cmd_status() {
  local pid
  if pid=$(running_pid 1); then
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
  local node count
  count=$(nodes)
  for ((node = 1; node <= count; node++)); do
    echo "$(log_file_of "$node")"
    tail -n "${KRAUL_KAFKA_LOG_LINES:-50}" "$(log_file_of "$node")"
  done
}

# The node number argument of the node commands, checked against the cluster's size.
node_argument() {
  local node=${1:-}
  [[ "$node" =~ ^[0-9]+$ ]] && [ "$node" -ge 1 ] && [ "$node" -le "$(nodes)" ] ||
    fail "expected a node number from 1 to $(nodes), not \"$node\""
  echo "$node"
}

cmd_kill_node() {
  local node pid
  node=$(node_argument "${1:-}")
  pid=$(running_pid "$node") || fail "node $node is not running"
  kill -KILL "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  rm -f "$(pid_file_of "$node")"
  say "node $node (pid $pid) killed"
}

cmd_start_node() {
  local node started
  node=$(node_argument "${1:-}")
  running_pid "$node" >/dev/null && fail "node $node is already running"
  [ -f "$(node_dir "$node")/server.properties" ] || fail "node $node was never started: run start first"
  started=$(now_ms)
  launch_node "$node"
  await_node "$node"
  say "node $node running again on $host:$(node_port "$node"); started in $(seconds_since "$started") s"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  logs) cmd_logs ;;
  kill-node) cmd_kill_node "${2:-}" ;;
  start-node) cmd_start_node "${2:-}" ;;
  pid)
    node=$(node_argument "${2:-}")
    running_pid "$node" || fail "node $node is not running"
    ;;
  tls-dir) echo "$tls_dir" ;;
  jars) fetch_jars >&2 && echo "$libs" ;;
  *)
    echo "usage: scripts/kafka.sh start|stop|status|logs|kill-node N|start-node N|pid N|tls-dir|jars" >&2
    exit 2
    ;;
esac
