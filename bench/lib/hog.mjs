import { spawn } from "node:child_process";
import { loadavg } from "node:os";

/**
 * N child processes that each burn one core (a busy loop) until stopped: the "machine loaded"
 * condition of the step-latency benchmarks. Children, not threads, so they compete with the
 * engine, Podman and the container exactly as another user's work would.
 */
export async function startHogs(count) {
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }),
  );
  await new Promise((resolve) => setTimeout(resolve, 500)); // let them reach the busy loop
  return {
    count,
    async stop() {
      await Promise.all(
        children.map(
          (child) =>
            new Promise((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once("exit", resolve);
              child.kill("SIGKILL");
            }),
        ),
      );
    },
  };
}

/** Runs `fn` beside `count` CPU hogs (none when 0), stopping them even when `fn` fails. */
export async function withHogs(count, fn) {
  if (count === 0) return fn();
  const hogs = await startHogs(count);
  try {
    return await fn();
  } finally {
    await hogs.stop();
  }
}

/** The 1, 5 and 15 minute load averages, for the figures' context. */
export const loadAverage = () => loadavg().map((value) => value.toFixed(2)).join(", ");

/**
 * The two conditions of a step-latency benchmark against one server: `measure(apiRoot, condition)`
 * quiet, then beside `hog` CPU hogs when `hog` > 0; the server is stopped however it ends.
 */
export async function quietAndLoaded(server, hog, measure) {
  try {
    const results = [await measure(server.apiRoot, "quiet (no hog)")];
    if (hog > 0) results.push(await withHogs(hog, () => measure(server.apiRoot, `beside ${hog} CPU hog(s)`)));
    return results;
  } finally {
    await server.stop();
  }
}
