/**
 * tasks-vision 1.1.0 sends usage statistics about every task it creates (which task, running
 * mode, platform, timings) to https://odml.pa.googleapis.com/v1/log: once a minute and when the
 * task closes. PoseParty promises players that nothing leaves their phone but the game itself, and
 * the CSP blocks the request anyway, leaving one console error per task on every phone.
 *
 * The runtime has no public switch (its typings declare `enableLogging`, the bundle does not
 * implement it), so each task's logger is put in the state the runtime itself uses after a failed
 * send: flagged as failed, queue emptied, timer stopped. From then on it records and sends
 * nothing. The field names below are those of the minified 1.1.0 bundle (the version the vision
 * manifest pins); a shape check keeps a different build untouched and reports it, and the CSP's
 * connect-src stays the backstop (docs/vision-preload.md).
 */

/** The task's usage logger (`task.o`) and its sender (`o.m`) in tasks-vision 1.1.0. */
interface UsageSender {
  /** Pending events. */
  i: unknown[];
  /** The once-a-minute flush timer. */
  h: ReturnType<typeof setInterval> | undefined;
  /** Set after a failed send: flush() then neither sends nor queues. */
  error?: Error;
  flush: (...args: unknown[]) => void;
}

function usageSenderOf(task: object): UsageSender | null {
  const logger = (task as { o?: unknown }).o;
  if (typeof logger !== "object" || logger === null) return null;
  const sender = (logger as { m?: unknown }).m;
  if (typeof sender !== "object" || sender === null) return null;
  const candidate = sender as Partial<UsageSender>;
  if (!Array.isArray(candidate.i) || typeof candidate.flush !== "function") return null;
  return candidate as UsageSender;
}

/**
 * Stops a freshly created task's usage logging. Returns false when the task does not have the
 * 1.1.0 logger (another build): nothing is changed then, and the CSP still blocks the call.
 */
export function stopUsageLogging(task: object): boolean {
  const sender = usageSenderOf(task);
  if (!sender) return false;
  if (sender.h !== undefined) clearInterval(sender.h);
  sender.h = undefined;
  sender.i.length = 0;
  sender.error = new Error("usage logging is off in PoseParty");
  return true;
}
