import { X509Certificate } from "node:crypto";
import { ValueError } from "../cli/errors.js";

/**
 * One connection profile: where the API is, optionally which CA to trust for it, and optionally the
 * API token to send (`token`, our addition: servers started with `--auth tokens` need one; the
 * reference's profiles have none and stay valid).
 */
export interface Profile {
  apiRoot: string;
  cert?: { ca?: string };
  token?: string;
}

/** Checks a parsed YAML value is a usable profile; the message says which part is wrong. */
export function verifyProfile(value: unknown, source: string): Profile {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ValueError(`${source}: a profile is a YAML map with 'apiRoot' (and optionally 'cert: {ca: ...}')`);
  }
  const record = value as Record<string, unknown>;
  const apiRoot = record.apiRoot;
  if (typeof apiRoot !== "string" || !isAbsoluteUrl(apiRoot)) {
    throw new ValueError(`${source}: 'apiRoot' must be an absolute URL such as https://example.com:30803/api`);
  }
  const profile: Profile = { apiRoot };
  const cert = record.cert;
  if (cert !== undefined && cert !== null) {
    if (typeof cert !== "object" || Array.isArray(cert)) {
      throw new ValueError(`${source}: 'cert' must be a map with 'ca'`);
    }
    const ca = (cert as Record<string, unknown>).ca;
    if (ca !== undefined && ca !== null && ca !== "") {
      if (typeof ca !== "string" || !caPem(ca)) {
        throw new ValueError(`${source}: 'cert.ca' must be base64 of PEM certificate(s)`);
      }
      profile.cert = { ca };
    }
  }
  const token = record.token;
  if (token !== undefined && token !== null && token !== "") {
    if (typeof token !== "string" || !/^[\x21-\x7e]{1,1024}$/.test(token)) {
      throw new ValueError(`${source}: 'token' must be the API token as given by the administrator (printable, no spaces)`);
    }
    profile.token = token;
  }
  return profile;
}

function isAbsoluteUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol !== "" && url.host !== "";
  } catch {
    return false;
  }
}

/** Decodes `cert.ca` to PEM text; undefined when it holds no PEM block. */
export function caPem(base64: string): string | undefined {
  const pem = Buffer.from(base64, "base64").toString("utf8");
  if (!/-----BEGIN [A-Z0-9 ]+-----[\s\S]+?-----END [A-Z0-9 ]+-----/.test(pem)) return undefined;
  return pem;
}

/** True when the PEM holds at least one certificate node can read. */
export function hasCertificate(pem: string): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}
