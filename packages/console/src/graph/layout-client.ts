// Main-thread side of the layout worker. One worker per page; at most one layout runs at a time and
// only the newest waiting request is kept, so a graph that grows while loading is not laid out for
// every intermediate state (a 2,000-node layout takes seconds).
import type { LayoutInput, LayoutResult } from "./layout.js";

type Reply = { requestId: number; result?: LayoutResult; error?: string };
type Waiter = { resolve: (r: LayoutResult) => void; reject: (e: Error) => void };

let worker: Worker | undefined;
let nextRequestId = 1;
let inFlight: { requestId: number; waiter: Waiter } | undefined;
let queued: { input: LayoutInput; waiter: Waiter } | undefined;

export class LayoutSuperseded extends Error {
  constructor() {
    super("a newer layout was requested");
    this.name = "LayoutSuperseded";
  }
}

function send(input: LayoutInput, waiter: Waiter): void {
  const requestId = nextRequestId++;
  inFlight = { requestId, waiter };
  layoutWorker().postMessage({ requestId, input });
}

function finish(): void {
  inFlight = undefined;
  const next = queued;
  queued = undefined;
  if (next) send(next.input, next.waiter);
}

function layoutWorker(): Worker {
  if (!worker) {
    worker = new Worker(new URL("./layout.worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (event: MessageEvent<Reply>) => {
      if (!inFlight || inFlight.requestId !== event.data.requestId) return;
      const { waiter } = inFlight;
      if (event.data.result) waiter.resolve(event.data.result);
      else waiter.reject(new Error(`layout failed: ${event.data.error ?? "unknown error"}`));
      finish();
    };
    worker.onerror = (event) => {
      inFlight?.waiter.reject(new Error(`layout worker failed: ${event.message}`));
      worker = undefined;
      finish();
    };
  }
  return worker;
}

export function layoutInWorker(input: LayoutInput): Promise<LayoutResult> {
  return new Promise((resolve, reject) => {
    const waiter = { resolve, reject };
    if (!inFlight) {
      send(input, waiter);
      return;
    }
    queued?.waiter.reject(new LayoutSuperseded());
    queued = { input, waiter };
  });
}
