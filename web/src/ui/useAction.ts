import { useCallback, useState } from "react";

/** `[error, run, busy]`: `run(fn)` clears the error, awaits `fn`, then calls `onDone`; it resolves to whether
 *  `fn` worked, keeps its error for an `ErrorBox`, and `busy` is true while it runs (to disable buttons). */
export function useAction(onDone: () => void) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = useCallback(
    async (fn: () => Promise<unknown>) => {
      setBusy(true);
      setError(null);
      try {
        await fn();
        onDone();
        return true;
      } catch (e) {
        setError(e);
        return false;
      } finally {
        setBusy(false);
      }
    },
    [onDone],
  );
  return [error, run, busy] as const;
}
