import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { forgetRememberedPlan, readRememberedPlan, rememberPlan } from "@/client/vision/plans/rememberedPlan";

// localStorage is a browser API: a Map-backed stand-in with the same three methods the module uses.
class MemoryStorage {
  private readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

const choice = {
  plan: "worker-cpu" as const,
  detectMsP50: 29,
  measurements: [
    { plan: "main-cpu" as const, pageFps: 20.6, resultsPerSecond: 20.2, detectMsP50: 43 },
    { plan: "worker-cpu" as const, pageFps: 59.9, resultsPerSecond: 24, detectMsP50: 29 },
  ],
};

describe("the plan remembered per device", () => {
  beforeEach(() => {
    (globalThis as { localStorage?: unknown }).localStorage = new MemoryStorage();
  });
  afterEach(() => {
    delete (globalThis as { localStorage?: unknown }).localStorage;
  });

  it("is recalled on the same device, model and runtime, so the next lobby skips the trial", () => {
    rememberPlan("1.1.0|pose_lite|UA|8", choice, 1_000);
    expect(readRememberedPlan("1.1.0|pose_lite|UA|8", 2_000)).toEqual(choice);
  });

  it("is not recalled for another model, runtime version or browser", () => {
    rememberPlan("1.1.0|pose_lite|UA|8", choice, 1_000);
    expect(readRememberedPlan("1.1.0|pose_full|UA|8", 2_000)).toBeNull();
    expect(readRememberedPlan("1.2.0|pose_lite|UA|8", 2_000)).toBeNull();
    expect(readRememberedPlan("1.1.0|pose_lite|UA2|8", 2_000)).toBeNull();
  });

  it("expires after a month and is forgotten on a re-check", () => {
    rememberPlan("key", choice, 0);
    expect(readRememberedPlan("key", 31 * 24 * 60 * 60_000)).toBeNull();
    rememberPlan("key", choice, 0);
    forgetRememberedPlan();
    expect(readRememberedPlan("key", 1)).toBeNull();
  });

  it("ignores what it cannot read (another version's shape, corrupt JSON) and survives blocked storage", () => {
    localStorage.setItem("poseparty.inferencePlan.v1", "{not json");
    expect(readRememberedPlan("key")).toBeNull();
    localStorage.setItem("poseparty.inferencePlan.v1", JSON.stringify({ deviceKey: "key", plan: "quantum", measuredAt: Date.now() }));
    expect(readRememberedPlan("key")).toBeNull();
    delete (globalThis as { localStorage?: unknown }).localStorage;
    expect(() => rememberPlan("key", choice)).not.toThrow();
    expect(readRememberedPlan("key")).toBeNull();
  });

  it("leaves out a measurement with no detection (NaN does not survive JSON)", () => {
    rememberPlan(
      "key",
      { ...choice, measurements: [...choice.measurements, { plan: "main-gpu", pageFps: 60, resultsPerSecond: 0, detectMsP50: Number.NaN }] },
      0,
    );
    expect(readRememberedPlan("key", 1)?.measurements.map((m) => m.plan)).toEqual(["main-cpu", "worker-cpu"]);
  });
});
