#!/bin/sh
# Builds the PostgreSQL image of the chart's in-cluster database OFFLINE, for the stand-in kubelet
# and any local Podman:   localhost/knitfab-postgres:<PostgreSQL version>   (or the tag given as $1)
# As scripts/build-server-image.sh does for node, no base image is pulled (none can be here): the
# image is FROM scratch with this machine's Debian PostgreSQL 15 (packages postgresql-15,
# postgresql-client-15, libpq5: the binaries, their modules and share files), the shared libraries
# `ldd` lists for them, dash as /bin/sh (the chart's readiness probe runs `sh -c pg_isready ...`),
# the time zone data, a user postgres (999) and images/postgres/entrypoint.sh, which initialises
# PGDATA on first start from POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB and listens on every
# address (what the chart's database Deployment gives the official postgres image).
#
# Cached: when the tag exists and its label knitfab.inputs-hash equals the hash of the inputs (the
# package versions, this script, the Containerfile, the entry point), nothing is rebuilt.
# Prints the image reference as its last line.
set -eu

here="$(cd "$(dirname "$0")/.." && pwd)"
PG=/usr/lib/postgresql/15
if [ ! -x "$PG/bin/postgres" ] || [ ! -x "$PG/bin/initdb" ] || [ ! -x "$PG/bin/pg_isready" ]; then
  echo "build-postgres-image.sh: PostgreSQL 15 is not installed under $PG; install the Debian packages postgresql-15 and postgresql-client-15" >&2
  exit 1
fi
if ! command -v podman >/dev/null 2>&1; then
  echo "build-postgres-image.sh: podman is not installed; run scripts/install-podman.sh as root first" >&2
  exit 1
fi
version="$("$PG/bin/postgres" --version | awk '{ print $3 }')"
TAG="${1:-localhost/knitfab-postgres:$version}"

. "$here/scripts/lib/cached-image.sh"
image_build_lock postgres-image

inputs_hash() {
  {
    dpkg-query -W -f '${Package} ${Version}\n' postgresql-15 postgresql-client-15 libpq5 dash tzdata 2>/dev/null || true
    files_hash "$here" "$here/scripts/build-postgres-image.sh" "$here/images/postgres/Containerfile" "$here/images/postgres/entrypoint.sh"
  } | sha256sum | cut -d' ' -f1
}

hash="$(inputs_hash)"
exit_if_cached "$TAG" "$hash"

started="$(date +%s)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
mkdir -p "$rootfs/bin" "$rootfs/usr/local/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/usr/share" \
  "$work/owned/lib/postgresql/data" "$work/owned/run/postgresql"
chmod 1777 "$rootfs/tmp"
chmod 0700 "$work/owned/lib/postgresql/data"
chmod 2775 "$work/owned/run/postgresql"

# PostgreSQL: the binaries, the server's modules (not llvmjit.so and its LLVM: JIT is off without it), the share files.
mkdir -p "$rootfs$PG" "$rootfs/usr/share/postgresql"
cp -a "$PG/bin" "$rootfs$PG/bin"
mkdir -p "$rootfs$PG/lib"
(cd "$PG/lib" && find . -maxdepth 1 -type f -name '*.so' ! -name llvmjit.so -exec cp -a {} "$rootfs$PG/lib/" \;)
cp -a /usr/share/postgresql/15 "$rootfs/usr/share/postgresql/15"
rm -rf "$rootfs/usr/share/postgresql/15/man"
cp -a /usr/share/zoneinfo "$rootfs/usr/share/zoneinfo"
cp -L "$(command -v dash)" "$rootfs/bin/sh"

# What the dynamic linker loads for them, at the same paths.
for binary in "$rootfs$PG"/bin/* "$rootfs$PG"/lib/*.so "$rootfs/bin/sh"; do
  ldd "$binary" 2>/dev/null | awk '/=> \// { print $3 } $1 ~ /^\// { print $1 }'
done | sort -u | while read -r library; do
  mkdir -p "$rootfs$(dirname "$library")"
  cp -L "$library" "$rootfs$library"
done

cat >"$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
postgres:x:999:999:PostgreSQL:/var/lib/postgresql:/bin/sh
PASSWD
cat >"$rootfs/etc/group" <<'GROUP'
root:x:0:
postgres:x:999:
GROUP
cp "$here/images/postgres/entrypoint.sh" "$rootfs/usr/local/bin/knitfab-postgres-entrypoint"
chmod 0755 "$rootfs/usr/local/bin/knitfab-postgres-entrypoint"

cp "$here/images/postgres/Containerfile" "$work/Containerfile"
podman build --quiet --pull=never --label "knitfab.inputs-hash=$hash" --label "org.opencontainers.image.version=$version" \
  -t "$TAG" -f "$work/Containerfile" "$work" >/dev/null
size="$(podman image inspect --format '{{ .Size }}' "$TAG")"
echo "build-postgres-image.sh: built $TAG ($((size / 1024 / 1024)) MiB) in $(($(date +%s) - started)) s" >&2
echo "$TAG"
