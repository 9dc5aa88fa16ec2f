#!/bin/sh
# Makes sure a Podman Docker-API service answers on a unix socket, then prints the socket path.
# Usage: scripts/podman-service.sh [SOCKET_PATH]   (default /run/knitfab/podman.sock)
# Starts `podman system service --time=0` in the background only when nothing answers there yet;
# its output goes to <SOCKET_PATH>.log and its process id to <SOCKET_PATH>.pid.
set -eu

SOCKET="${1:-/run/knitfab/podman.sock}"
WAIT_SECONDS="${PODMAN_SERVICE_WAIT_SECONDS:-30}"

if ! command -v podman >/dev/null 2>&1; then
  echo "podman-service.sh: podman is not installed; run scripts/install-podman.sh as root first" >&2
  exit 1
fi

answers() {
  # `docker` may be absent; curl is the usual tool, node is always there in this project.
  if command -v curl >/dev/null 2>&1; then
    [ "$(curl -s --max-time 2 --unix-socket "$SOCKET" http://d/_ping 2>/dev/null)" = "OK" ]
  else
    node -e '
      const req = require("http").get({ socketPath: process.argv[1], path: "/_ping", timeout: 2000 }, (res) => {
        let body = ""; res.on("data", (c) => (body += c)); res.on("end", () => process.exit(body === "OK" ? 0 : 1));
      });
      req.on("error", () => process.exit(1)); req.on("timeout", () => process.exit(1));' "$SOCKET"
  fi
}

if answers; then
  echo "$SOCKET"
  exit 0
fi

mkdir -p "$(dirname "$SOCKET")"
# A socket file left by a dead service would make the new one fail to bind.
rm -f "$SOCKET"
# Started from the socket's folder: conmon leaves an empty `oom` file in the service's working
# folder when a container is OOM-killed, which must not land in whatever folder called us.
(cd "$(dirname "$SOCKET")" && exec nohup podman system service --time=0 "unix://$SOCKET" >"$SOCKET.log" 2>&1) &
echo $! >"$SOCKET.pid"
echo "started podman system service (pid $!) on $SOCKET" >&2

tries=$((WAIT_SECONDS * 10))
while [ "$tries" -gt 0 ]; do
  if answers; then
    echo "$SOCKET"
    exit 0
  fi
  if ! kill -0 "$(cat "$SOCKET.pid")" 2>/dev/null; then
    echo "podman-service.sh: the service exited; its output:" >&2
    cat "$SOCKET.log" >&2
    exit 1
  fi
  sleep 0.1
  tries=$((tries - 1))
done
echo "podman-service.sh: $SOCKET did not answer /_ping within ${WAIT_SECONDS}s; see $SOCKET.log" >&2
exit 1
