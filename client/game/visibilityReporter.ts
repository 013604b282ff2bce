/**
 * Tells the server when the page is hidden during the game (screen locked, another app) and
 * when it is back, so friends see the player as paused. It also reconciles with what the
 * server last showed for this player: after a dropped connection or a reload, a page that is
 * hidden (or visible) while the room says otherwise reports again.
 */
import type { ClientPayload } from "@/core/protocol";
import type { SendAnswer } from "../throttledSender";

const RETRY_MS = 1_000;

export type VisibilityUpdate = ClientPayload<"game:visibility">;

/** The page's visibility, injectable for tests (defaults to `document`). */
export interface PageVisibility {
  readonly hidden: boolean;
  addEventListener(type: "visibilitychange", listener: () => void): void;
  removeEventListener(type: "visibilitychange", listener: () => void): void;
}

export interface VisibilityReporter {
  start(): void;
  stop(): void;
  /** What the room snapshot says about this player: reports again if it differs from the page. */
  syncWith(pausedOnServer: boolean): void;
}

export function createVisibilityReporter(send: (update: VisibilityUpdate) => Promise<SendAnswer>, page: PageVisibility = document): VisibilityReporter {
  let running = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: boolean | null = null;
  /** The server's view as far as this page knows (last snapshot, or last accepted report). */
  let serverHidden = false;

  const report = () => {
    clearTimeout(retryTimer);
    if (!running || inFlight !== null || page.hidden === serverHidden) return;
    const hidden = page.hidden;
    inFlight = hidden;
    void send({ hidden }).then((answer) => {
      inFlight = null;
      if (!answer.ok) {
        // Refused (mid-reconnect, rate limited): try again shortly; a new snapshot also calls syncWith.
        if (running) retryTimer = setTimeout(report, RETRY_MS);
        return;
      }
      serverHidden = hidden;
      // The page may have changed again while the report travelled.
      report();
    });
  };

  const onVisibilityChange = () => report();

  return {
    start() {
      if (running) return;
      running = true;
      page.addEventListener("visibilitychange", onVisibilityChange);
      report();
    },
    stop() {
      running = false;
      clearTimeout(retryTimer);
      page.removeEventListener("visibilitychange", onVisibilityChange);
    },
    syncWith(pausedOnServer) {
      serverHidden = pausedOnServer;
      report();
    },
  };
}
