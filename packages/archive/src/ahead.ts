/**
 * Maps `source` through `work`, running the work of up to `window` items at once while yielding
 * the results in source order. A failed item's error surfaces in its turn (earlier results are
 * yielded first); a failure of the source itself as soon as it is met. When the consumer stops
 * early, work already started runs to its end (its result is dropped).
 */
export async function* aheadInOrder<T, R>(source: AsyncIterable<T>, window: number, work: (item: T) => Promise<R>): AsyncGenerator<R> {
  const iterator = source[Symbol.asyncIterator]();
  const queue: Promise<R>[] = [];
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && queue.length < window) {
        const next = await iterator.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        const started = work(next.value);
        // Handled here so an early failure is not reported as unhandled; awaited in turn below.
        started.catch(() => undefined);
        queue.push(started);
      }
      const first = queue.shift();
      if (first === undefined) return;
      yield await first;
    }
  } finally {
    if (!exhausted) await iterator.return?.();
  }
}
