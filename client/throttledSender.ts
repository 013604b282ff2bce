/**
 * Sends the latest value at most every `minIntervalMs`: intermediate values
 * are dropped, the last one never is, and a refused send is retried unless
 * something newer is already queued. `merge` decides what a queued value
 * keeps when a newer one arrives (e.g. a score award must survive a newer
 * similarity reading).
 */
export type SendAnswer = { ok: true } | { ok: false; code: string };

export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const browserClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface ThrottledSenderOptions<T> {
  send: (value: T) => Promise<SendAnswer>;
  minIntervalMs: number;
  /** What to queue when `next` arrives while `queued` waits; default: `next`. */
  merge?: (queued: T, next: T) => T;
  /** Values equal to the last one sent are not sent again. */
  same?: (a: T, b: T) => boolean;
  /** Refusals with these codes are final (e.g. a closed round): no retry. */
  finalCodes?: readonly string[];
  clock?: Clock;
}

export interface ThrottledSender<T> {
  push(value: T): void;
  dispose(): void;
}

export function createThrottledSender<T>(options: ThrottledSenderOptions<T>): ThrottledSender<T> {
  const clock = options.clock ?? browserClock;
  const merge = options.merge ?? ((_queued: T, next: T) => next);
  let queued: T | null = null;
  let lastSent: T | null = null;
  // Numbers each send: a refusal is only retried if nothing newer went out since, or a stale
  // value (e.g. "loading 99%") could overwrite a newer one ("ready") on the server.
  let sendCount = 0;
  let lastSentAt = Number.NEGATIVE_INFINITY;
  let timer: unknown = null;
  let disposed = false;

  const schedule = () => {
    if (timer !== null || disposed) return;
    timer = clock.setTimeout(flush, Math.max(0, lastSentAt + options.minIntervalMs - clock.now()));
  };

  const flush = () => {
    timer = null;
    if (queued === null || disposed) return;
    const value = queued;
    queued = null;
    if (lastSent !== null && options.same?.(lastSent, value)) return;
    lastSent = value;
    lastSentAt = clock.now();
    const sendNumber = ++sendCount;
    void options.send(value).then((answer) => {
      if (answer.ok || disposed || options.finalCodes?.includes(answer.code)) return;
      if (sendNumber !== sendCount) return;
      lastSent = null;
      queued = queued === null ? value : merge(value, queued);
      schedule();
    });
  };

  return {
    push(value) {
      queued = queued === null ? value : merge(queued, value);
      schedule();
    },
    dispose() {
      disposed = true;
      if (timer !== null) clock.clearTimeout(timer);
    },
  };
}
