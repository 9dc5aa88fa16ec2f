import { networkInterfaces } from "node:os";

/**
 * The machine's first external IPv4 address (container bridges aside). Stand-in nodes have it as
 * their InternalIP, and pods reach the API server there: containers on Podman's bridge reach the
 * host at its external address, while loopback inside a container is the container's own. Not
 * loopback for the nodes either: the API server refuses to proxy `nodes/<name>/proxy/…` (what the
 * volume expander scrapes) to a loopback address ("address not allowed"), as a cluster's nodes never are.
 */
export function machineAddress(): string {
  for (const [name, addresses] of Object.entries(networkInterfaces())) {
    if (/^(cni-|podman|veth|docker|br-)/.test(name)) continue;
    const found = addresses?.find((entry) => entry.family === "IPv4" && !entry.internal);
    if (found) return found.address;
  }
  throw new Error("kube-testing: this machine has no external IPv4 address (pods could not reach the API server, and the API server will not proxy to loopback nodes)");
}
