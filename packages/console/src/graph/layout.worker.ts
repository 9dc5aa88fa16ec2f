// Web Worker: lays graphs out off the main thread so the console stays responsive on large lineages.
import ELK from "elkjs/lib/elk.bundled.js";
import { layoutForSize, type ElkLike, type LayoutInput } from "./layout.js";

export interface LayoutRequest {
  requestId: number;
  input: LayoutInput;
}

const elk = new ELK() as unknown as ElkLike;

self.onmessage = async (event: MessageEvent<LayoutRequest>) => {
  const { requestId, input } = event.data;
  try {
    const result = await layoutForSize(elk, input);
    self.postMessage({ requestId, result });
  } catch (error) {
    self.postMessage({ requestId, error: error instanceof Error ? error.message : String(error) });
  }
};
