import type { Database } from "@knitfab/db";

export interface LoopLogger {
  error(message: string, error?: unknown): void;
  warn?(message: string): void;
  debug?(message: string): void;
}

export interface LoopDefinition {
  name: string;
  /** Does one unit of work; returns true when it did something (so the loop goes again at once). */
  step: () => Promise<boolean>;
  /** NOTIFY channels that mean "there may be work"; each wakes the loop immediately. */
  channels: string[];
  /** Fallback poll interval when nothing wakes the loop (missed notifications, timed work). */
  pollMs: number;
  /** Pause after an error, so a persistent failure does not spin. */
  errorBackoffMs?: number;
  /**
   * Steps in flight at once in this process (default 1). Steps must claim their work exclusively
   * (they do: FOR UPDATE SKIP LOCKED plus a lease), so parallel steps never take the same item.
   */
  concurrency?: number;
  /**
   * Which notification payloads mean work for this loop (for the run-status channel: the new
   * status); others are ignored, so a status change wakes only the loop that handles it. All by default.
   */
  wakesOn?: (payload: string) => boolean;
}

export interface RunningLoop {
  readonly name: string;
  /** Wakes the loop as if notified (in-process signal); with a payload, only if the loop wants it. */
  wake(payload?: string): void;
  stop(): Promise<void>;
}

/**
 * Runs a loop until stopped: steps while there is work, then sleeps until a notification, a wake()
 * or the poll interval. Errors never stop a loop; they are logged and retried after a back-off.
 */
export async function startLoop(database: Database, definition: LoopDefinition, logger: LoopLogger): Promise<RunningLoop> {
  let stopped = false;
  // Only the first lane polls: the others sleep until woken. A lane that finds work wakes the next
  // (see run()), so work found by the poll still spreads over every lane, while an idle loop costs
  // one claim per poll interval, not one per lane (on PGlite each costs CPU in the server's process).
  const lanes = Array.from({ length: Math.max(1, definition.concurrency ?? 1) }, (_, index) => lane(index === 0 ? definition.pollMs : undefined));
  // One wake-up starts one lane: the lane that finds work wakes the next (see run()), so a backlog
  // is taken up in parallel while a single item costs a couple of claims, not one per lane.
  const wakeOne = () => (lanes.find((one) => one.sleeping()) ?? lanes[0]!).wake();
  const wake = (payload?: string) => {
    if (payload !== undefined && definition.wakesOn && !definition.wakesOn(payload)) return;
    wakeOne();
  };
  const unlisteners = await Promise.all(definition.channels.map((channel) => database.listen(channel, (payload) => wake(payload))));
  const finished = Promise.all(lanes.map((one) => one.run()));

  /** One sequential stepper; several lanes share the loop's wake-ups. Without `pollMs` it idles until woken. */
  function lane(pollMs: number | undefined) {
    let wakeUp: (() => void) | undefined;
    let pendingWake = false;
    const sleep = (ms: number | undefined) =>
      new Promise<void>((resolve) => {
        if (pendingWake || stopped) return resolve();
        const timer = ms === undefined ? undefined : setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          wakeUp = undefined;
          resolve();
        }
        wakeUp = done;
      });
    return {
      sleeping: () => wakeUp !== undefined,
      wake() {
        pendingWake = true;
        wakeUp?.();
      },
      async run() {
        while (!stopped) {
          pendingWake = false;
          let didWork = false;
          try {
            didWork = await definition.step();
          } catch (error) {
            if (stopped) break;
            logger.error(`loop ${definition.name}: step failed`, error);
            await sleep(definition.errorBackoffMs ?? 1000);
            continue;
          }
          if (didWork) wakeOne();
          else await sleep(pollMs);
        }
      },
    };
  }

  return {
    name: definition.name,
    wake,
    async stop() {
      stopped = true;
      for (const one of lanes) one.wake();
      await finished;
      await Promise.all(unlisteners.map((unlisten) => unlisten()));
    },
  };
}
