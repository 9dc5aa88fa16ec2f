#!/bin/sh
# Installs Podman and the pieces our workers need on Debian 12, and configures it for these machines.
# Idempotent: packages already present are not reinstalled, the configuration is rewritten only when it differs.
# Run as root.
set -eu

PACKAGES="podman runc catatonit busybox-static"
CONF=/etc/containers/containers.conf

if [ "$(id -u)" -ne 0 ]; then
  echo "install-podman.sh: must run as root (try: sudo $0)" >&2
  exit 1
fi

missing=""
for package in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $package"
  fi
done

if [ -n "$missing" ]; then
  # The package lists are refreshed only when a wanted package is not known to apt yet.
  for package in $missing; do
    if ! apt-cache show "$package" >/dev/null 2>&1; then
      echo "+ apt-get update"
      apt-get update -q
      break
    fi
  done
  echo "+ apt-get install -y --no-install-recommends$missing"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
else
  echo "already installed: $PACKAGES"
fi

# crun fails on the hybrid cgroup layout of these machines, so runc with cgroupfs is used;
# podman's default ulimits are refused by the kernel here, so explicit ones are set;
# the file events logger works without journald.
desired='[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"'

if [ -f "$CONF" ] && [ "$(cat "$CONF")" = "$desired" ]; then
  echo "already configured: $CONF"
else
  echo "+ write $CONF"
  mkdir -p "$(dirname "$CONF")"
  printf '%s\n' "$desired" > "$CONF"
fi

echo "podman: $(podman --version)"
