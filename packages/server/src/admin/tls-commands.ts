import { execFile } from "node:child_process";
import { access, chmod, mkdir, rm, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import type { Command } from "commander";
import { adminCommand } from "./token-commands.js";

const run = promisify(execFile);

/** The files `knitfab admin tls generate` writes. */
export const GENERATED_FILES = ["ca.crt", "ca.key", "server.crt", "server.key"] as const;
const WORKING_FILES = ["server.csr", "server.ext", "ca.srl"] as const;

/**
 * A private CA and a server certificate it signs, for the given host names and addresses, made with
 * the openssl command: for `--tls-cert server.crt --tls-key server.key --tls-ca ca.crt`. The CA is
 * as the reference's installer makes it (RSA 4096, 10 years); the server certificate lasts 825 days,
 * the most clients accept. Nothing is overwritten.
 */
export async function generateTls(dir: string, hosts: readonly string[]): Promise<void> {
  if (hosts.length === 0) throw new Error("give at least one --host");
  for (const host of hosts) {
    if (!/^[A-Za-z0-9.:*-]+$/.test(host)) throw new Error(`--host "${host}" is not a host name or an IP address`);
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // the working files too: what is removed afterwards must be ours
  for (const name of [...GENERATED_FILES, ...WORKING_FILES]) {
    if (await access(join(dir, name)).then(() => true, () => false)) throw new Error(`${join(dir, name)} exists; choose an empty folder (nothing is overwritten)`);
  }
  const san = hosts.map((host) => (isIP(host) ? `IP:${host}` : `DNS:${host}`)).join(",");
  const openssl = async (args: string[]) => {
    try {
      await run("openssl", args, { cwd: dir });
    } catch (error) {
      const failure = error as NodeJS.ErrnoException & { stderr?: string };
      throw new Error(failure.code === "ENOENT" ? "the openssl command is needed (apt-get install openssl)" : `openssl failed: ${failure.stderr ?? failure.message}`);
    }
  };
  const written: string[] = [];
  try {
    written.push("ca.key", "ca.crt");
    await openssl(["req", "-x509", "-newkey", "rsa:4096", "-nodes", "-days", "3650", "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=knitfab/O=knitfab/OU=knitfab",
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
    written.push("server.key", "server.csr", "server.ext", "server.crt", "ca.srl");
    await openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=knitfab"]);
    await writeFile(join(dir, "server.ext"), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n`);
    await openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "825", "-sha256", "-out", "server.crt", "-extfile", "server.ext"]);
    await Promise.all(WORKING_FILES.map((name) => rm(join(dir, name), { force: true })));
    await chmod(join(dir, "ca.key"), 0o600);
    await chmod(join(dir, "server.key"), 0o600);
  } catch (error) {
    // only what this command wrote
    await Promise.all(written.map((name) => rm(join(dir, name), { force: true })));
    throw error;
  }
}

/** `knitfab admin tls generate DIR [--host NAME...]`. */
export function registerTlsCommands(program: Command): void {
  adminCommand(program)
    .command("tls")
    .description("TLS certificates for 'knitfab serve --tls-cert/--tls-key'")
    .command("generate")
    .description("make a private CA and a server certificate signed by it in DIR (ca.crt, ca.key, server.crt, server.key), with openssl")
    .argument("<dir>", "folder to write to (made if missing; files are never overwritten)")
    .option("--host <name...>", "host names and IP addresses users reach the server by (default: this machine's name, localhost, 127.0.0.1)")
    .action(async (dir: string, flags: { host?: string[] }) => {
      const folder = resolve(dir);
      const hosts = flags.host ?? [hostname(), "localhost", "127.0.0.1"];
      try {
        await generateTls(folder, hosts);
      } catch (error) {
        console.error(`knitfab: ${(error as Error).message}`);
        process.exit(1);
      }
      console.error(
        `knitfab: certificates for ${hosts.join(", ")} written to ${folder}; keep ca.key offline. Serve with:\n` +
          `  knitfab serve --tls-cert ${join(folder, "server.crt")} --tls-key ${join(folder, "server.key")} --tls-ca ${join(folder, "ca.crt")}`,
      );
    });
}
