import { PassThrough } from "node:stream";
import { text } from "node:stream/consumers";
import { describe, expect, it } from "vitest";
import { endWhenSourceBreaks } from "./piped-log.js";

describe("endWhenSourceBreaks", () => {
  it("ends the stream, keeping what came, when the piped source errors (a pipe alone would leave it open)", async () => {
    const source = new PassThrough();
    const stream = new PassThrough();
    const watch = endWhenSourceBreaks(stream);
    source.pipe(stream);
    source.write("before the cut\n");
    const read = text(stream);
    setImmediate(() => source.destroy(new Error("socket hang up")));
    expect(await read).toBe("before the cut\n");
    expect(watch.broken()?.message).toBe("socket hang up");
  });

  it("ends it when the source closes before its end, without an error", async () => {
    const source = new PassThrough();
    const stream = new PassThrough();
    const watch = endWhenSourceBreaks(stream);
    source.pipe(stream);
    const read = text(stream);
    setImmediate(() => source.destroy());
    expect(await read).toBe("");
    expect(watch.broken()?.message).toContain("cut before its end");
  });

  it("says nothing broke when the source ends", async () => {
    const source = new PassThrough();
    const stream = new PassThrough();
    const watch = endWhenSourceBreaks(stream);
    source.pipe(stream);
    const read = text(stream);
    source.end("whole\n");
    expect(await read).toBe("whole\n");
    await new Promise((resolve) => setImmediate(resolve));
    expect(watch.broken()).toBeUndefined();
  });
});
