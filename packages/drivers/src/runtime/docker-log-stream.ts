/**
 * The Docker Engine API multiplexes stdout and stderr of a container without a TTY into frames:
 * 1 byte stream type, 3 zero bytes, 4 bytes big-endian length, then the payload.
 * This transform strips the framing and passes the payloads through in order, so the two streams
 * come out interleaved as the engine recorded them.
 */
import { Transform, type TransformCallback } from "node:stream";

const HEADER_SIZE = 8;

export function createLogDemultiplexer(): Transform {
  let pending: Buffer = Buffer.alloc(0);
  /** Payload bytes still expected for the current frame. */
  let remaining = 0;

  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      let data = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
      pending = Buffer.alloc(0);
      while (data.length > 0) {
        if (remaining > 0) {
          const take = Math.min(remaining, data.length);
          this.push(data.subarray(0, take));
          remaining -= take;
          data = data.subarray(take);
          continue;
        }
        if (data.length < HEADER_SIZE) {
          pending = Buffer.from(data);
          break;
        }
        remaining = data.readUInt32BE(4);
        data = data.subarray(HEADER_SIZE);
      }
      callback();
    },
    flush(callback: TransformCallback) {
      if (pending.length > 0 || remaining > 0) {
        callback(new Error(`container log stream ended inside a frame (${pending.length + remaining} bytes missing)`));
        return;
      }
      callback();
    },
  });
}
