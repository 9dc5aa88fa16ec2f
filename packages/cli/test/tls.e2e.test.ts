import { execFileSync } from "node:child_process";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newUser, startServer, type Server, type User } from "./harness.js";

let server: Server;
let user: User;
let proxy: https.Server;
let caPem: string;
let httpsRoot: string;

/** A CA and a certificate for 127.0.0.1 signed by it, made with openssl. */
async function makeCertificates(dir: string): Promise<{ ca: string; key: string; cert: string }> {
  const run = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=knit test CA"]);
  run(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]);
  await writeFile(join(dir, "ext.cnf"), "subjectAltName=IP:127.0.0.1\n");
  run(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf"]);
  return {
    ca: await readFile(join(dir, "ca.pem"), "utf8"),
    key: await readFile(join(dir, "server.key"), "utf8"),
    cert: await readFile(join(dir, "server.pem"), "utf8"),
  };
}

beforeAll(async () => {
  server = await startServer();
  user = await newUser();
  const certs = await makeCertificates(await mkdtemp(join(tmpdir(), "knit-tls-")));
  caPem = certs.ca;
  const upstream = new URL(server.apiRoot);
  // A TLS-terminating reverse proxy in front of the real server, as an ingress would be.
  proxy = https.createServer({ key: certs.key, cert: certs.cert }, (request, response) => {
    const forwarded = http.request(
      { host: upstream.hostname, port: upstream.port, path: request.url, method: request.method, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    request.pipe(forwarded);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  httpsRoot = `https://127.0.0.1:${(proxy.address() as AddressInfo).port}/api`;
});

afterAll(async () => {
  proxy?.close();
  await server?.stop();
});

describe("TLS with the profile's CA", () => {
  it("trusts the server through cert.ca, and explains the failure without it", async () => {
    const withCa = join(user.home, "with-ca");
    await writeFile(withCa, `apiRoot: ${httpsRoot}\ncert:\n  ca: ${Buffer.from(caPem).toString("base64")}\n`);
    expect((await user.knit(["init", "--profile", "tls", withCa])).code).toBe(0);
    const found = await user.knit(["data", "find"]);
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout).toBe("[]\n");

    const withoutCa = join(user.home, "without-ca");
    await writeFile(withoutCa, `apiRoot: ${httpsRoot}\n`);
    expect((await user.knit(["init", "--profile", "plain", withoutCa])).code).toBe(0);
    const refused = await user.knit(["data", "find"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/certificate is not trusted: put its CA in the profile/);
  });

  it("refuses a cert.ca that holds no PEM", async () => {
    const bad = join(user.home, "bad-ca");
    await writeFile(bad, `apiRoot: ${httpsRoot}\ncert:\n  ca: ${Buffer.from("not a pem").toString("base64")}\n`);
    const r = await user.knit(["init", "--profile", "bad", bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cert\.ca/);
  });
});
