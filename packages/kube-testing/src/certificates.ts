import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** A certificate and its private key, as PEM files on disk. */
export interface CertificateFiles {
  readonly cert: string;
  readonly key: string;
}

export interface ClientIdentity {
  /** Becomes the Kubernetes user name (the certificate's CN). */
  readonly user: string;
  /** Become the user's groups (one O= each), e.g. `system:masters`, `system:nodes`. */
  readonly groups?: readonly string[];
}

function openssl(args: readonly string[]): void {
  const result = spawnSync("openssl", args, { encoding: "utf8" });
  if (result.error) {
    throw new Error(`kube-testing: could not run openssl (${result.error.message}); install it (apt-get install openssl)`);
  }
  if (result.status !== 0) {
    throw new Error(`kube-testing: openssl ${args[0]} failed (${result.status}): ${result.stderr}`);
  }
}

/** Subject components are joined by `/`; a `/` or `=` inside a value would change the subject. */
function subjectValue(value: string): string {
  if (/[/=+,\\]/.test(value) || value.length === 0) {
    throw new Error(`kube-testing: ${JSON.stringify(value)} cannot be a certificate subject value`);
  }
  return value;
}

/**
 * A throw-away certificate authority for one control plane, made with the openssl command
 * (present on every Debian machine) so the package needs no X.509 library. Keys are P-256:
 * fast to generate, and accepted by every Kubernetes component.
 */
export class TestCertificateAuthority {
  readonly cert: string;
  private readonly key: string;
  private readonly config: string;

  constructor(private readonly dir: string) {
    this.cert = join(dir, "ca.crt");
    this.key = join(dir, "ca.key");
    // A config with no default extensions, so that every extension comes from -addext and
    // openssl's own defaults (such as CA:TRUE on every req -x509) never slip in.
    this.config = join(dir, "openssl.cnf");
    writeFileSync(this.config, "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = unused\n");
    openssl([
      "req", "-x509", "-config", this.config, "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", this.key, "-out", this.cert, "-days", "7", "-subj", "/CN=knitfab-test-kubernetes-ca",
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
    ]);
  }

  private issue(name: string, subject: string, extensions: readonly string[]): CertificateFiles {
    const files = { cert: join(this.dir, `${name}.crt`), key: join(this.dir, `${name}.key`) };
    openssl([
      "req", "-x509", "-config", this.config, "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", files.key, "-out", files.cert, "-days", "7", "-subj", subject, "-CA", this.cert, "-CAkey", this.key,
      "-addext", "basicConstraints=critical,CA:FALSE", "-addext", "keyUsage=critical,digitalSignature,keyEncipherment",
      ...extensions.flatMap((extension) => ["-addext", extension]),
    ]);
    return files;
  }

  /** A serving certificate valid for the given DNS names and IP addresses. */
  server(name: string, dnsNames: readonly string[], ips: readonly string[]): CertificateFiles {
    const alt = [...dnsNames.map((dns) => `DNS:${dns}`), ...ips.map((ip) => `IP:${ip}`)].join(",");
    return this.issue(name, `/CN=${subjectValue(name)}`, ["extendedKeyUsage=serverAuth", `subjectAltName=${alt}`]);
  }

  /** A client certificate: the API server's x509 authenticator reads CN as the user, O as groups. */
  client(name: string, identity: ClientIdentity): CertificateFiles {
    const groups = (identity.groups ?? []).map((group) => `/O=${subjectValue(group)}`).join("");
    return this.issue(name, `${groups}/CN=${subjectValue(identity.user)}`, ["extendedKeyUsage=clientAuth"]);
  }
}

/** An EC key pair for service-account tokens: the API server signs with the private half and verifies with the public one. */
export function serviceAccountKeys(dir: string): { privateKey: string; publicKey: string } {
  const privateKey = join(dir, "service-account.key");
  const publicKey = join(dir, "service-account.pub");
  openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", privateKey]);
  openssl(["pkey", "-in", privateKey, "-pubout", "-out", publicKey]);
  return { privateKey, publicKey };
}
