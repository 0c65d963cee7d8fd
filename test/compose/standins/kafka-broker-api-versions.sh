#!/usr/bin/env bash
# Health probe of the Kafka stand-in, at the path of the official image's tool so one
# compose healthcheck serves both: succeeds once the broker has logged that it serves
# clients and its port (from --bootstrap-server host:port) accepts connections.
set -euo pipefail
server=localhost:9092
while [ $# -gt 0 ]; do
  case "$1" in
    --bootstrap-server) server=$2; shift 2 ;;
    *) shift ;;
  esac
done
grep -q 'Kafka Server started' /opt/kafka/logs/server.log
exec 3<>"/dev/tcp/${server%:*}/${server##*:}"
