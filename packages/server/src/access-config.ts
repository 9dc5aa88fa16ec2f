import { isIP } from "node:net";

/** Access control and TLS of `knitfab serve` (README, "Access control and TLS"). */
export interface AccessConfig {
  /** `none`: anyone who reaches the port may do anything (the reference's behaviour); `tokens`: API tokens */
  auth: "none" | "tokens";
  /** HTTPS with these files, reloaded when they change; undefined for plain HTTP */
  tls: TlsFiles | undefined;
}

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** the CA put into the handout profile; the certificate itself when absent (self-signed) */
  caFile: string | undefined;
}

export interface AccessFlags {
  auth?: string;
  insecureNoAuth?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
}

/** Reads the access flags; `fail` raises the caller's configuration error. */
export function resolveAccessConfig(
  flags: AccessFlags,
  env: NodeJS.ProcessEnv,
  listen: { address: string; servesHttp: boolean },
  fail: (message: string) => never,
): AccessConfig {
  const authText = (flags.auth ?? env.KNITFAB_AUTH ?? "none").trim().toLowerCase();
  if (authText !== "none" && authText !== "tokens") fail(`--auth must be "none" or "tokens", got "${authText}"`);
  const auth = authText as AccessConfig["auth"];
  const insecure = flags.insecureNoAuth ?? isTrue(env.KNITFAB_INSECURE_NO_AUTH);
  if (listen.servesHttp && auth === "none" && !insecure && !isLoopback(listen.address)) {
    fail(
      `--listen ${listen.address} would let other machines use this server without any access control. ` +
        `Start it with --auth tokens (and give users tokens from 'knitfab admin token create'), ` +
        `or say --insecure-no-auth if every machine that can reach it may do anything`,
    );
  }
  const certFile = flags.tlsCert ?? env.KNITFAB_TLS_CERT;
  const keyFile = flags.tlsKey ?? env.KNITFAB_TLS_KEY;
  const caFile = flags.tlsCa ?? env.KNITFAB_TLS_CA;
  if ((certFile === undefined) !== (keyFile === undefined)) fail("--tls-cert and --tls-key go together: give both (PEM files), or neither for plain HTTP");
  if (caFile !== undefined && certFile === undefined) fail("--tls-ca needs --tls-cert and --tls-key");
  return { auth, tls: certFile !== undefined && keyFile !== undefined ? { certFile, keyFile, caFile } : undefined };
}

/** 127.0.0.0/8, ::1, localhost: only this machine can connect. */
export function isLoopback(address: string): boolean {
  const name = address.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (name === "localhost") return true;
  if (isIP(name) === 4) return name.startsWith("127.");
  if (isIP(name) === 6) return name === "::1" || /^::ffff:127\./.test(name);
  return false;
}

function isTrue(text: string | undefined): boolean {
  return text !== undefined && ["1", "true", "yes", "on"].includes(text.trim().toLowerCase());
}
