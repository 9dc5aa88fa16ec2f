#!/usr/bin/env bash
# Builds the real Kubernetes control plane used by the kubernetes-mode tests (test tooling, never
# shipped): kube-apiserver, kube-controller-manager, kube-scheduler and etcd, from the Go module
# in test-tools/kube-control-plane at the versions its go.mod pins. The binaries go into a cache
# folder keyed by those versions and by the module's go.sum, so the build runs once per machine;
# when they are all there this script does nothing. Go's own module and build caches are reused.
#
#   scripts/build-kube-control-plane.sh          build if needed, print the bin folder
#   KNITFAB_KUBE_CACHE=/dir scripts/...          cache root (default ~/.cache/knitfab)
#
# The last line printed on stdout is the bin folder; progress goes to stderr.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mod="$root/test-tools/kube-control-plane"

if ! command -v go >/dev/null 2>&1; then
  echo "build-kube-control-plane: the go command is not installed (Go 1.26 or newer is needed)" >&2
  exit 1
fi

kube_version="$(cd "$mod" && go list -m -f '{{.Version}}' k8s.io/kubernetes)"
etcd_version="$(cd "$mod" && go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)"
# Content only (not paths), so the key is the same however the script is called.
sum="$(cat "$mod/go.mod" "$mod/go.sum" "$mod/cmd/etcd/main.go" "$root/scripts/build-kube-control-plane.sh" | sha256sum | cut -c1-12)"
cache_root="${KNITFAB_KUBE_CACHE:-$HOME/.cache/knitfab}"
dir="$cache_root/kube-$kube_version-etcd-$etcd_version-$sum"
bin="$dir/bin"
binaries=(kube-apiserver kube-controller-manager kube-scheduler etcd)

all_there() {
  local b
  for b in "${binaries[@]}"; do [ -x "$bin/$b" ] || return 1; done
}

if all_there; then
  echo "$bin"
  exit 0
fi

mkdir -p "$dir"
# One build at a time per cache folder: parallel test workers wait for the first one.
exec 9>"$dir/.lock"
flock 9
if all_there; then
  echo "$bin"
  exit 0
fi

echo "build-kube-control-plane: building Kubernetes $kube_version and etcd $etcd_version into $bin (minutes on a cold cache)" >&2
start=$(date +%s)
tmp="$(mktemp -d "$dir/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
(
  cd "$mod"
  export CGO_ENABLED=0
  # The version the binaries report (/version, User-Agent), stamped as Kubernetes' own build does;
  # without it they would say v0.0.0-master.
  minor="${kube_version#v1.}"; minor="${minor%%.*}"
  stamp=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    stamp="$stamp -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  go build -trimpath -ldflags="-s -w$stamp" -o "$tmp/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler
  go build -trimpath -ldflags='-s -w' -o "$tmp/etcd" ./cmd/etcd
)
mkdir -p "$bin"
for b in "${binaries[@]}"; do mv "$tmp/$b" "$bin/$b"; done
echo "build-kube-control-plane: built in $(( $(date +%s) - start ))s (load average: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
echo "$bin"
