/**
 * Sends the lobby's progress to the server at most every `minIntervalMs`
 * (250 ms = 4 a second, the server's cap), always delivering the latest
 * value: intermediate percentages are dropped, the final ready/failed is not.
 */
export interface ProgressUpdate {
  percent: number;
  status: "loading" | "ready" | "failed";
}

export type SendProgress = (update: ProgressUpdate) => Promise<{ ok: true } | { ok: false; code: string }>;

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

export interface ProgressReporter {
  report(update: ProgressUpdate): void;
  dispose(): void;
}

export function createProgressReporter(send: SendProgress, minIntervalMs = 250, clock: Clock = browserClock): ProgressReporter {
  let latest: ProgressUpdate | null = null;
  let lastSent: ProgressUpdate | null = null;
  let lastSentAt = Number.NEGATIVE_INFINITY;
  let timer: unknown = null;
  let disposed = false;

  const schedule = () => {
    if (timer !== null || disposed) return;
    const wait = Math.max(0, lastSentAt + minIntervalMs - clock.now());
    timer = clock.setTimeout(flush, wait);
  };

  const flush = () => {
    timer = null;
    if (!latest || disposed) return;
    const update = latest;
    latest = null;
    if (lastSent && lastSent.percent === update.percent && lastSent.status === update.status) return;
    lastSent = update;
    lastSentAt = clock.now();
    void send(update).then((answer) => {
      // Refused (e.g. rate-limited after a reconnect): resend unless something newer is already queued.
      if (!answer.ok && !latest && !disposed) {
        lastSent = null;
        latest = update;
        schedule();
      }
    });
  };

  return {
    report(update) {
      latest = update;
      schedule();
    },
    dispose() {
      disposed = true;
      if (timer !== null) clock.clearTimeout(timer);
    },
  };
}
