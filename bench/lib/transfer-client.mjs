import http from "node:http";
import { pipeline } from "node:stream";
import { extractTarGz, md5Tap, packDirectory } from "@knitfab/archive";

/** The body of a response as text. */
async function text(response) {
  let body = "";
  for await (const chunk of response) body += chunk;
  return body;
}

/**
 * Pushes a folder like `knit data push` does: gzip(tar) (level 6) streamed with chunked encoding,
 * its MD5 sent as the `x-checksum-md5` trailer. Resolves with the new Data's knitId.
 */
export async function pushFolder(apiRoot, dir) {
  const tap = md5Tap();
  const body = pipeline(packDirectory(dir), tap, () => undefined);
  const response = await new Promise((resolve, reject) => {
    const request = http.request(`${apiRoot}/data/`, {
      method: "POST",
      headers: { "Content-Type": "application/tar+gzip", "Transfer-Encoding": "chunked", Trailer: "x-checksum-md5" },
    }, resolve);
    request.on("error", reject);
    body.on("error", (error) => request.destroy(error));
    body.on("end", () => {
      request.addTrailers({ "x-checksum-md5": tap.digest() });
      request.end();
    });
    body.pipe(request, { end: false });
  });
  const answer = await text(response);
  if (response.statusCode !== 200) throw new Error(`push failed: ${response.statusCode} ${answer}`);
  return { knitId: JSON.parse(answer).knitId, compressedBytes: tap.bytes };
}

/** Pulls a Data and extracts it into `target` (absent or empty), checking the MD5 trailer. */
export async function pullData(apiRoot, knitId, target) {
  const response = await new Promise((resolve, reject) => {
    http.get(`${apiRoot}/data/${knitId}/`, resolve).on("error", reject);
  });
  if (response.statusCode !== 200) throw new Error(`pull failed: ${response.statusCode} ${await text(response)}`);
  const result = await extractTarGz(response, target);
  const expected = response.trailers["x-checksum-md5"];
  if (expected !== result.md5) throw new Error(`pull: checksum trailer ${expected} differs from the received bytes' ${result.md5}`);
  return result;
}
