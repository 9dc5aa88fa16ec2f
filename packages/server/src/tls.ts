import { watch, type FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, basename } from "node:path";
import type { Server } from "node:https";
import { X509Certificate, createPrivateKey } from "node:crypto";
import type { TlsFiles } from "./access-config.js";

export interface TlsMaterial {
  cert: string;
  key: string;
  /** PEM of the CA the handout profile trusts */
  ca: string;
}

/** Reads and checks the certificate, key and CA files; a message says which file is wrong. */
export async function loadTls(files: TlsFiles): Promise<TlsMaterial> {
  const read = (file: string, flag: string) =>
    readFile(file, "utf8").catch((error: Error) => {
      throw new Error(`cannot read ${flag} ${file}: ${error.message}`);
    });
  const [cert, key, ca] = await Promise.all([
    read(files.certFile, "--tls-cert"),
    read(files.keyFile, "--tls-key"),
    files.caFile === undefined ? undefined : read(files.caFile, "--tls-ca"),
  ]);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch {
    throw new Error(`--tls-cert ${files.certFile} holds no PEM certificate`);
  }
  try {
    if (!certificate.checkPrivateKey(createPrivateKey(key))) throw new Error("mismatch");
  } catch (error) {
    throw new Error(
      (error as Error).message === "mismatch"
        ? `--tls-key ${files.keyFile} is not the key of the certificate in ${files.certFile}`
        : `--tls-key ${files.keyFile} holds no PEM private key (unencrypted)`,
    );
  }
  if (ca !== undefined) {
    try {
      new X509Certificate(ca);
    } catch {
      throw new Error(`--tls-ca ${files.caFile} holds no PEM certificate`);
    }
  }
  return { cert, key, ca: ca ?? cert };
}

export interface Log {
  info(message: string): void;
  warn(message: string): void;
}

/**
 * Serves new certificates without a restart: when the certificate or key file changes (renewal,
 * cert-manager, a replaced Secret), both are read again and, once they form a valid pair, the next
 * TLS handshake presents them; connections already open keep theirs. A pair caught half-written is
 * ignored until the next change. Folders are watched rather than files, because tools replace files
 * by renaming (Kubernetes Secret volumes swap a symbolic link), which a file watch does not follow.
 */
export function watchTls(server: Server, files: TlsFiles, log: Log, settleMs = 200): () => void {
  const names = new Set([basename(files.certFile), basename(files.keyFile), "..data"]);
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const reload = async () => {
    try {
      const { cert, key } = await loadTls({ ...files, caFile: undefined });
      if (stopped) return;
      server.setSecureContext({ cert, key });
      log.info(`TLS certificate reloaded from ${files.certFile}`);
    } catch (error) {
      log.warn(`TLS certificate not reloaded (the previous one is still served): ${(error as Error).message}`);
    }
  };
  for (const folder of new Set([dirname(files.certFile), dirname(files.keyFile)])) {
    const watcher = watch(folder, (_event, name) => {
      if (name !== null && !names.has(String(name))) return;
      // a renewal writes two files: wait until both have settled
      clearTimeout(timer);
      timer = setTimeout(() => void reload(), settleMs);
    });
    watcher.on("error", (error) => log.warn(`cannot watch ${folder} for certificate changes: ${error.message}`));
    watchers.push(watcher);
  }
  return () => {
    stopped = true;
    clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
  };
}
