import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { text } from "node:stream/consumers";
import { BACKENDS, allFinished, shellPlan } from "@knitfab/testing";
import { applyPlan, pushData, startTestEngine, waitForRuns, type TestEngine } from "./support.js";

/**
 * A task that tries to leave hazards on the host through its output (issue 8 item 1), on real Podman:
 * a setuid copy of its input, a setgid folder, a FIFO, a device (refused: no MKNOD capability), and
 * links leading outside the Data. After the run, the output Data holds none of them.
 */
describe.each(BACKENDS)("task outputs on the host, on %s", (backend) => {
  let engine: TestEngine;

  beforeAll(async () => {
    engine = await startTestEngine(backend, { logger: { error: () => {} } });
  });
  afterAll(async () => {
    await engine?.stop();
  });

  it("carry no setuid/setgid file, special file or link leading outside, and the Data folders are private", async () => {
    const tag = `hazard:${backend}`;
    const script = [
      "cp /in/tool /out/tool && chmod 4755 /out/tool && chmod 2755 /out",
      "mkdir /out/sub && cp /in/tool /out/sub/tool && chmod 6755 /out/sub/tool",
      "mkfifo /out/fifo",
      "mknod /out/null c 1 3 || echo 'mknod refused'",
      "ln -s /etc/shadow /out/shadow && ln -s ../../../.. /out/up && ln -s tool /out/tool-link",
      "ls -l /out",
    ].join("; ");
    const planId = await applyPlan(engine, shellPlan(script, { inputs: [{ path: "/in", tags: [tag] }], outputs: [{ path: "/out", tags: [`${tag}-out`] }] }));
    await pushData(engine, [{ name: "tool", content: "#!/bin/sh\necho root\n" }], [tag]);
    const [run] = await waitForRuns(engine, planId, allFinished(1));
    expect(run!.status).toBe("done");
    // the task did make them (the container sees its own doing), and mknod was refused
    const log = await text(await engine.store.readConcatenated(run!.log!.knitId));
    expect(log).toMatch(/-rwsr-xr-x .* tool\n/);
    expect(log).toContain("mknod refused");

    const output = run!.outputs[0]!.knitId;
    const folder = join(engine.home, "data", "data", output);
    expect((await readdir(folder)).sort()).toEqual(["sub", "tool", "tool-link"]);
    expect((await lstat(join(folder, "tool"))).mode & 0o7777).toBe(0o755);
    expect((await lstat(join(folder, "sub/tool"))).mode & 0o7777).toBe(0o755);
    expect((await lstat(folder)).mode & 0o7777).toBe(0o755);
    expect(await readlink(join(folder, "tool-link"))).toBe("tool");
    // other users of the machine cannot reach any Data
    expect((await lstat(join(engine.home, "data"))).mode & 0o777).toBe(0o700);
  });
});
