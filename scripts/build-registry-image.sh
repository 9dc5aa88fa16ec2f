#!/bin/sh
# Builds the image of the chart's in-cluster image registry OFFLINE, for the stand-in kubelet and
# any local Podman:   localhost/knitfab-registry:<registry version>   (or the tag given as $1)
# As scripts/build-server-image.sh does for node, no base image is pulled (none can be here): the
# image is FROM scratch with Debian's docker-registry package (the CNCF distribution registry 2.8,
# what the official registry:2 image runs): its binary and the shared libraries `ldd` lists for it,
# a user registry (1000), CA certificates, and images/registry/config.yml (the official image's
# configuration). The package is the one installed on this machine, else `apt-get download` fetches
# it into ~/.cache/knitfab (it is not installed: that would start a registry service here).
#
# Cached: when the tag exists and its label knitfab.inputs-hash equals the hash of the inputs (the
# package, this script, the Containerfile, the configuration), nothing is rebuilt.
# Prints the image reference as its last line.
set -eu

here="$(cd "$(dirname "$0")/.." && pwd)"
if ! command -v podman >/dev/null 2>&1; then
  echo "build-registry-image.sh: podman is not installed; run scripts/install-podman.sh as root first" >&2
  exit 1
fi

. "$here/scripts/lib/cached-image.sh"
image_build_lock registry-image

# The registry binary: installed, or from the package's file.
if dpkg-query -W -f '${Status}' docker-registry 2>/dev/null | grep -q "install ok installed"; then
  package="installed $(dpkg-query -W -f '${Version}' docker-registry)"
  registry_bin=/usr/bin/docker-registry
else
  deb="$(ls "$cache"/docker-registry_*.deb 2>/dev/null | tail -n 1 || true)"
  if [ -z "$deb" ]; then
    # Without package lists (a fresh machine) apt knows no package: as root, read them first.
    if ! (cd "$cache" && apt-get download docker-registry >&2) && ! { [ "$(id -u)" = 0 ] && apt-get update -qq >&2 && (cd "$cache" && apt-get download docker-registry >&2); }; then
      echo "build-registry-image.sh: Debian's docker-registry package is neither installed nor downloadable (apt-get download docker-registry; run apt-get update first?)" >&2
      exit 1
    fi
    deb="$(ls "$cache"/docker-registry_*.deb | tail -n 1)"
  fi
  package="$(basename "$deb") $(sha256sum <"$deb" | cut -d' ' -f1)"
  registry_bin=""
fi

inputs_hash() {
  {
    echo "$package"
    files_hash "$here" "$here/scripts/build-registry-image.sh" "$here/images/registry/Containerfile" "$here/images/registry/config.yml"
  } | sha256sum | cut -d' ' -f1
}

started="$(date +%s)"
hash="$(inputs_hash)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ -z "$registry_bin" ]; then
  dpkg-deb -x "$deb" "$work/package"
  registry_bin="$work/package/usr/bin/docker-registry"
fi
version="$("$registry_bin" --version | awk '{ print $3 }' | sed 's/+.*//')"
TAG="${1:-localhost/knitfab-registry:$version}"
exit_if_cached "$TAG" "$hash"

rootfs="$work/rootfs"
mkdir -p "$rootfs/usr/bin" "$rootfs/etc/docker/registry" "$rootfs/tmp" "$work/owned/registry"
chmod 1777 "$rootfs/tmp"
cp "$registry_bin" "$rootfs/usr/bin/docker-registry"
for library in $(ldd "$registry_bin" | awk '/=> \// { print $3 } $1 ~ /^\// { print $1 }'); do
  mkdir -p "$rootfs$(dirname "$library")"
  cp -L "$library" "$rootfs$library"
done
cp "$here/images/registry/config.yml" "$rootfs/etc/docker/registry/config.yml"
cat >"$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
registry:x:1000:1000:registry:/var/lib/registry:/sbin/nologin
PASSWD
cat >"$rootfs/etc/group" <<'GROUP'
root:x:0:
registry:x:1000:
GROUP
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  mkdir -p "$rootfs/etc/ssl/certs"
  cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
fi

cp "$here/images/registry/Containerfile" "$work/Containerfile"
podman build --quiet --pull=never --label "knitfab.inputs-hash=$hash" --label "org.opencontainers.image.version=$version" \
  -t "$TAG" -f "$work/Containerfile" "$work" >/dev/null
size="$(podman image inspect --format '{{ .Size }}' "$TAG")"
echo "build-registry-image.sh: built $TAG ($((size / 1024 / 1024)) MiB) in $(($(date +%s) - started)) s" >&2
echo "$TAG"
