import { hostname, networkInterfaces } from "node:os";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ForbiddenError } from "@knitfab/domain";

/**
 * Which Host names the server answers to. A page on an attacker's domain whose DNS name is
 * re-pointed at this server (DNS rebinding) reaches it with the attacker's name in `Host`; the
 * names a user really types are loopback, this machine's name and the address it listens on,
 * plus what the administrator adds (`--allowed-hosts`; `*` turns the check off).
 */
export interface HostRules {
  /** the address the server listens on (`--listen`) */
  listen: string;
  /** further names (any port); `*` accepts every name */
  allowed: readonly string[];
}

declare module "fastify" {
  interface FastifyContextConfig {
    /** answered whatever the Host header names: health probes, which reveal nothing and change nothing */
    anyHost?: boolean;
  }
}

const LOOPBACK = ["localhost", "127.0.0.1", "::1"];
const WILDCARD_ADDRESSES = new Set(["0.0.0.0", "::", ""]);
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The Host check on every request and the Origin check on every request that may change something. */
export function installOriginRules(app: FastifyInstance, rules: HostRules): void {
  const names = allowedNames(rules);
  // Names the administrator listed are this server's names, also when a reverse proxy rewrites Host.
  const listed = new Set(rules.allowed.filter((entry) => entry !== "*").map(nameOfEntry));
  app.addHook("onRequest", async (request) => {
    if (names && request.routeOptions.config?.anyHost !== true) checkHost(request, names);
    if (!SAFE_METHODS.has(request.method)) checkOrigin(request, listed);
  });
}

/** The lower-case names accepted, or undefined when every name is. */
function allowedNames(rules: HostRules): ReadonlySet<string> | undefined {
  if (rules.allowed.includes("*")) return undefined;
  const names = new Set([...LOOPBACK, hostname(), ...rules.allowed].map(nameOfEntry));
  if (WILDCARD_ADDRESSES.has(rules.listen)) {
    // listening on every interface: each of this machine's addresses is a name users reach it by
    for (const addresses of Object.values(networkInterfaces())) {
      for (const address of addresses ?? []) names.add(normalizeName(address.address));
    }
  } else {
    names.add(normalizeName(rules.listen));
  }
  return names;
}

function checkHost(request: FastifyRequest, names: ReadonlySet<string>): void {
  const host = request.headers.host;
  // Browsers always send Host; a request without one (HTTP/1.0 tools) cannot come from a rebinding page.
  if (host === undefined) return;
  const name = hostNameOf(host);
  if (name !== undefined && names.has(name)) return;
  throw new ForbiddenError("forbidden", {
    advice:
      `this server does not answer to the name "${host}". If that is a name of this server, start it with ` +
      `--allowed-hosts ${name ?? host} (or KNITFAB_ALLOWED_HOSTS=${name ?? host}); "*" accepts every name`,
  });
}

/**
 * A request that may change something and carries an Origin (every browser request does) must
 * come from a page of this server: same host and port as the Host it was sent to, or a name listed
 * with --allowed-hosts. Requests without Origin (the CLI, scripts) are not from a page and pass.
 * Loopback names do not count on their own: another program's page on localhost is not ours.
 */
function checkOrigin(request: FastifyRequest, listed: ReadonlySet<string>): void {
  const origin = request.headers.origin;
  if (origin === undefined) return;
  if (sameOrigin(origin, request.headers.host) || listed.has(originName(origin) ?? "")) return;
  throw new ForbiddenError("forbidden", {
    advice: `a page of another origin (${origin}) may not change anything here; use the web console of this server, the knit CLI or a script`,
  });
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    const page = new URL(origin);
    if (page.protocol !== "http:" && page.protocol !== "https:") return false;
    // parsed as a URL of the page's scheme, so a default port written out (":80") compares equal
    return page.host === new URL(`${page.protocol}//${host}`).host;
  } catch {
    return false; // "null" (sandboxed pages, file:) and anything unparsable
  }
}

/** The host name of a page's origin (`https://name:port`), or undefined for "null" and the like. */
function originName(origin: string): string | undefined {
  try {
    const page = new URL(origin);
    return page.protocol === "http:" || page.protocol === "https:" ? normalizeName(page.hostname) : undefined;
  } catch {
    return undefined;
  }
}

/** An --allowed-hosts entry (a name, an address, either with a port) as a host name. */
function nameOfEntry(entry: string): string {
  return hostNameOf(entry) ?? normalizeName(entry);
}

/** The host name of a Host header (no port, no IPv6 brackets, lower case), or undefined if it is not one. */
function hostNameOf(host: string): string | undefined {
  try {
    return normalizeName(new URL(`http://${host}`).hostname);
  } catch {
    return undefined;
  }
}

function normalizeName(name: string): string {
  return name.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "");
}
