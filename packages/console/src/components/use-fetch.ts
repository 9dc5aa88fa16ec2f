import { useCallback, useEffect, useRef, useState } from "react";

export interface FetchState<T> {
  value: T | undefined;
  error: string | undefined;
  loading: boolean;
  /** When the value was last loaded successfully. */
  loadedAt: Date | undefined;
  reload: () => void;
}

/**
 * Loads `load()` whenever `key` changes, on `reload()`, and every `refreshMs` while `auto` is on.
 * A stale answer (for an older key) is dropped; the last good value stays shown while reloading.
 */
export function useFetch<T>(
  key: string,
  load: (signal: AbortSignal) => Promise<T>,
  refresh: { auto: boolean; refreshMs: number } = { auto: false, refreshMs: 0 },
): FetchState<T> {
  const [value, setValue] = useState<T>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(false);
  const [loadedAt, setLoadedAt] = useState<Date>();
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const keyRef = useRef(key);

  useEffect(() => {
    if (keyRef.current !== key) {
      keyRef.current = key;
      setValue(undefined);
    }
    const controller = new AbortController();
    setLoading(true);
    loadRef.current(controller.signal).then(
      (result) => {
        if (controller.signal.aborted) return;
        setValue(result);
        setError(undefined);
        setLoadedAt(new Date());
        setLoading(false);
      },
      (failure: unknown) => {
        if (controller.signal.aborted) return;
        setError(failure instanceof Error ? failure.message : String(failure));
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [key, tick]);

  useEffect(() => {
    if (!refresh.auto || refresh.refreshMs <= 0) return;
    const timer = setInterval(() => setTick((t) => t + 1), refresh.refreshMs);
    return () => clearInterval(timer);
  }, [refresh.auto, refresh.refreshMs]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { value, error, loading, loadedAt, reload };
}

/** `value` after it stopped changing for `ms` (filters typed into text fields). */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}
