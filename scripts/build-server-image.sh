#!/bin/sh
# Builds the server image OFFLINE, for the stand-in kubelet and any local Podman:
#   localhost/knitfab-server:<version of packages/server>   (or the tag given as $1)
# No base image is pulled (none can be here): the image is FROM scratch with
#   - this machine's `node` binary and the shared libraries `ldd` lists for it,
#   - /etc/passwd and /etc/group with a non-root user (knitfab, 65532), /tmp, CA certificates,
#   - /app: an esbuild single-file bundle of the server (dist/knitfab.mjs), PGlite's wasm and data
#     files beside it, the PGlite package (the embedded database is created by a child process that
#     imports it), the SQL migrations, the built web console and package.json (the version).
# One image serves every role: `knitfab serve ...`, `knitfab data-agent ...` are its arguments.
# For real clusters, images/server/Dockerfile builds the same contents on a node:22 slim base.
#
# Cached: when the tag exists and its label knitfab.inputs-hash equals the hash of the inputs
# (the built packages, the migrations, package-lock.json, this script, the node binary), nothing is
# rebuilt. Needs `npm run build` first. Prints the image reference as its last line.
set -eu

here="$(cd "$(dirname "$0")/.." && pwd)"
version="$(node -p 'require(process.argv[1]).version' "$here/packages/server/package.json")"
TAG="${1:-localhost/knitfab-server:$version}"
NODE_BIN="$(command -v node)"
PACKAGES="api archive db domain drivers engine server"

for package in $PACKAGES; do
  if [ ! -d "$here/packages/$package/dist" ]; then
    echo "build-server-image.sh: packages/$package is not built; run \`npm run build\` first" >&2
    exit 1
  fi
done
if ! command -v podman >/dev/null 2>&1; then
  echo "build-server-image.sh: podman is not installed; run scripts/install-podman.sh as root first" >&2
  exit 1
fi

. "$here/scripts/lib/cached-image.sh"
image_build_lock server-image

inputs_hash() {
  {
    for package in $PACKAGES console; do
      [ -d "$here/packages/$package/dist" ] && find "$here/packages/$package/dist" -type f ! -name '*.map' ! -name '*.d.ts'
    done
    find "$here/packages/db/migrations" -type f
    echo "$here/package-lock.json"
    echo "$here/scripts/build-server-image.sh"
    echo "$here/images/server/Containerfile"
    echo "$NODE_BIN"
  } | LC_ALL=C sort | {
    # One file list on stdin, hashed in that order.
    set --
    while read -r file; do set -- "$@" "$file"; done
    files_hash "$here" "$@"
  } | sha256sum | cut -d' ' -f1
}

hash="$(inputs_hash)"
exit_if_cached "$TAG" "$hash"

started="$(date +%s)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
mkdir -p "$rootfs/usr/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/app/dist" "$rootfs/app/node_modules/@electric-sql"
chmod 1777 "$rootfs/tmp"

# node and what the dynamic linker loads for it, at the same paths.
cp "$NODE_BIN" "$rootfs/usr/bin/node"
for library in $(ldd "$NODE_BIN" | awk '/=> \// { print $3 } $1 ~ /^\// { print $1 }'); do
  mkdir -p "$rootfs$(dirname "$library")"
  cp -L "$library" "$rootfs$library"
done

cat >"$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
knitfab:x:65532:65532:knitfab:/home/knitfab:/sbin/nologin
PASSWD
cat >"$rootfs/etc/group" <<'GROUP'
root:x:0:
knitfab:x:65532:
GROUP
mkdir -p "$rootfs/home/knitfab" "$rootfs/root"
chown 65532:65532 "$rootfs/home/knitfab" 2>/dev/null || chmod 1777 "$rootfs/home/knitfab"
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  mkdir -p "$rootfs/etc/ssl/certs"
  cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
fi

# The server as one file. CommonJS dependencies inside an ES module bundle need require,
# __filename and __dirname; dockerode's optional native helpers are left out (they are optional).
"$here/node_modules/.bin/esbuild" "$here/packages/server/dist/bin/knitfab.js" \
  --bundle --platform=node --format=esm --target=node20 --log-level=error \
  --external:cpu-features --loader:.node=empty \
  --banner:js="import { createRequire as __knitfabRequire } from 'node:module'; import { fileURLToPath as __knitfabPath } from 'node:url'; import { dirname as __knitfabDir } from 'node:path'; const require = __knitfabRequire(import.meta.url); const __filename = __knitfabPath(import.meta.url); const __dirname = __knitfabDir(__filename);" \
  --outfile="$rootfs/app/dist/knitfab.mjs"

pglite="$here/node_modules/@electric-sql/pglite"
# The bundle loads PGlite's files beside itself (new URL("./pglite.wasm", import.meta.url)).
for file in pglite.wasm pglite.data initdb.wasm; do
  cp "$pglite/dist/$file" "$rootfs/app/dist/"
done
mkdir -p "$rootfs/app/node_modules/@electric-sql/pglite"
cp "$pglite/package.json" "$rootfs/app/node_modules/@electric-sql/pglite/"
(cd "$pglite" && find dist -type f ! -name '*.map' ! -name '*.d.ts' ! -name '*.d.cts' | while read -r file; do
  mkdir -p "$rootfs/app/node_modules/@electric-sql/pglite/$(dirname "$file")"
  cp "$file" "$rootfs/app/node_modules/@electric-sql/pglite/$file"
done)
cp -r "$here/packages/db/migrations" "$rootfs/app/migrations"
# The console's files: the bundle looks for them at ./dist beside itself.
if [ -d "$here/packages/console/dist" ]; then cp -r "$here/packages/console/dist" "$rootfs/app/dist/dist"; fi
printf '{ "name": "knitfab", "version": "%s", "type": "module", "private": true }\n' "$version" >"$rootfs/app/package.json"

cp "$here/images/server/Containerfile" "$work/Containerfile"
podman build --quiet --pull=never --label "knitfab.inputs-hash=$hash" --label "org.opencontainers.image.version=$version" \
  -t "$TAG" -f "$work/Containerfile" "$work" >/dev/null
size="$(podman image inspect --format '{{ .Size }}' "$TAG")"
echo "build-server-image.sh: built $TAG ($((size / 1024 / 1024)) MiB) in $(($(date +%s) - started)) s" >&2
echo "$TAG"
