import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogDemultiplexer } from "./docker-log-stream.js";

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

async function demultiplex(chunks: Buffer[]): Promise<string> {
  const output: Buffer[] = [];
  for await (const chunk of Readable.from(chunks).pipe(createLogDemultiplexer())) output.push(chunk as Buffer);
  return Buffer.concat(output).toString();
}

describe("log demultiplexer", () => {
  it("interleaves stdout and stderr payloads in the engine's order", async () => {
    expect(await demultiplex([frame(1, "out\n"), frame(2, "err\n"), frame(1, "more\n")])).toBe("out\nerr\nmore\n");
  });

  it("reassembles frames split anywhere, even one byte at a time", async () => {
    const whole = Buffer.concat([frame(1, "hello "), frame(2, "world"), frame(1, "\n"), frame(1, "")]);
    const bytes = [...whole].map((byte) => Buffer.from([byte]));
    expect(await demultiplex(bytes)).toBe("hello world\n");
    expect(await demultiplex([whole.subarray(0, 5), whole.subarray(5, 17), whole.subarray(17)])).toBe("hello world\n");
  });

  it("keeps binary payloads intact", async () => {
    const binary = Buffer.from([0, 1, 2, 255, 254, 10]);
    const header = Buffer.from([1, 0, 0, 0, 0, 0, 0, binary.length]);
    const output: Buffer[] = [];
    for await (const chunk of Readable.from([Buffer.concat([header, binary])]).pipe(createLogDemultiplexer())) {
      output.push(chunk as Buffer);
    }
    expect(Buffer.concat(output)).toEqual(binary);
  });

  it("fails when the stream ends inside a frame", async () => {
    await expect(demultiplex([frame(1, "truncated").subarray(0, 10)])).rejects.toThrow(/ended inside a frame/);
  });
});
