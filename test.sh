#!/usr/bin/env bash
# Runs every test on a fresh machine: installs what is missing (redis-server, Node with npm,
# Chromium, nginx, curl, openssl, docker-compose), then runs the whole NUnit suite; the build itself
# installs the official JS client from npm (Npm.targets). The tests start their own redis-server on a free port and their
# own Hub nodes on 127.0.0.1 (the load-balancer tests through deploy/local-cluster.sh, with nginx);
# the browser tests drive the system's Chromium through Playwright (never Playwright's own
# browser download).
set -euo pipefail
cd "$(dirname "$0")"

missing=()
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
# Debian's nodejs comes without npm, and the build needs npm for the JS clients (Npm.targets).
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
# The load-balancer tests run deploy/local-cluster.sh: nginx in front of three nodes, curl for readiness.
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v curl >/dev/null 2>&1 || missing+=(curl)
# The docs' snippets run too (Hub.Tests/Docs): the key command needs openssl, the API examples curl.
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# docker-compose.yml is validated with `docker-compose config`, which needs no Docker engine.
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${missing[*]} ..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Missing: ${missing[*]}. Install them (Debian: sudo apt-get install -y ${missing[*]}) and run again." >&2
    exit 1
  fi
fi

mkdir -p TestResults
log=TestResults/test-output.log
set +e
dotnet test Hub.sln -c Release --logger "console;verbosity=normal" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# The benchmark is no CI test, but a tiny run of each scenario (its own redis-server and two
# nodes, or a peer's, a few messages) keeps it from rotting: it fails on any lost message or failed call.
# routing runs on a Redis Cluster, with 3 nodes so that one has no recipient and its figures are read.
bench_failed=()
bench_runs=("history" "publish" "api" "connections" "upstream" "fanout" "latency" "groups" "fanout --peer tcp" "fanout --peer socketio" "fanout --peer raw --raw-frame-bytes 385" "connections --peer raw" "connections --nodes 3 --connections 300" "fanout --peer signalr" "latency --peer signalr" "groups --peer signalr" "publish --peer signalr" "connections --peer signalr" "groups --peer socketio" "fanout --protocol messagepack" "failover" "routing --nodes 3")
if dotnet build Hub.Bench -c Release --nologo -v quiet >"TestResults/bench-build.log" 2>&1; then
  for run in "${bench_runs[@]}"; do
    name=${run// /}
    # shellcheck disable=SC2086 # the run's words are the bench's arguments
    if ! timeout 180 dotnet run -c Release --no-build --project Hub.Bench -- $run --smoke \
        --out "TestResults/bench-smoke-$name.json" >"TestResults/bench-smoke-$name.log" 2>&1; then
      bench_failed+=("$run")
      cat "TestResults/bench-smoke-$name.log" >&2
    fi
  done
else
  cat "TestResults/bench-build.log" >&2
  bench_failed+=("build")
fi
if [ ${#bench_failed[@]} -gt 0 ]; then
  echo "Bench smoke failed: ${bench_failed[*]} (logs in TestResults/bench-smoke-*.log)" >&2
  status=1
else
  echo "Bench smoke: ${bench_runs[*]} passed"
fi

# The failures again at the end, with their messages (not their stacks): the run's own output is
# long, and whoever reads only its tail should still learn which tests failed and why.
if grep -qE '^  Failed ' "$log"; then
  echo "Failed tests:"
  awk '/^  Failed / { show = 1; lines = 0 } /^  Stack Trace:/ { show = 0 } show && lines++ < 25 { print }' "$log"
fi

# One plain closing line: "N passed, N failed, N skipped", from the runner's summary block.
count() {
  local n
  n=$(grep -E "^ +$1: +[0-9]+" "$log" | tail -n 1 | grep -oE '[0-9]+' | head -n 1 || true)
  echo "${n:-0}"
}
if grep -qE '^Total tests: [0-9]+' "$log"; then
  echo "Tests: $(count Passed) passed, $(count Failed) failed, $(count Skipped) skipped"
else
  echo "No test summary found: the test run did not complete." >&2
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
