import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// processIo works on the process's own file descriptors, so each case runs in a child process (with
// tsx, from the sources) whose stdout is a pipe read here.

const IO_MODULE = fileURLToPath(new URL("./io.ts", import.meta.url));

/**
 * Runs `body` in a child that has `processIo` imported and records whether it built process.stdout
 * (Node builds it on the first access; the getter is replaced to notice that access).
 */
function runChild(body: string, options: { readDelayMs?: number; closeStdout?: boolean } = {}): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  const script = `
    import { processIo } from ${JSON.stringify(IO_MODULE)};
    const descriptor = Object.getOwnPropertyDescriptor(process, "stdout");
    Object.defineProperty(process, "stdout", { configurable: true, enumerable: true, get() {
      process.env.STDOUT_BUILT = "yes";
      return descriptor.get.call(process);
    } });
    const io = processIo();
    ${body}
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let err = "";
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    if (options.closeStdout) child.stdout.destroy();
    else if (options.readDelayMs) {
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), options.readDelayMs);
    }
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
  });
}

describe("processIo().print", () => {
  it("writes the text to stdout without building Node's stdout stream", async () => {
    const r = await runChild(`await io.print("v1.2.3 (commit: x)"); await io.print(new Uint8Array([10, 0xe2, 0x9c, 0x93])); process.stderr.write(process.env.STDOUT_BUILT ?? "no");`);
    expect(r.code).toBe(0);
    expect(r.stdout.toString("utf8")).toBe("v1.2.3 (commit: x)\n✓");
    expect(r.stderr).toBe("no");
  });

  it("hands what a non-blocking stdout cannot take now to the stream, in order", async () => {
    // net.Socket on fd 1 makes the descriptor non-blocking (as libuv does for a pipe), without
    // building process.stdout; 4 MiB do not fit in a pipe that is not read for a while.
    const size = 4 * 1024 * 1024;
    const r = await runChild(`
      const net = await import("node:net");
      new net.Socket({ fd: 1, readable: false, writable: true });
      const text = Buffer.alloc(${size}, "abcdefghijklmnopqrstuvwxyz0123456789\\n");
      await io.print(text);
      process.stderr.write(process.env.STDOUT_BUILT ?? "no");
    `, { readDelayMs: 300 });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("yes");
    expect(r.stdout.length).toBe(size);
    expect(r.stdout.equals(Buffer.alloc(size, "abcdefghijklmnopqrstuvwxyz0123456789\n"))).toBe(true);
  });

  it("ends the process quietly with exit 0 when the reader went away", async () => {
    const r = await runChild(`
      await new Promise((resolve) => setTimeout(resolve, 200));
      for (;;) await io.print(Buffer.alloc(65536, "x"));
    `, { closeStdout: true });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
  });
});
