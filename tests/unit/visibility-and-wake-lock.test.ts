// The game's visibility reporting and screen wake lock, driven directly. Node has no `document`
// visibility or Screen Wake Lock API, so both are small stand-ins with the same behaviour the
// browser has (the browser drops a wake lock whenever the page is hidden). The browser side is
// covered by e2e/reconnect.spec.ts.
import { describe, expect, it } from "vitest";
import { createVisibilityReporter, type PageVisibility, type VisibilityUpdate } from "@/client/game/visibilityReporter";
import { createScreenWakeLock, type WakeLockApi } from "@/client/media/wakeLock";
import type { SendAnswer } from "@/client/throttledSender";

class FakePage implements PageVisibility {
  hidden = false;
  get visibilityState(): DocumentVisibilityState {
    return this.hidden ? "hidden" : "visible";
  }
  private readonly listeners = new Set<() => void>();
  addEventListener(_type: "visibilitychange", listener: () => void): void {
    this.listeners.add(listener);
  }
  removeEventListener(_type: "visibilitychange", listener: () => void): void {
    this.listeners.delete(listener);
  }
  setHidden(hidden: boolean): void {
    this.hidden = hidden;
    for (const listener of this.listeners) listener();
  }
}

/** A server stand-in: records reports, answers when told to. */
function recordingSend() {
  const sent: VisibilityUpdate[] = [];
  const pending: ((answer: SendAnswer) => void)[] = [];
  const send = (update: VisibilityUpdate) => {
    sent.push(update);
    return new Promise<SendAnswer>((resolve) => pending.push(resolve));
  };
  const answer = async (value: SendAnswer) => {
    pending.shift()?.(value);
    await Promise.resolve();
    await Promise.resolve();
  };
  return { sent, send, answer };
}

describe("visibility reporter", () => {
  it("reports hidden and visible again, once each", async () => {
    const page = new FakePage();
    const server = recordingSend();
    const reporter = createVisibilityReporter(server.send, page);
    reporter.start();
    expect(server.sent).toEqual([]);
    page.setHidden(true);
    page.setHidden(true);
    expect(server.sent).toEqual([{ hidden: true }]);
    await server.answer({ ok: true });
    page.setHidden(false);
    await server.answer({ ok: true });
    expect(server.sent).toEqual([{ hidden: true }, { hidden: false }]);
    reporter.stop();
    page.setHidden(true);
    expect(server.sent).toHaveLength(2);
  });

  it("reports the newest state when the page flips while a report travels", async () => {
    const page = new FakePage();
    const server = recordingSend();
    createVisibilityReporter(server.send, page).start();
    page.setHidden(true);
    page.setHidden(false);
    page.setHidden(true);
    page.setHidden(false);
    expect(server.sent).toEqual([{ hidden: true }]);
    await server.answer({ ok: true });
    expect(server.sent).toEqual([{ hidden: true }, { hidden: false }]);
  });

  it("corrects the room after a rejoin when it shows the player wrongly", async () => {
    const page = new FakePage();
    const server = recordingSend();
    const reporter = createVisibilityReporter(server.send, page);
    reporter.start();
    page.setHidden(true);
    // The report was lost with the connection.
    await server.answer({ ok: false, code: "not_in_room" });
    // The rejoin snapshot still shows the player as playing: report again.
    reporter.syncWith(false);
    expect(server.sent).toEqual([{ hidden: true }, { hidden: true }]);
    await server.answer({ ok: true });
    // A reloaded, visible page whose seat is still marked paused un-pauses it.
    page.hidden = false;
    reporter.syncWith(true);
    expect(server.sent.at(-1)).toEqual({ hidden: false });
  });
});

/** A wake lock the way browsers behave: granted while visible, dropped when the page hides. */
function fakeWakeLock(page: FakePage, grant = true) {
  const sentinels: { released: boolean; release(): Promise<void> }[] = [];
  const api: WakeLockApi = {
    request() {
      if (!grant || page.hidden) return Promise.reject(new DOMException("refused", "NotAllowedError"));
      const sentinel = {
        released: false,
        release() {
          sentinel.released = true;
          return Promise.resolve();
        },
      };
      sentinels.push(sentinel);
      return Promise.resolve(sentinel);
    },
  };
  page.addEventListener("visibilitychange", () => {
    if (page.hidden) for (const sentinel of sentinels) sentinel.released = true;
  });
  return { api, sentinels };
}

describe("screen wake lock", () => {
  const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

  it("holds the lock during the game, takes it again after the page was hidden, and lets go at the end", async () => {
    const page = new FakePage();
    const previousDocument = globalThis.document;
    // The module listens on `document`: point it at the fake page for this test.
    Object.defineProperty(globalThis, "document", { configurable: true, value: page });
    try {
      const { api, sentinels } = fakeWakeLock(page);
      const lock = createScreenWakeLock(api);
      lock.acquire();
      await tick();
      expect(lock.held).toBe(true);
      page.setHidden(true);
      expect(lock.held).toBe(false);
      page.setHidden(false);
      await tick();
      expect(lock.held).toBe(true);
      expect(sentinels).toHaveLength(2);
      lock.release();
      expect(lock.held).toBe(false);
      expect(sentinels.every((sentinel) => sentinel.released)).toBe(true);
      page.setHidden(true);
      page.setHidden(false);
      await tick();
      expect(sentinels).toHaveLength(2);
    } finally {
      Object.defineProperty(globalThis, "document", { configurable: true, value: previousDocument });
    }
  });

  it("never throws where the API is missing or the request is refused", async () => {
    const missing = createScreenWakeLock(null);
    expect(() => {
      missing.acquire();
      missing.release();
    }).not.toThrow();
    expect(missing.held).toBe(false);

    const refused = createScreenWakeLock(fakeWakeLock(new FakePage(), false).api);
    refused.acquire();
    await tick();
    expect(refused.held).toBe(false);
    refused.release();
  });
});
