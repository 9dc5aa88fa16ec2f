// Main-thread side of the layout worker: one worker per page, answers matched by request id.
import type { LayoutInput, LayoutResult } from "./layout.js";

type Reply = { requestId: number; result?: LayoutResult; error?: string };

let worker: Worker | undefined;
let nextRequestId = 1;
const pending = new Map<number, { resolve: (r: LayoutResult) => void; reject: (e: Error) => void }>();

function layoutWorker(): Worker {
  if (!worker) {
    worker = new Worker(new URL("./layout.worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (event: MessageEvent<Reply>) => {
      const waiting = pending.get(event.data.requestId);
      if (!waiting) return;
      pending.delete(event.data.requestId);
      if (event.data.result) waiting.resolve(event.data.result);
      else waiting.reject(new Error(`layout failed: ${event.data.error ?? "unknown error"}`));
    };
    worker.onerror = (event) => {
      for (const waiting of pending.values()) waiting.reject(new Error(`layout worker failed: ${event.message}`));
      pending.clear();
      worker = undefined;
    };
  }
  return worker;
}

export function layoutInWorker(input: LayoutInput): Promise<LayoutResult> {
  const requestId = nextRequestId++;
  return new Promise((resolve, reject) => {
    pending.set(requestId, { resolve, reject });
    layoutWorker().postMessage({ requestId, input });
  });
}
