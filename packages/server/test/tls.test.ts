import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { copyFile, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { connect, type PeerCertificate } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../test-support/index.js";

/** A CA and a server certificate for 127.0.0.1 signed by it (openssl), in `dir` with `prefix`. */
async function makeCertificates(dir: string, prefix: string, commonName: string): Promise<{ ca: string; cert: string; key: string }> {
  const run = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${prefix}ca.key`, "-out", `${prefix}ca.pem`, "-days", "2", "-subj", `/CN=${commonName} CA`]);
  run(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${prefix}server.key`, "-out", `${prefix}server.csr`, "-subj", `/CN=${commonName}`]);
  await writeFile(join(dir, `${prefix}ext.cnf`), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  run(["x509", "-req", "-in", `${prefix}server.csr`, "-CA", `${prefix}ca.pem`, "-CAkey", `${prefix}ca.key`, "-CAcreateserial", "-out", `${prefix}server.pem`, "-days", "2", "-extfile", `${prefix}ext.cnf`]);
  return { ca: join(dir, `${prefix}ca.pem`), cert: join(dir, `${prefix}server.pem`), key: join(dir, `${prefix}server.key`) };
}

/** The certificate the server presents in a fresh TLS handshake, verified against `ca`. */
function presented(port: number, ca: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, ca, servername: "localhost" }, () => {
      const certificate = socket.getPeerCertificate();
      socket.end();
      resolve(certificate);
    });
    socket.on("error", reject);
  });
}

/** `knitfab serve --tls-cert --tls-key`: HTTPS, a handout that carries the CA, new certificates served without a restart. */
describe("TLS serving", () => {
  let folder = "";
  let server: TestServer;
  let first: { ca: string; cert: string; key: string };
  let second: { ca: string; cert: string; key: string };
  const live = { cert: "", key: "" };

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), "knitfab-tls-"));
    first = await makeCertificates(folder, "one-", "knitfab one");
    second = await makeCertificates(folder, "two-", "knitfab two");
    live.cert = join(folder, "tls.crt");
    live.key = join(folder, "tls.key");
    await copyFile(first.cert, live.cert);
    await copyFile(first.key, live.key);
    server = await startTestServer("pglite", { flags: { tlsCert: live.cert, tlsKey: live.key, tlsCa: first.ca } });
  });

  afterAll(async () => {
    await server?.stop();
    await rm(folder, { recursive: true, force: true });
  });

  it("serves HTTPS and hands out its CA in the profile", async () => {
    expect(server.apiRoot).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/api$/);
    const handout = await readFile(join(server.home, "handout", "knitprofile"), "utf8");
    const ca = /^ {2}ca: (\S+)$/m.exec(handout)?.[1] ?? "";
    expect(handout.startsWith(`apiRoot: ${server.apiRoot}\ncert:\n`)).toBe(true);
    expect(Buffer.from(ca, "base64").toString("utf8")).toBe(await readFile(first.ca, "utf8"));
    const port = Number(new URL(server.url).port);
    const certificate = await presented(port, await readFile(first.ca, "utf8"));
    expect(certificate.subject.CN).toBe("knitfab one");
  });

  it("presents the new certificate in the next handshake once the files are replaced", async () => {
    const port = Number(new URL(server.url).port);
    const secondCa = await readFile(second.ca, "utf8");
    // replaced as tools do: written aside, renamed over
    await copyFile(second.cert, `${live.cert}.new`);
    await copyFile(second.key, `${live.key}.new`);
    await rename(`${live.key}.new`, live.key);
    await rename(`${live.cert}.new`, live.cert);
    let subject: unknown = "";
    for (let attempt = 0; attempt < 100 && subject !== "knitfab two"; attempt++) {
      subject = await presented(port, secondCa).then(
        (certificate) => certificate.subject.CN,
        () => "",
      );
      if (subject !== "knitfab two") await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(subject).toBe("knitfab two");
    expect(new X509Certificate(await readFile(live.cert)).subject).toContain("knitfab two");
  });

  it("keeps the certificate it has when the new files do not fit together", async () => {
    const port = Number(new URL(server.url).port);
    await copyFile(first.key, live.key); // key of the first, certificate of the second
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await presented(port, await readFile(second.ca, "utf8"))).subject.CN).toBe("knitfab two");
  });

  it("refuses to start with a key that is not the certificate's", async () => {
    await expect(startTestServer("pglite", { flags: { tlsCert: first.cert, tlsKey: second.key } })).rejects.toThrow(/--tls-key .* is not the key of the certificate/);
  });
});
