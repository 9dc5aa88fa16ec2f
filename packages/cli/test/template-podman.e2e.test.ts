import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { newUser, type User } from "./harness.js";

const IMAGE = `localhost/knit-template-e2e:v${process.pid}`;
let user: User;

/** Images made and saved by real Podman, in both formats `podman save` writes. */
beforeAll(async () => {
  user = await newUser();
  // A one-file root filesystem is enough: the template only reads the image config.
  const rootfs = execFileSync("tar", ["-c", "-C", "/etc", "hostname"]);
  execFileSync("podman", [
    "import",
    "--change", "VOLUME /in/dataset",
    "--change", "WORKDIR /work",
    "--change", 'ENTRYPOINT ["python", "train.py"]',
    "--change", 'CMD ["in/params", "/out/model"]',
    "-", IMAGE,
  ], { input: rootfs, stdio: ["pipe", "ignore", "pipe"] });
});

afterAll(() => {
  execFileSync("podman", ["rmi", "-f", IMAGE], { stdio: "ignore" });
});

describe("plan template from podman save", () => {
  for (const format of ["docker-archive", "oci-archive"]) {
    it(`reads ${format}`, async () => {
      const archive = execFileSync("podman", ["save", "--format", format, IMAGE], { maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "ignore"] });
      const r = await user.knit(["plan", "template", "--env", "/nonexistent/knitenv", IMAGE], { stdin: archive });
      expect(r.code, r.stderr).toBe(0);
      expect(parse(r.stdout)).toMatchObject({
        image: IMAGE,
        entrypoint: ["python", "train.py"],
        args: ["in/params", "/out/model"],
        inputs: [{ path: "/work/in/params", tags: ["type:params"] }, { path: "/in/dataset", tags: ["type:dataset"] }],
        outputs: [{ path: "/out/model", tags: ["type:model"] }],
      });
    });
  }
});
