import { describe, expect, it } from "vitest";
import { ConfigError, resolveServeConfig } from "./config.js";
import { isLoopback } from "./access-config.js";
import { parseExtraApis } from "./extra-apis-file.js";

describe("access configuration", () => {
  it("is off by default", () => {
    const config = resolveServeConfig({}, {});
    expect(config.access).toEqual({ auth: "none", tls: undefined });
  });

  it("refuses a non-loopback listen address without tokens, naming both ways out", () => {
    for (const listen of ["0.0.0.0", "::", "192.0.2.1", "myhost"]) {
      expect(() => resolveServeConfig({ listen }, {})).toThrow(ConfigError);
      expect(() => resolveServeConfig({ listen }, {})).toThrow(/--auth tokens.*--insecure-no-auth/s);
      expect(resolveServeConfig({ listen, auth: "tokens" }, {}).access.auth).toBe("tokens");
      expect(resolveServeConfig({ listen, insecureNoAuth: true }, {}).access.auth).toBe("none");
      expect(resolveServeConfig({ listen }, { KNITFAB_INSECURE_NO_AUTH: "true" }).access.auth).toBe("none");
      expect(resolveServeConfig({ listen }, { KNITFAB_AUTH: "tokens" }).access.auth).toBe("tokens");
      // a process without HTTP (loops only) listens on nothing
      expect(resolveServeConfig({ listen, role: "projection" }, {}).access.auth).toBe("none");
    }
    for (const listen of ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"]) expect(isLoopback(listen)).toBe(true);
  });

  it("checks the flags", () => {
    expect(() => resolveServeConfig({ auth: "password" }, {})).toThrow(/--auth must be "none" or "tokens"/);
    expect(() => resolveServeConfig({ tlsCert: "a.pem" }, {})).toThrow(/--tls-cert and --tls-key go together/);
    expect(() => resolveServeConfig({ tlsCa: "ca.pem" }, {})).toThrow(/--tls-ca needs/);
    expect(resolveServeConfig({ tlsCert: "a.pem", tlsKey: "a.key" }, { KNITFAB_TLS_CA: "ca.pem" }).access.tls).toEqual({
      certFile: "a.pem",
      keyFile: "a.key",
      caFile: "ca.pem",
    });
  });
});

describe("forward_authorization of an extra API", () => {
  it("is off unless said, and must be a boolean", () => {
    const [plain] = parseExtraApis("endpoints:\n  - path: /a\n    proxy_to: http://svc/a\n", "f.yaml");
    expect(plain?.forwardAuthorization).toBeUndefined();
    const [forwarding] = parseExtraApis("endpoints:\n  - path: /a\n    proxy_to: http://svc/a\n    forward_authorization: true\n", "f.yaml");
    expect(forwarding?.forwardAuthorization).toBe(true);
    expect(() => parseExtraApis("endpoints:\n  - path: /a\n    proxy_to: http://svc/a\n    forward_authorization: yes please\n", "f.yaml")).toThrow(
      /forward_authorization must be true or false/,
    );
  });
});
