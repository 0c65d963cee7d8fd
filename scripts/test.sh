#!/usr/bin/env bash
# `npm test`: every unit and integration test, against a real Kafka broker.
# Starts the broker (scripts/kafka.sh) unless one already answers, and stops it again
# afterwards only if it started it. Extra arguments go to vitest:
#   npm test -- packages/url
#   npm test -- --project unit
# Ends with one line `N passed, N failed` (`, N skipped` when there are any) and
# vitest's exit code.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

PATH="$(scripts/node.sh):$PATH"
export PATH
export KRAUL_TEST_BROKERS="${KRAUL_TEST_BROKERS:-127.0.0.1:${KRAUL_KAFKA_PORT:-9092}}"

# npm writes node_modules/.package-lock.json on every install: older than the lock
# file means the dependencies on disk are not the ones the lock file asks for.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "test.sh: installing dependencies (npm ci)"
  npm ci
fi

started_broker=0
stop_broker() {
  if [ "$started_broker" -eq 1 ]; then
    bash scripts/kafka.sh stop || true
  fi
}
trap stop_broker EXIT
if ! bash scripts/kafka.sh status >/dev/null 2>&1; then
  started_broker=1
  bash scripts/kafka.sh start
fi

report=.cache/vitest-report.json
mkdir -p .cache
# A report left from an earlier run must not be summarised as this run's result.
rm -f "$report"

status=0
./node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?

# Stopped before the summary so that the counts line stays the last line printed.
stop_broker
started_broker=0

if [ ! -f "$report" ]; then
  echo "test.sh: vitest wrote no report (exit code $status)" >&2
  exit "$status"
fi
node -e '
  const [path, status] = process.argv.slice(1);
  const report = JSON.parse(require("node:fs").readFileSync(path, "utf8"));
  if (status !== "0" && report.numFailedTests === 0) {
    // Failures outside any test (a file that does not load, a failing global setup)
    // count no failed tests, so say why the run failed before the counts line.
    console.log(`test.sh: vitest failed outside the tests (${report.numFailedTestSuites} test files failed); see above`);
  }
  const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  const line = `${report.numPassedTests} passed, ${report.numFailedTests} failed`;
  console.log(skipped > 0 ? `${line}, ${skipped} skipped` : line);
' "$report" "$status"
exit "$status"
