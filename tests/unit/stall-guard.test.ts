// The lobby's guard against steps that never finish (client/vision/stallGuard.ts). Reproduces
// the stuck lobby of issue 10: a create that never settles held the preload, and the Retry
// queued behind it never ran. Fake timers stand in for the minute a real stall takes.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { guardStep, inactivityWatchdog, serialQueue } from "@/client/vision/stallGuard";

class StalledError extends Error {}

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("guardStep", () => {
  it("passes a step's result through when it settles in time", async () => {
    await expect(guardStep(Promise.resolve(42), { limitMs: 1000, onStall: () => new StalledError() })).resolves.toBe(42);
    await expect(guardStep(Promise.reject(new Error("boom")), { limitMs: 1000, onStall: () => new StalledError() })).rejects.toThrow("boom");
  });

  it("rejects with the stall error when the step never settles", async () => {
    const guarded = guardStep(never<number>(), { limitMs: 60_000, onStall: () => new StalledError("create stalled") });
    const outcome = guarded.then(
      () => "resolved",
      (error: unknown) => error,
    );
    await vi.advanceTimersByTimeAsync(59_999);
    let settled = false;
    void outcome.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(StalledError);
    expect((error as Error).message).toBe("create stalled");
  });

  it("settles at once on abort, with the signal's reason", async () => {
    const controller = new AbortController();
    const guarded = guardStep(never<number>(), { limitMs: 60_000, signal: controller.signal, onStall: () => new StalledError() });
    controller.abort(new Error("left the lobby"));
    await expect(guarded).rejects.toThrow("left the lobby");
  });

  it("hands a late result to onAbandoned (so a task created after the stall is closed)", async () => {
    let finishCreate: (value: string) => void = () => undefined;
    const create = new Promise<string>((resolve) => (finishCreate = resolve));
    const abandoned: string[] = [];
    const guarded = guardStep(create, { limitMs: 1000, onStall: () => new StalledError(), onAbandoned: (late) => abandoned.push(late) });
    const caught = guarded.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await caught).toBeInstanceOf(StalledError);
    finishCreate("pose task");
    await Promise.resolve();
    await Promise.resolve();
    expect(abandoned).toEqual(["pose task"]);
  });
});

describe("serialQueue with a stalled job", () => {
  it("without a guard, a never-settling job blocks the retry forever (the bug)", async () => {
    const enqueue = serialQueue();
    void enqueue(() => never<void>());
    let retried = false;
    void enqueue(async () => {
      retried = true;
    });
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(retried).toBe(false);
  });

  it("with the guard, the stalled preload fails and the retry runs", async () => {
    const enqueue = serialQueue();
    const first = enqueue(() => guardStep(never<void>(), { limitMs: 60_000, onStall: () => new StalledError("stalled") }));
    const firstOutcome = first.catch((error: unknown) => error);
    const retry = enqueue(async () => "ready");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await firstOutcome).toBeInstanceOf(StalledError);
    await expect(retry).resolves.toBe("ready");
  });
});

describe("inactivityWatchdog", () => {
  it("fires only after a silence as long as the limit, however long the whole step takes", async () => {
    let fired = 0;
    const watchdog = inactivityWatchdog(30_000, () => (fired += 1));
    for (let second = 0; second < 120; second += 10) {
      await vi.advanceTimersByTimeAsync(10_000);
      watchdog.touch(); // bytes keep arriving
    }
    expect(fired).toBe(0);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(fired).toBe(1);
    watchdog.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fired).toBe(1);
  });
});
