/**
 * Keeping the page responsive while the lobby does heavy work: yield so progress paints, and
 * count the long tasks that happened anyway.
 */

// Main-thread health

/**
 * Lets the lobby paint between heavy steps: after the next frame, then a task boundary (so the
 * progress just reported is on screen before the next long task). Hidden tabs get no frames and
 * throttle timers to 1 Hz: there, only the task boundary.
 */
export function yieldForPaint(): Promise<void> {
  const visible = typeof document !== "undefined" && document.visibilityState === "visible" && typeof requestAnimationFrame === "function";
  if (!visible) return nextTask();
  return new Promise<void>((resolve) => {
    let done = false;
    const afterFrame = (): void => {
      if (done) return;
      done = true;
      clearTimeout(fallback);
      void nextTask().then(resolve);
    };
    // In case the tab is hidden while we wait: never more than 100 ms for a frame.
    const fallback = setTimeout(afterFrame, 100);
    requestAnimationFrame(afterFrame);
  });
}

/**
 * A new task at normal priority: a MessageChannel message (not throttled like timers). Not
 * scheduler.yield(): its continuation jumps ahead of queued tasks, and on a starved phone that
 * starves React's render task too, so bars would skip stages while models warm up.
 */
export function nextTask(): Promise<void> {
  return new Promise<void>((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

export interface LongTaskTotals {
  totalMs: number;
  count: number;
  observed: boolean;
}

/** Sums long tasks (any cause: the lobby's own rendering counts too) until stop(). */
export function observeLongTasks(): { stop: () => Promise<LongTaskTotals> } {
  const totals: LongTaskTotals = { totalMs: 0, count: 0, observed: false };
  const supported = typeof PerformanceObserver !== "undefined" && (PerformanceObserver.supportedEntryTypes ?? []).includes("longtask");
  if (!supported) return { stop: () => Promise.resolve({ ...totals }) };
  const add = (entries: PerformanceEntryList): void => {
    for (const entry of entries) {
      totals.totalMs += entry.duration;
      totals.count += 1;
    }
  };
  const observer = new PerformanceObserver((list) => add(list.getEntries()));
  observer.observe({ type: "longtask", buffered: false });
  totals.observed = true;
  let stopped: Promise<LongTaskTotals> | null = null;
  return {
    stop: () => {
      stopped ??= (async () => {
        // The last warm-up's long task is reported after its task ends: let that happen first.
        await nextTask();
        add(observer.takeRecords());
        observer.disconnect();
        return { ...totals, totalMs: Math.round(totals.totalMs) };
      })();
      return stopped;
    },
  };
}
