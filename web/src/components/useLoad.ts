// Loads data for a component: the value, the error, and a way to load again. Loads again when
// `deps` change; an answer that arrives after a newer load started is dropped, and so is what
// `onLoaded` would do with it (a page that keeps its own list, e.g. for "load more", fills it
// there: filling it inside `load` would let an older, slower answer overwrite a newer one).
import { useCallback, useEffect, useRef, useState } from 'react';

export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[], onLoaded?: (value: T) => void) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const latest = useRef({ load, onLoaded });
  latest.current = { load, onLoaded };
  const generation = useRef(0);

  const run = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const value = await latest.current.load();
      if (mine === generation.current) {
        setData(value);
        setError(null);
        latest.current.onLoaded?.(value);
      }
    } catch (err) {
      if (mine === generation.current) setError(err);
    }
  }, []);

  const key = JSON.stringify(deps);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for the caller's deps
  useEffect(() => {
    void run();
  }, [run, key]);

  return { data, error, reload: run, setData };
}
