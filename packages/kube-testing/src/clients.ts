import { ApiException, KubeConfig } from "@kubernetes/client-node";
import type { ClientIdentity } from "./certificates.js";

/** A @kubernetes/client-node configuration read from a kubeconfig file. */
export function clientFor(kubeconfig: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  return config;
}

/** The identity a kubelet has on a node: the Node authoriser and NodeRestriction key on it. */
export function nodeIdentity(nodeName: string): ClientIdentity {
  return { user: `system:node:${nodeName}`, groups: ["system:nodes"] };
}

/** The HTTP status of a failed API call, if it was one. */
export function errorStatus(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}
