/**
 * Bounds one step of the preload that might never settle (a WASM compile, a task's create, a
 * download that stops sending). Without it a stuck step held the lobby at "creating" forever,
 * and since preloads run one at a time, the Retry button queued behind it and did nothing.
 *
 * No browser APIs: unit-tested in Node (tests/unit/stall-guard.test.ts).
 */

export interface GuardOptions<T> {
  /** Give up after this long without the step settling. */
  limitMs: number;
  /** The error the guarded promise rejects with when the limit passes. */
  onStall: () => Error;
  /** Settle at once when this aborts (with its reason), instead of waiting for the step. */
  signal?: AbortSignal;
  /** The step resolved after it was given up on: free what it made (e.g. close a task). */
  onAbandoned?: (value: T) => void;
}

/** The step's result, or a rejection when it stalls or the signal aborts, whichever comes first. */
export function guardStep<T>(step: Promise<T>, options: GuardOptions<T>): Promise<T> {
  const { limitMs, onStall, signal, onAbandoned } = options;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      return true;
    };
    const onAbort = (): void => {
      if (finish()) reject(signal?.reason ?? new DOMException("aborted", "AbortError"));
    };
    const timer = setTimeout(() => {
      if (finish()) reject(onStall());
    }, limitMs);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
    step.then(
      (value) => {
        if (finish()) resolve(value);
        else onAbandoned?.(value);
      },
      (error: unknown) => {
        if (finish()) reject(error);
      },
    );
  });
}

/**
 * Calls onStall when touch() has not been called for limitMs (e.g. no download bytes), until
 * stop(). For steps that report progress, where the total time says nothing but silence does.
 */
export function inactivityWatchdog(limitMs: number, onStall: () => void): { touch(): void; stop(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const arm = (): void => {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(onStall, limitMs);
  };
  arm();
  return {
    touch: arm,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/**
 * Runs jobs one after another (tasks-vision hands its WASM loader over through globals, so two
 * preloads must not overlap). A job that fails does not stop the next one.
 */
export function serialQueue(): <T>(job: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(job: () => Promise<T>): Promise<T> => {
    const run = tail.then(job);
    tail = run.catch(() => undefined);
    return run;
  };
}
