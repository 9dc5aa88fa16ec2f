import { writeFileSync } from "node:fs";

export type KubeconfigCredentials =
  | { readonly clientCertificate: string; readonly clientKey: string }
  | { readonly token: string };

/**
 * Writes a kubeconfig with one cluster, user and context. It is JSON, which is YAML too, and
 * names the certificate files by path; kubectl, the Go components and @kubernetes/client-node
 * all read it.
 */
export function writeKubeconfig(file: string, options: { server: string; caFile: string; user: string; credentials: KubeconfigCredentials }): string {
  const user =
    "token" in options.credentials
      ? { token: options.credentials.token }
      : { "client-certificate": options.credentials.clientCertificate, "client-key": options.credentials.clientKey };
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "knitfab-test", cluster: { server: options.server, "certificate-authority": options.caFile } }],
    users: [{ name: options.user, user }],
    contexts: [{ name: "knitfab-test", context: { cluster: "knitfab-test", user: options.user } }],
    "current-context": "knitfab-test",
  };
  writeFileSync(file, JSON.stringify(config, null, 2) + "\n", { mode: 0o600 });
  return file;
}
