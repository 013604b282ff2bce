import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createProgressReporter, type ProgressUpdate } from "@/client/lobby/progressReporter";

describe("lobby progress reporter", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const clock = {
    now: () => Date.now(),
    setTimeout: (callback: () => void, ms: number) => setTimeout(callback, ms),
    clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  };

  it("sends at most 4 updates a second, always the latest, and never drops the final one", async () => {
    const sent: { at: number; update: ProgressUpdate }[] = [];
    const start = Date.now();
    const reporter = createProgressReporter(
      async (update) => {
        sent.push({ at: Date.now() - start, update });
        return { ok: true };
      },
      250,
      clock,
    );

    // A loader reporting every 10 ms for 2 s, then ready.
    for (let percent = 0; percent < 100; percent++) {
      reporter.push({ percent, status: "loading" });
      await vi.advanceTimersByTimeAsync(20);
    }
    reporter.push({ percent: 100, status: "ready" });
    await vi.advanceTimersByTimeAsync(1000);

    expect(sent.at(-1)?.update).toEqual({ percent: 100, status: "ready" });
    for (let i = 1; i < sent.length; i++) expect(sent[i]!.at - sent[i - 1]!.at).toBeGreaterThanOrEqual(250);
    expect(sent.length).toBeLessThanOrEqual(Math.ceil(2000 / 250) + 2);
    expect(sent.length).toBeGreaterThanOrEqual(6);
  });

  it("does not resend an unchanged value", async () => {
    const send = vi.fn(async () => ({ ok: true as const }));
    const reporter = createProgressReporter(send, 250, clock);
    reporter.push({ percent: 10, status: "loading" });
    await vi.advanceTimersByTimeAsync(300);
    reporter.push({ percent: 10, status: "loading" });
    await vi.advanceTimersByTimeAsync(300);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it("sends a framing change even when the percent and status stay the same", async () => {
    const send = vi.fn(async () => ({ ok: true as const }));
    const reporter = createProgressReporter(send, 250, clock);
    reporter.push({ percent: 100, status: "ready", framing: "adjusting" });
    await vi.advanceTimersByTimeAsync(300);
    reporter.push({ percent: 100, status: "ready", framing: "skipped" });
    await vi.advanceTimersByTimeAsync(300);
    expect(send).toHaveBeenCalledTimes(2);
    expect(send).toHaveBeenLastCalledWith({ percent: 100, status: "ready", framing: "skipped" });
  });

  it("retries a refused update when nothing newer is queued", async () => {
    const answers = [{ ok: false as const, code: "rate_limited" }, { ok: true as const }];
    const send = vi.fn(async () => answers.shift() ?? { ok: true as const });
    const reporter = createProgressReporter(send, 250, clock);
    reporter.push({ percent: 100, status: "ready" });
    await vi.advanceTimersByTimeAsync(600);
    expect(send).toHaveBeenCalledTimes(2);
    expect(send).toHaveBeenLastCalledWith({ percent: 100, status: "ready" });
  });

  it("keeps retrying 'ready' while a dropped connection's rejoin has not landed (not_in_room)", async () => {
    const answers = [{ ok: false as const, code: "not_in_room" }, { ok: false as const, code: "server_unreachable" }, { ok: true as const }];
    const send = vi.fn(async () => answers.shift() ?? { ok: true as const });
    const reporter = createProgressReporter(send, 250, clock);
    reporter.push({ percent: 100, status: "ready" });
    await vi.advanceTimersByTimeAsync(1000);
    expect(send).toHaveBeenCalledTimes(3);
    expect(send).toHaveBeenLastCalledWith({ percent: 100, status: "ready" });
  });

  it("stops retrying once the game has begun without this player", async () => {
    const send = vi.fn(async () => ({ ok: false as const, code: "spectator" }));
    const reporter = createProgressReporter(send, 250, clock);
    reporter.push({ percent: 100, status: "ready" });
    await vi.advanceTimersByTimeAsync(1000);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it("never resends a refused value once a newer one went out", async () => {
    const sent: ProgressUpdate[] = [];
    let refuseFirst = true;
    const reporter = createProgressReporter(
      async (update) => {
        sent.push(update);
        // The first answer arrives late and refused, after "ready" was already sent.
        if (refuseFirst) {
          refuseFirst = false;
          await new Promise((resolve) => setTimeout(resolve, 600));
          return { ok: false, code: "rate_limited" };
        }
        return { ok: true };
      },
      250,
      clock,
    );
    reporter.push({ percent: 99, status: "loading" });
    await vi.advanceTimersByTimeAsync(10);
    reporter.push({ percent: 100, status: "ready" });
    await vi.advanceTimersByTimeAsync(2000);
    expect(sent).toEqual([
      { percent: 99, status: "loading" },
      { percent: 100, status: "ready" },
    ]);
  });

  it("stops after dispose", async () => {
    const send = vi.fn(async () => ({ ok: true as const }));
    const reporter = createProgressReporter(send, 250, clock);
    reporter.push({ percent: 1, status: "loading" });
    await vi.advanceTimersByTimeAsync(10);
    reporter.push({ percent: 2, status: "loading" });
    reporter.dispose();
    await vi.advanceTimersByTimeAsync(1000);
    expect(send).toHaveBeenCalledTimes(1);
  });
});
