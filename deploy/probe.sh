#!/usr/bin/env bash
# Health probe for containers: exits 0 when GET <path> on this container's Hub node answers 200.
#   probe.sh /healthz [port]    liveness (Dockerfile HEALTHCHECK)
#   probe.sh /readyz [port]     readiness (docker-compose: nginx starts once the nodes are ready)
# Plain bash, because the ASP.NET runtime image has neither curl nor wget.
set -euo pipefail
path=${1:?usage: probe.sh <path> [port]}
port=${2:-8080}
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$path" >&3
# The status line: "HTTP/1.1 200 OK".
read -r _ status _ <&3
[ "$status" = 200 ]
