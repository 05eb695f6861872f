#!/usr/bin/env bash
# The docker-compose topology from processes on this machine, without Docker: a redis-server,
# three Hub nodes (published once with dotnet publish) on loopback ports, and nginx with
# deploy/nginx.conf in front of them, run as the current user. Everything it starts is recorded
# in a pid file under the state directory, and "down" stops exactly those processes.
#
#   deploy/local-cluster.sh up        start what is not running; prints the URL
#   deploy/local-cluster.sh status    what runs
#   deploy/local-cluster.sh down      stop what "up" started
#
# Environment (defaults in brackets): HUB_CLUSTER_DIR, the state directory [.local-cluster];
# HUB_CLUSTER_PORT, nginx's port [8080]; HUB_CLUSTER_NODE_PORTS [5101 5102 5103];
# HUB_CLUSTER_REDIS_PORT [6390]. Needs the .NET SDK, Node with npm (the build), redis-server,
# nginx and curl.
#
# HUB_CLUSTER_SENTINEL=1 runs Redis as Sentinel runs it instead: the primary on the Redis port, a
# replica on HUB_CLUSTER_REPLICA_PORT [6391] and three sentinels on HUB_CLUSTER_SENTINEL_PORTS
# [26390 26391 26392], watching service "hub"; the nodes get Hub__Redis=<the sentinels>,serviceName=hub
# and follow the primary through a failover (kill -9 "$(cat .local-cluster/redis.pid)" to see one).
#
# HUB_CLUSTER_REDIS_CLUSTER=1 runs a Redis Cluster instead: six servers (three masters, three
# replicas, as `redis-cli --cluster create --cluster-replicas 1` pairs them) on
# HUB_CLUSTER_REDIS_CLUSTER_PORTS [6390 6391 6392 6393 6394 6395], their cluster bus on
# HUB_CLUSTER_REDIS_BUS_PORTS [16390 … 16395]; the nodes get Hub__Redis=<the six>, and a killed
# master's replica takes its slots over within seconds (kill -9 "$(cat .local-cluster/redis-1.pid)").
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state=${HUB_CLUSTER_DIR:-$root/.local-cluster}
# The ports "up" used, so that "status" and "down" find them without the same environment.
# shellcheck source=/dev/null
[ -f "$state/cluster.env" ] && . "$state/cluster.env"
lb_port=${HUB_CLUSTER_PORT:-8080}
read -r -a node_ports <<<"${HUB_CLUSTER_NODE_PORTS:-5101 5102 5103}"
redis_port=${HUB_CLUSTER_REDIS_PORT:-6390}
sentinel=${HUB_CLUSTER_SENTINEL:-0}
replica_port=${HUB_CLUSTER_REPLICA_PORT:-6391}
read -r -a sentinel_ports <<<"${HUB_CLUSTER_SENTINEL_PORTS:-26390 26391 26392}"
redis_cluster=${HUB_CLUSTER_REDIS_CLUSTER:-0}
read -r -a cluster_ports <<<"${HUB_CLUSTER_REDIS_CLUSTER_PORTS:-6390 6391 6392 6393 6394 6395}"
read -r -a bus_ports <<<"${HUB_CLUSTER_REDIS_BUS_PORTS:-16390 16391 16392 16393 16394 16395}"
publish=$state/publish
[ "$sentinel" = 1 ] && [ "$redis_cluster" = 1 ] &&
  echo "local-cluster: HUB_CLUSTER_SENTINEL and HUB_CLUSTER_REDIS_CLUSTER are two ways to run Redis: set one." >&2 && exit 1
# Bounds of every wait, in seconds. A node stops within Hub:Shutdown:DrainSeconds (10) of SIGTERM,
# having drained its clients; stop_timeout leaves it that and a margin before SIGKILL.
start_timeout=60
stop_timeout=15

die() {
  echo "local-cluster: $*" >&2
  exit 1
}

need() {
  command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || die "$1 is not installed (Debian: apt-get install -y $2)."
}

# What each name's process runs, so that a pid reused by another program is never taken for it.
program_of() {
  case $1 in
    redis | redis-* | sentinel-*) echo redis-server ;;
    nginx) echo nginx ;;
    *) echo Hub.Server.dll ;;
  esac
}

# The pid recorded for a name, if that process still runs (a zombie, killed but not yet reaped,
# does not count).
running_pid() {
  local file=$state/$1.pid pid
  [ -f "$file" ] || return 1
  pid=$(cat "$file")
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  [ "$(sed -E 's/.*\) (.).*/\1/' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$(program_of "$1")" || return 1
  echo "$pid"
}

# Waits until a command succeeds, or fails naming what did not come up and where its log is.
wait_for() {
  local what=$1 log=$2 pid=$3
  shift 3
  local deadline=$((SECONDS + start_timeout))
  until "$@" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || die "$what exited; see $log:"$'\n'"$(tail -n 20 "$log")"
    [ $SECONDS -lt $deadline ] || die "$what did not become ready within ${start_timeout} s; see $log."
    sleep 0.2
  done
}

ready() {
  curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$1/readyz"
}

# One redis-server under a name, in a directory of its own (a replica writes its sync there).
start_redis_server() {
  local name=$1 port=$2
  shift 2
  running_pid "$name" >/dev/null && return
  need redis-server redis-server
  mkdir -p "$state/$name"
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$state/$name" "$@" \
    </dev/null >"$state/$name.log" 2>&1 &
  echo $! >"$state/$name.pid"
  wait_for "redis-server on port $port" "$state/$name.log" $! redis-cli -p "$port" ping
}

start_redis() {
  if [ "$redis_cluster" = 1 ]; then
    start_redis_cluster
    return
  fi
  if [ "$sentinel" != 1 ]; then
    start_redis_server redis "$redis_port"
    return
  fi
  # After a failover the sentinels name the other server primary: one that is started again
  # joins it as its replica, never as a second, empty primary. Before they failed over, the
  # primary they name is the one that is gone: started again without persistence it would come
  # back empty, and its replica would empty itself to follow it.
  local primary name
  primary=$(primary_port)
  for name in redis redis-replica; do
    if [ "$(port_of "$name")" = "$primary" ] && ! running_pid "$name" >/dev/null &&
      running_pid "$([ "$name" = redis ] && echo redis-replica || echo redis)" >/dev/null; then
      die "the sentinels still name the stopped $name (port $primary) primary; wait for their failover (a few seconds) and run up again."
    fi
  done
  start_redis_server redis "$redis_port" $([ "$primary" = "$redis_port" ] || echo --replicaof 127.0.0.1 "$primary")
  start_redis_server redis-replica "$replica_port" $([ "$primary" = "$replica_port" ] || echo --replicaof 127.0.0.1 "$primary")
  local n port conf
  for n in "${!sentinel_ports[@]}"; do
    port=${sentinel_ports[$n]}
    running_pid "sentinel-$((n + 1))" >/dev/null && continue
    conf=$state/sentinel-$((n + 1)).conf
    # Sentinel rewrites its file with what it learns (replicas, other sentinels, failovers).
    [ -f "$conf" ] || cat >"$conf" <<CONF
dir $state
sentinel monitor hub 127.0.0.1 $redis_port 2
sentinel down-after-milliseconds hub 2000
sentinel failover-timeout hub 10000
CONF
    redis-server "$conf" --sentinel --port "$port" --bind 127.0.0.1 </dev/null >"$state/sentinel-$((n + 1)).log" 2>&1 &
    echo $! >"$state/sentinel-$((n + 1)).pid"
    wait_for "sentinel on port $port" "$state/sentinel-$((n + 1)).log" $! redis-cli -p "$port" ping
  done
}

# Six servers in cluster mode, each keeping its nodes.conf in its own directory: one started again
# (after a kill, say) rejoins from it, as the replica of the server that took its slots over.
# Before any of them forms a cluster, redis-cli pairs them into three masters and three replicas.
start_redis_cluster() {
  [ ${#cluster_ports[@]} -eq 6 ] && [ ${#bus_ports[@]} -eq 6 ] ||
    die "HUB_CLUSTER_REDIS_CLUSTER_PORTS and HUB_CLUSTER_REDIS_BUS_PORTS need six ports each."
  local n
  for n in "${!cluster_ports[@]}"; do
    # A replica takes over 2 s after its master stops answering; with full coverage off, the
    # slots of other masters keep serving meanwhile.
    start_redis_server "redis-$((n + 1))" "${cluster_ports[$n]}" --cluster-enabled yes \
      --cluster-config-file nodes.conf --cluster-port "${bus_ports[$n]}" --cluster-node-timeout 2000 \
      --cluster-require-full-coverage no --repl-diskless-sync-delay 0
  done
  if [ "$(cluster_info cluster_known_nodes)" = 1 ]; then
    local seeds=()
    for n in "${cluster_ports[@]}"; do seeds+=("127.0.0.1:$n"); done
    redis-cli --cluster create "${seeds[@]}" --cluster-replicas 1 --cluster-yes \
      </dev/null >"$state/redis-cluster-create.log" 2>&1 ||
      die "redis-cli --cluster create failed; see $state/redis-cluster-create.log:"$'\n'"$(tail -n 20 "$state/redis-cluster-create.log")"
  fi
  wait_for "the Redis Cluster (cluster_state:ok)" "$state/redis-1.log" "$(cat "$state/redis-1.pid")" cluster_ok
}

# A field of CLUSTER INFO, as the first server that answers sees it.
cluster_info() {
  local port
  for port in "${cluster_ports[@]}"; do
    redis-cli -p "$port" cluster info 2>/dev/null | tr -d '\r' | sed -n "s/^$1://p" | grep . && return
  done
}

# Every server that runs says the cluster is whole.
cluster_ok() {
  local n
  for n in "${!cluster_ports[@]}"; do
    running_pid "redis-$((n + 1))" >/dev/null || continue
    redis-cli -p "${cluster_ports[$n]}" cluster info 2>/dev/null | tr -d '\r' | grep -qx 'cluster_state:ok' || return 1
  done
}

# The primary's port as the sentinels name it, or the first server's before they run.
primary_port() {
  local port answer
  for port in "${sentinel_ports[@]}"; do
    answer=$(redis-cli -p "$port" sentinel get-master-addr-by-name hub 2>/dev/null | sed -n 2p)
    [ -n "$answer" ] && echo "$answer" && return
  done
  echo "$redis_port"
}

# Hub:Redis for the nodes: the one server, or the sentinels and the service name.
redis_configuration() {
  if [ "$redis_cluster" = 1 ]; then
    local port list=
    for port in "${cluster_ports[@]}"; do list="${list:+$list,}127.0.0.1:$port"; done
    echo "$list"
  elif [ "$sentinel" = 1 ]; then
    local port list=
    for port in "${sentinel_ports[@]}"; do list="${list}127.0.0.1:$port,"; done
    echo "${list}serviceName=hub"
  else
    echo "127.0.0.1:$redis_port"
  fi
}

# Every name "up" starts, in the order it starts them ("down" stops them the other way round).
names() {
  local n
  if [ "$redis_cluster" = 1 ]; then
    for n in "${!cluster_ports[@]}"; do echo "redis-$((n + 1))"; done
  else
    echo redis
  fi
  if [ "$sentinel" = 1 ]; then
    echo redis-replica
    for n in "${!sentinel_ports[@]}"; do echo "sentinel-$((n + 1))"; done
  fi
  for n in "${!node_ports[@]}"; do echo "node-$((n + 1))"; done
  echo nginx
}

port_of() {
  case $1 in
    redis) echo "$redis_port" ;;
    redis-replica) echo "$replica_port" ;;
    redis-[0-9]*) echo "${cluster_ports[$((${1#redis-} - 1))]}" ;;
    sentinel-*) echo "${sentinel_ports[$((${1#sentinel-} - 1))]}" ;;
    nginx) echo "$lb_port" ;;
    *) echo "${node_ports[$((${1#node-} - 1))]}" ;;
  esac
}

start_node() {
  local n=$1 port=$2
  running_pid "node-$n" >/dev/null && return
  # The working directory is the content root: the node serves the demo page from its wwwroot.
  (cd "$publish" && exec env \
    ASPNETCORE_URLS="http://127.0.0.1:$port" \
    Hub__Redis="$(redis_configuration)" \
    Hub__NodeId="node-$n" \
    dotnet Hub.Server.dll) </dev/null >"$state/node-$n.log" 2>&1 &
  echo $! >"$state/node-$n.pid"
}

start_nginx() {
  running_pid nginx >/dev/null && return
  need nginx nginx
  local conf=$state/nginx
  mkdir -p "$conf"
  # deploy/nginx.conf as it is; only the node addresses and the port are this setup's.
  cp "$root/deploy/nginx.conf" "$conf/nginx.conf"
  : >"$conf/hub-nodes.conf"
  for port in "${node_ports[@]}"; do
    echo "server 127.0.0.1:$port max_fails=1 fail_timeout=10s;" >>"$conf/hub-nodes.conf"
  done
  echo "listen 127.0.0.1:$lb_port;" >"$conf/hub-listen.conf"
  # Debian puts nginx in /usr/sbin, which a user's PATH may lack.
  local nginx_bin
  nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
  local nginx_args=(-e stderr -p "$conf/" -c nginx.conf -g "daemon off; pid $state/nginx.pid;")
  "$nginx_bin" -t -q "${nginx_args[@]}" 2>"$state/nginx.log" || die "nginx refused the configuration:"$'\n'"$(cat "$state/nginx.log")"
  "$nginx_bin" "${nginx_args[@]}" </dev/null >>"$state/nginx.log" 2>&1 &
  echo $! >"$state/nginx.pid"
  wait_for "nginx on port $lb_port" "$state/nginx.log" $! curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$lb_port/nginx-health"
}

up() {
  need dotnet dotnet-sdk-10.0
  need curl curl
  mkdir -p "$state"
  cat >"$state/cluster.env" <<ENV
: "\${HUB_CLUSTER_PORT:=$lb_port}"
: "\${HUB_CLUSTER_NODE_PORTS:=${node_ports[*]}}"
: "\${HUB_CLUSTER_REDIS_PORT:=$redis_port}"
: "\${HUB_CLUSTER_SENTINEL:=$sentinel}"
: "\${HUB_CLUSTER_REPLICA_PORT:=$replica_port}"
: "\${HUB_CLUSTER_SENTINEL_PORTS:=${sentinel_ports[*]}}"
: "\${HUB_CLUSTER_REDIS_CLUSTER:=$redis_cluster}"
: "\${HUB_CLUSTER_REDIS_CLUSTER_PORTS:=${cluster_ports[*]}}"
: "\${HUB_CLUSTER_REDIS_BUS_PORTS:=${bus_ports[*]}}"
ENV
  start_redis
  # Publish only when no node runs from the published files: "up" after a node died reuses them.
  local n any_node=
  for n in "${!node_ports[@]}"; do
    running_pid "node-$((n + 1))" >/dev/null && any_node=1
  done
  if [ -z "$any_node" ]; then
    echo "Publishing Hub.Server to $publish ..."
    dotnet publish "$root/Hub.Server/Hub.Server.csproj" -c Release -o "$publish" -p:UseAppHost=false \
      --disable-build-servers --nologo </dev/null >"$state/publish.log" 2>&1 \
      || die "dotnet publish failed; see $state/publish.log:"$'\n'"$(tail -n 20 "$state/publish.log")"
  fi
  for n in "${!node_ports[@]}"; do
    start_node $((n + 1)) "${node_ports[$n]}"
  done
  for n in "${!node_ports[@]}"; do
    wait_for "node-$((n + 1)) on port ${node_ports[$n]}" "$state/node-$((n + 1)).log" \
      "$(cat "$state/node-$((n + 1)).pid")" ready "${node_ports[$n]}"
  done
  start_nginx
  if [ "$redis_cluster" = 1 ]; then
    echo "Hub cluster up: http://127.0.0.1:$lb_port/ (nginx in front of ${#node_ports[@]} nodes, a Redis Cluster on ports ${cluster_ports[*]})"
  elif [ "$sentinel" = 1 ]; then
    echo "Hub cluster up: http://127.0.0.1:$lb_port/ (nginx in front of ${#node_ports[@]} nodes, Redis primary on port $(primary_port), sentinels on ${sentinel_ports[*]})"
  else
    echo "Hub cluster up: http://127.0.0.1:$lb_port/ (nginx in front of ${#node_ports[@]} nodes, Redis on port $redis_port)"
  fi
}

down() {
  local name pid
  # nginx first, so no client is sent to a node that is going away; the sentinels before the
  # servers they watch, so that none fails over while they stop.
  for name in $(names | tac); do
    if pid=$(running_pid "$name"); then
      kill -TERM "$pid"
      local deadline=$((SECONDS + stop_timeout))
      while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
      if kill -0 "$pid" 2>/dev/null; then
        echo "$name (pid $pid) did not stop within ${stop_timeout} s: killed."
        kill -KILL "$pid" 2>/dev/null || true
      fi
      echo "stopped $name (pid $pid)"
    fi
    rm -f "$state/$name.pid"
  done
}

status() {
  local name pid
  for name in $(names); do
    if pid=$(running_pid "$name"); then
      echo "$name running (pid $pid, port $(port_of "$name"))"
    else
      echo "$name stopped"
    fi
  done
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) status ;;
  *) die "usage: $0 up|down|status" ;;
esac
