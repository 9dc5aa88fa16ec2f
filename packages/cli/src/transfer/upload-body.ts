import { pipeline, type Readable } from "node:stream";
import { md5Tap, packDirectory } from "@knitfab/archive";

export interface UploadBody {
  /** gzip(tar) of the folder, to send as the request body. */
  body: Readable;
  /** Lower-case hex MD5 of the body, for the `x-checksum-md5` trailer; throws before the body ended. */
  md5(): string;
}

/**
 * The body of `knit data push`: the folder packed by the same packer as the server's downloads
 * (gzip level 6 like `tar -czf`, compressed on two threads, large reads and chunks), reporting
 * uncompressed tar bytes to `onTarBytes` for the progress bar, and hashed for the trailer.
 */
export function uploadBody(dir: string, dereference: boolean, onTarBytes: (bytes: number) => void): UploadBody {
  const tap = md5Tap();
  const body = pipeline(packDirectory(dir, { dereference, onTarBytes }), tap, () => undefined);
  return { body, md5: () => tap.digest() };
}
