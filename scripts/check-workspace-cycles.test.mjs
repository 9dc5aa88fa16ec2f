import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { findCycles, workspaceGraph } from "./check-workspace-cycles.mjs";

const SCRIPT = fileURLToPath(new URL("./check-workspace-cycles.mjs", import.meta.url));
const ROOT = fileURLToPath(new URL("..", import.meta.url));

const made = [];
afterEach(() => {
  for (const folder of made.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** A workspace folder with one package.json per entry under packages/. */
function workspace(manifests) {
  const root = mkdtempSync(join(tmpdir(), "knitfab-workspace-"));
  made.push(root);
  for (const [folder, manifest] of Object.entries(manifests)) {
    mkdirSync(join(root, "packages", folder), { recursive: true });
    writeFileSync(join(root, "packages", folder, "package.json"), JSON.stringify(manifest));
  }
  return root;
}

describe("the workspace packages' dependencies", () => {
  it("form no cycle, devDependencies included", async () => {
    expect(findCycles(workspaceGraph(ROOT))).toEqual([]);
    const { stdout } = await promisify(execFile)(process.execPath, [SCRIPT, ROOT]);
    expect(stdout).toContain("no dependency cycle");
  });

  it("a cycle through a devDependency fails the check and is named", async () => {
    const root = workspace({
      db: { name: "@x/db", dependencies: { "@x/domain": "*", kysely: "*" }, devDependencies: { "@x/testing": "*" } },
      testing: { name: "@x/testing", dependencies: { "@x/db": "*" } },
      domain: { name: "@x/domain" },
    });
    expect(findCycles(workspaceGraph(root))).toEqual([["@x/db", "@x/testing", "@x/db"]]);
    const failed = await promisify(execFile)(process.execPath, [SCRIPT, root]).then(
      () => undefined,
      (error) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain("dependency cycle between workspace packages: @x/db → @x/testing → @x/db");
  });

  it("a longer cycle is found, and packages outside the workspace are not followed", () => {
    const root = workspace({
      a: { name: "a", dependencies: { b: "*", react: "*" } },
      b: { name: "b", peerDependencies: { c: "*" } },
      c: { name: "c", optionalDependencies: { a: "*" } },
      d: { name: "d", devDependencies: { a: "*" } },
    });
    expect(findCycles(workspaceGraph(root))).toEqual([["a", "b", "c", "a"]]);
  });
});
