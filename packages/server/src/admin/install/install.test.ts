/**
 * `knitfab admin install` and `uninstall` through their commander program (in this process) with a real helm: the
 * settings folder, --dry-run (the manifests, schema-valid), the handout, and bad input refused with
 * nothing changed. Installing into a cluster is left to the control-plane tests.
 */
import { X509Certificate } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runAdmin } from "./cli-testing.js";
import { generateTls } from "../tls-commands.js";
import { named, parseManifests, stringDataOf, validateManifest } from "./chart-testing.js";
import { helmFromLayer } from "./helm-binary.js";
import { readSettings, writeHandouts } from "./settings.js";

const HOST = "192.0.2.10";

let folder: string;
let helmPath: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "knitfab-install-"));
  helmPath = await helmFromLayer();
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

const knitfab = (args: string[], env: Record<string, string> = {}) => runAdmin(args, { HELM: helmPath, ...env });

/** Every file under a folder with its content: to show that nothing changed. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const files: Record<string, string> = {};
  for (const entry of entries) if (entry.isFile()) files[join(entry.parentPath, entry.name)] = await readFile(join(entry.parentPath, entry.name), "utf8");
  return files;
}

describe("knitfab admin install", () => {
  it("--prepare writes a settings folder with values, a CA and a server certificate for --host; --dry-run prints valid manifests", async () => {
    const settings = join(folder, "generated");
    const prepared = await knitfab(["install", "--prepare", "--settings", settings, "--host", HOST, "--namespace", "ml"]);
    expect(prepared.code, prepared.stderr).toBe(0);
    expect((await readdir(settings)).sort()).toEqual(["README.md", "certs", "hosts", "namespace", "values"]);
    expect((await readdir(join(settings, "values"))).sort()).toEqual(["certs.yaml", "extra-api.yaml", "hooks.yaml", "knitfab.yaml"]);
    expect(await readFile(join(settings, "namespace"), "utf8")).toBe("ml\n");
    const certificate = new X509Certificate(await readFile(join(settings, "certs", "server.crt")));
    expect(certificate.subjectAltName).toContain(`IP Address:${HOST}`);
    expect(certificate.verify(new X509Certificate(await readFile(join(settings, "certs", "ca.crt"))).publicKey)).toBe(true);
    const certValues = parse(await readFile(join(settings, "values", "certs.yaml"), "utf8")) as { certs: Record<string, string> };
    expect(Buffer.from(certValues.certs.cert ?? "", "base64").toString()).toBe(await readFile(join(settings, "certs", "server.crt"), "utf8"));
    const password = (parse(await readFile(join(settings, "values", "knitfab.yaml"), "utf8")) as { database: { credential: { password: string } } }).database.credential.password;
    expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // preparing again is refused and changes nothing
    const before = await snapshot(settings);
    const again = await knitfab(["install", "--prepare", "--settings", settings, "--host", HOST]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("holds settings already");
    expect(await snapshot(settings)).toEqual(before);

    const dryRun = await knitfab(["install", "--settings", settings, "--dry-run"]);
    expect(dryRun.code, dryRun.stderr).toBe(0);
    const manifests = parseManifests(dryRun.stdout);
    for (const manifest of manifests) validateManifest(manifest);
    expect(manifests.every((manifest) => manifest.metadata.namespace === undefined || manifest.metadata.namespace === "ml")).toBe(true);
    expect(named(manifests, "Secret", "certs")).toBeDefined();
    expect(stringDataOf(named(manifests, "Secret", "database-credential")).password).toBe(password);
    const api = (named(manifests, "Deployment", "knitd")?.spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec.containers[0];
    expect(api?.args).toContain("--tls-cert=/knit/certs/tls.crt");
    // a dry run writes no handout
    expect(await readdir(settings)).not.toContain("handouts");
  }, 300_000);

  it("writes the handout: a knitprofile with the API URL and CA, and the registry's CA for docker", async () => {
    const settings = join(folder, "handout");
    expect((await knitfab(["install", "--prepare", "-s", settings, "--host", HOST])).code).toBe(0);
    const handouts = await writeHandouts(await readSettings(settings));
    const ca = await readFile(join(settings, "certs", "ca.crt"), "utf8");
    expect(parse(await readFile(join(handouts, "knitprofile"), "utf8"))).toEqual({ apiRoot: `https://${HOST}:30803/api`, cert: { ca: Buffer.from(ca).toString("base64") } });
    expect(await readFile(join(handouts, "docker", "certs.d", `${HOST}:30503`, "ca.crt"), "utf8")).toBe(ca);
  }, 300_000);

  it("takes the administrator's own certificate, or none (--no-tls: plain HTTP)", async () => {
    const own = join(folder, "own-certs");
    await generateTls(own, ["knitfab.example"]);
    const settings = join(folder, "own");
    const prepared = await knitfab(["install", "--prepare", "-s", settings, "--host", "knitfab.example", "--tls-cert", join(own, "server.crt"), "--tls-key", join(own, "server.key"), "--tls-ca", join(own, "ca.crt")]);
    expect(prepared.code, prepared.stderr).toBe(0);
    expect(await readFile(join(settings, "certs", "server.crt"), "utf8")).toBe(await readFile(join(own, "server.crt"), "utf8"));
    expect(await readdir(join(settings, "certs"))).not.toContain("ca.key");

    const plain = join(folder, "plain");
    expect((await knitfab(["install", "--prepare", "-s", plain, "--host", HOST, "--no-tls"])).code).toBe(0);
    const dryRun = await knitfab(["install", "-s", plain, "--dry-run"]);
    expect(named(parseManifests(dryRun.stdout), "Secret", "certs")).toBeUndefined();
    const handouts = await writeHandouts(await readSettings(plain));
    expect(await readFile(join(handouts, "knitprofile"), "utf8")).toBe(`apiRoot: http://${HOST}:30803/api\n`);
  }, 300_000);

  it("refuses bad input with a clear message and changes nothing", async () => {
    // a key that is not the certificate's: no folder is left
    const own = join(folder, "mismatch-certs");
    const other = join(folder, "other-certs");
    await generateTls(own, ["a.example"]);
    await generateTls(other, ["b.example"]);
    const settings = join(folder, "refused");
    const mismatch = await knitfab(["install", "--prepare", "-s", settings, "--host", HOST, "--tls-cert", join(own, "server.crt"), "--tls-key", join(other, "server.key")]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain("is not the key of the certificate");
    expect(await readdir(folder)).not.toContain("refused");

    // no helm
    const noHelm = await knitfab(["install", "--prepare", "-s", settings, "--host", HOST], { HELM: join(folder, "no-such-helm") });
    expect(noHelm.code).toBe(1);
    expect(noHelm.stderr).toContain("helm not found");
    expect(await readdir(folder)).not.toContain("refused");

    // values the chart refuses: the chart's message, nothing rendered
    const prepared = join(folder, "bad-values");
    expect((await knitfab(["install", "--prepare", "-s", prepared, "--host", HOST, "--no-tls"])).code).toBe(0);
    await writeFile(join(prepared, "values", "hooks.yaml"), "database:\n  external: true\n");
    const badValues = await knitfab(["install", "-s", prepared, "--dry-run"]);
    expect(badValues.code).toBe(1);
    expect(badValues.stdout).toBe("");
    expect(badValues.stderr).toContain("database.external needs database.externalUrl");

    // an unreachable cluster: helm's own message, no handout
    const good = join(folder, "unreachable");
    expect((await knitfab(["install", "--prepare", "-s", good, "--host", HOST, "--no-tls"])).code).toBe(0);
    const kubeconfig = join(folder, "unreachable.kubeconfig");
    await writeFile(
      kubeconfig,
      "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:9'}}]\nusers: [{name: u, user: {token: t}}]\n" +
        "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n",
    );
    const before = await snapshot(good);
    const unreachable = await knitfab(["install", "-s", good, "--kubeconfig", kubeconfig]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/helm upgrade --install failed: .*(refused|unreachable)/s);
    expect(await snapshot(good)).toEqual(before);

    const uninstall = await knitfab(["uninstall", "-s", good, "--kubeconfig", kubeconfig]);
    expect(uninstall.code).toBe(1);
    expect(uninstall.stderr).toContain("helm uninstall knitfab failed");
  }, 300_000);

  it("--help explains the steps", async () => {
    const help = await knitfab(["install", "--help"]);
    expect(help.stdout).toContain("--prepare");
    expect(help.stdout).toContain("--dry-run");
    expect(help.stdout).toContain("handouts");
  });
});
