#!/usr/bin/env bash
# Tries knitfab on a real Kubernetes cluster made with kind (https://kind.sigs.k8s.io), end to end:
#   1. builds the server, PostgreSQL, registry and busybox test images offline (Podman),
#   2. creates a one-node kind cluster whose NodePorts 30803 (API) and 30503 (registry) are
#      published on this machine's 127.0.0.1,
#   3. loads the images into it (nothing is pulled from a public registry),
#   4. installs the chart with `knitfab admin install` (in-cluster PostgreSQL and registry, kind's
#      `standard` storage class for Data and the database),
#   5. runs the user guide's two-step pipeline with the built `knit`: push a dataset, apply a train
#      and a validate plan, wait for both runs, pull the model and the score, print the lineage.
# Prerequisites: kind, kubectl, helm (3 or 4), podman, node 20+, npm; run from a checkout after
# `npm ci && npm run build`. With Podman as kind's provider, set KIND_EXPERIMENTAL_PROVIDER=podman.
#
# This project's CI machines cannot run a Kubernetes cluster: this script has not been run on one
# by the project (the chart is tested against a real control plane with stand-in nodes instead,
# packages/server/test/kubernetes/chart-install.test.ts). Report what fails.
#
# Usage: scripts/try-on-kind.sh [--keep] [--delete]
#   --keep    leave the cluster and the settings folder for you to explore (the default: the
#             script never deletes a cluster it did not create)
#   --delete  delete the cluster this script created (name: $KIND_CLUSTER, default knitfab-try)
#             and its folder $KNITFAB_TRY_DIR (default .try-on-kind), then stop
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

cluster="${KIND_CLUSTER:-knitfab-try}"
namespace="knitfab"
work="${KNITFAB_TRY_DIR:-$root/.try-on-kind}"

say() { printf '\n== %s\n' "$*" >&2; }
fail() { printf 'try-on-kind.sh: %s\n' "$*" >&2; exit 1; }

case "${1:-}" in
  "" | --keep) ;;
  --delete)
    if kind get clusters 2>/dev/null | grep -qx "$cluster" && [ -f "$work/created-by-try-on-kind" ]; then
      kind delete cluster --name "$cluster"
      rm -rf "$work"
    else
      fail "no cluster \"$cluster\" created by this script (looked for $work/created-by-try-on-kind); nothing deleted"
    fi
    exit 0
    ;;
  -h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) fail "unknown option \"$1\" (see --help)" ;;
esac

for tool in kind kubectl helm podman node; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is not on PATH: install it first (see the header of this script)"
done
[ -f packages/server/dist/bin/knitfab.js ] && [ -f packages/cli/bin/knit.cjs ] || fail "build first: npm ci && npm run build"
knitfab() { node "$root/packages/server/dist/bin/knitfab.js" "$@"; }
knit() { (cd "$work/project" && HOME="$work/home" node "$root/packages/cli/bin/knit.cjs" "$@"); }

say "1. images, built offline with Podman"
server_image="$(bash scripts/build-server-image.sh | tail -n 1)"
postgres_image="$(bash scripts/build-postgres-image.sh | tail -n 1)"
registry_image="$(bash scripts/build-registry-image.sh | tail -n 1)"
task_image="$(bash scripts/make-test-image.sh | tail -n 1)"
printf '   %s\n' "$server_image" "$postgres_image" "$registry_image" "$task_image" >&2

say "2. the kind cluster \"$cluster\""
mkdir -p "$work"
if kind get clusters 2>/dev/null | grep -qx "$cluster"; then
  echo "   exists already: used as it is" >&2
else
  cat >"$work/kind.yaml" <<'EOF'
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
    extraPortMappings:
      - { containerPort: 30803, hostPort: 30803, listenAddress: "127.0.0.1" }
      - { containerPort: 30503, hostPort: 30503, listenAddress: "127.0.0.1" }
EOF
  kind create cluster --name "$cluster" --config "$work/kind.yaml" --wait 5m
  touch "$work/created-by-try-on-kind"
fi
kubeconfig="$work/kubeconfig"
kind get kubeconfig --name "$cluster" >"$kubeconfig"

say "3. images loaded into the cluster's nodes"
for image in "$server_image" "$postgres_image" "$registry_image" "$task_image"; do
  archive="$work/image.tar"
  podman save --format docker-archive -o "$archive" "$image"
  kind load image-archive "$archive" --name "$cluster"
  rm -f "$archive"
done

say "4. knitfab installed with the installer"
settings="$work/settings"
if [ ! -d "$settings" ]; then
  knitfab admin install --prepare --settings "$settings" --namespace "$namespace" --host 127.0.0.1 --kubeconfig "$kubeconfig"
fi
# The administrator's edits for kind: the offline images, kind's storage class, small Data claims.
SERVER_IMAGE="$server_image" POSTGRES_IMAGE="$postgres_image" REGISTRY_IMAGE="$registry_image" VALUES="$settings/values/knitfab.yaml" \
  node --input-type=module -e '
    import { readFileSync, writeFileSync } from "node:fs";
    import { createRequire } from "node:module";
    const { parse, stringify } = createRequire(process.cwd() + "/package.json")("yaml");
    const file = process.env.VALUES;
    const values = parse(readFileSync(file, "utf8")) ?? {};
    const image = process.env.SERVER_IMAGE;
    const at = image.lastIndexOf(":");
    values.image = { ...values.image, repository: image.slice(0, at), tag: image.slice(at + 1), pullPolicy: "IfNotPresent" };
    values.imageRegistry = { ...values.imageRegistry, use: true, image: process.env.REGISTRY_IMAGE };
    values.database = { ...values.database, external: false, image: process.env.POSTGRES_IMAGE };
    values.storage = { ...values.storage, create: false, class: { data: "standard", system: "standard" } };
    values.store = { ...values.store, dataSize: "256Mi" };
    writeFileSync(file, stringify(values), { mode: 0o600 });
  '
knitfab admin install --settings "$settings"
kubectl --kubeconfig "$kubeconfig" -n "$namespace" get pods >&2

say "5. the user guide's pipeline, with knit"
rm -rf "$work/project" "$work/home"
mkdir -p "$work/project/dataset" "$work/home"
knit init "$settings/handouts/knitprofile"
echo "1 2 3 4" >"$work/project/dataset/numbers.txt"
dataset="$(knit data push -t project:try -t type:dataset dataset | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).knitId))')"
echo "   dataset $dataset" >&2
plan() { # name, input path, input type, output path, output type, script
  cat >"$work/project/$1.yaml" <<EOF
image: "$task_image"
entrypoint: ["sh", "-c"]
args: ["$6"]
inputs:
  - path: "$2"
    tags: ["project:try", "type:$3"]
outputs:
  - path: "$4"
    tags: ["project:try", "type:$5"]
log:
  tags: ["project:try", "type:log"]
resources:
  cpu: "0.5"
  memory: "128Mi"
EOF
  knit plan apply "$1.yaml" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).planId))'
}
train="$(plan train /in/data dataset /out/model model 'echo training on $(cat /in/data/numbers.txt); wc -w < /in/data/numbers.txt > /out/model/words')"
validate="$(plan validate /in/model model /out/score score 'echo validating; expr $(cat /in/model/words) \\* 10 > /out/score/score')"
wait_run() { # plan id → the run id once it is done
  local run=""
  for _ in $(seq 1 120); do
    run="$(knit run find -p "$1" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);console.log(r.length?r[0].runId:"")})')"
    [ -n "$run" ] && break
    sleep 5
  done
  [ -n "$run" ] || fail "no run of plan $1 after 10 minutes (kubectl -n $namespace get pods; knit plan show $1)"
  knit run wait --timeout 10m "$run" >/dev/null || fail "run $run did not end done (knit run show --log $run)"
  echo "$run"
}
train_run="$(wait_run "$train")"
validate_run="$(wait_run "$validate")"
knit run show --log "$train_run"
score="$(knit run show "$validate_run" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).outputs[0].knitId))')"
knit data pull -x "$score" "$work/project/score"
echo "   score: $(cat "$work/project/score/score")  (expected 40)" >&2
knit data lineage -n all "$dataset"

say "done: the cluster \"$cluster\" and $work are kept (KUBECONFIG=$kubeconfig); scripts/try-on-kind.sh --delete removes them"
