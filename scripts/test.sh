#!/usr/bin/env bash
# Runs every test: installs what the tests need (system packages when run as root on Debian/Ubuntu,
# npm packages), builds, lints, type-checks and runs the whole suite on PGlite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  need=()
  [ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15)
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  if [ ${#need[@]} -gt 0 ]; then
    echo "test: installing ${need[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  if [ -x scripts/install-podman.sh ] || [ -f scripts/install-podman.sh ]; then
    bash scripts/install-podman.sh
  fi
fi

# The kubernetes-mode tests run a real control plane built from Go modules (test tooling, see
# test-tools/kube-control-plane/README.md). Built once per machine and cached; a no-op afterwards.
# Cold on an idle 2-core machine: about 850 CPU-seconds. It starts now, beside the npm install and
# the TypeScript build (much of which waits on the network and the disk), and is waited for before
# vitest, so it never competes with the tests.
kube_log="$(mktemp)"
bash scripts/build-kube-control-plane.sh >"$kube_log" 2>&1 &
kube_build=$!

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "test: installing npm packages" >&2
  npm ci --no-audit --no-fund
fi

npm run build
npm run lint
npx tsc -p tsconfig.tests.json
if ! wait "$kube_build"; then
  cat "$kube_log" >&2
  echo "test: building the Kubernetes control plane for the kubernetes-mode tests failed (see above)" >&2
  exit 1
fi
grep -h "built in" "$kube_log" >&2 || true
# The images of the chart's in-cluster database and registry that chart-install.test.ts installs,
# built offline from Debian packages (postgresql-15, docker-registry) once here; cached, so the
# test's own call (and the next run) finds them and builds nothing.
bash scripts/build-postgres-image.sh >/dev/null
bash scripts/build-registry-image.sh >/dev/null
npx vitest run "$@"
