/**
 * Keeps the phone's screen on during the game (Screen Wake Lock API) where the browser has it.
 * The browser drops the lock whenever the page is hidden, so it is taken again when the page
 * is visible again, for as long as it is wanted. Never throws: without support (older Safari,
 * Firefox before 126, insecure pages) or when refused (battery saver), the game simply runs
 * without it.
 */

/** What this module needs from `navigator.wakeLock`: also lets a test hand in a stand-in. */
export interface WakeLockApi {
  request(type: "screen"): Promise<{ released: boolean; release(): Promise<void> }>;
}

export interface ScreenWakeLock {
  /** Wants the screen kept on from now on (taken now if the page is visible, else when it is). */
  acquire(): void;
  /** No longer wanted: lets the screen sleep again. */
  release(): void;
  /** Whether a lock is currently held (false where unsupported). */
  readonly held: boolean;
}

function browserWakeLock(): WakeLockApi | null {
  if (typeof navigator === "undefined" || !("wakeLock" in navigator) || !navigator.wakeLock) return null;
  return navigator.wakeLock;
}

export function createScreenWakeLock(api: WakeLockApi | null = browserWakeLock()): ScreenWakeLock {
  let wanted = false;
  let sentinel: { released: boolean; release(): Promise<void> } | null = null;
  let requesting = false;
  /** The page came back while a request was pending (which may fail for having been hidden). */
  let retryAfterRequest = false;

  const take = () => {
    if (!api || !wanted || (sentinel && !sentinel.released)) return;
    if (typeof document !== "undefined" && document.visibilityState !== "visible") return;
    if (requesting) {
      retryAfterRequest = true;
      return;
    }
    requesting = true;
    retryAfterRequest = false;
    const settled = () => {
      requesting = false;
      if (retryAfterRequest) take();
    };
    api.request("screen").then(
      (granted) => {
        sentinel = granted;
        // Released while the request was pending: give it straight back.
        if (!wanted) void granted.release().catch(() => undefined);
        settled();
      },
      // Refused (battery saver, permissions policy, page hidden meanwhile): play on without it.
      settled,
    );
  };

  const onVisibilityChange = () => {
    if (document.visibilityState === "visible") take();
  };

  return {
    acquire() {
      if (wanted) return;
      wanted = true;
      if (typeof document !== "undefined") document.addEventListener("visibilitychange", onVisibilityChange);
      take();
    },
    release() {
      if (!wanted) return;
      wanted = false;
      if (typeof document !== "undefined") document.removeEventListener("visibilitychange", onVisibilityChange);
      const current = sentinel;
      sentinel = null;
      if (current && !current.released) void current.release().catch(() => undefined);
    },
    get held() {
      return Boolean(sentinel && !sentinel.released);
    },
  };
}
