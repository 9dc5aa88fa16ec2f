import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../cli/logger.js";
import { createProgress, formatBytes } from "./progress.js";

function sink() {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => text };
}

describe("progress", () => {
  it("formats byte counts", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.50 KiB");
    expect(formatBytes(3 * 1024 ** 3)).toBe("3.00 GiB");
  });

  it("draws a bar with bytes, rate and ETA on a terminal", () => {
    const out = sink();
    const progress = createProgress({ stderr: out.stream, isTTY: true, logger: createLogger(out.stream, "knit data push"), label: "./ds" });
    progress.setTotal(4 * 1024 * 1024);
    progress.advance(2 * 1024 * 1024);
    progress.stop(true);
    expect(out.text()).toMatch(/\.\/ds \[#{15}-{15}\] 2\.00 MiB \/ ~4\.00 MiB at .+\/s, ETA \S+/);
  });

  it("writes a plain final line otherwise", () => {
    const out = sink();
    const progress = createProgress({ stderr: out.stream, isTTY: false, logger: createLogger(out.stream, "knit data pull"), label: "Downloading to x:" });
    progress.advance(2048);
    progress.stop(true);
    expect(out.text()).toMatch(/^\[knit data pull\] \S+ \S+ Downloading to x: 2\.00 KiB in \d+s\n$/);
  });
});
