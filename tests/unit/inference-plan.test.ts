import { describe, expect, it } from "vitest";
import { cappedPlanToTry, choosePlan, INFERENCE_PLAN_IDS, type InferencePlanId, type PlanMeasurement } from "@/core/inferencePlan";

const measured = (plan: InferencePlanId, pageFps: number, resultsPerSecond: number, detectMsP50 = 30): PlanMeasurement => ({
  plan,
  pageFps,
  resultsPerSecond,
  detectMsP50,
});

describe("choosing an inference plan from the lobby's measurements", () => {
  it("keeps the main thread on a fast device, even when the worker measures about the same", () => {
    // The fast laptop of the lesson: main 49-60 fps at 20 ms, a worker no better.
    expect(choosePlan([measured("main-cpu", 59, 29, 20), measured("worker-cpu", 60, 30, 22)])).toEqual({ plan: "main-cpu", reason: "smooth" });
  });

  it("takes the worker on a slow device where the main thread drags the page to the inference rate", () => {
    // This machine's bench: main 20.6 fps / 20.2 results, worker 59.9 fps / 24 results.
    expect(choosePlan([measured("main-cpu", 20.6, 20.2, 43), measured("worker-cpu", 59.9, 24, 29)])).toEqual({ plan: "worker-cpu", reason: "smooth" });
  });

  it("among smooth plans takes the most results, not the smoothest page", () => {
    const choice = choosePlan([measured("main-cpu", 52, 14), measured("worker-cpu", 60, 24), measured("main-gpu", 58, 30, 12)]);
    expect(choice).toEqual({ plan: "main-gpu", reason: "smooth" });
  });

  it("with no smooth plan, takes the smoothest page that still gives 8 results a second", () => {
    const choice = choosePlan([measured("main-cpu", 18, 17), measured("worker-cpu", 31, 12), measured("worker-cpu-capped", 44, 7)]);
    // The capped worker drew the page best but gave too few results for a hold.
    expect(choice).toEqual({ plan: "worker-cpu", reason: "smoothest" });
  });

  it("never calls a page smooth that gives too few results for a hold", () => {
    // A worker at 7 results a second keeps the page at 55 fps, but a hold needs 8: the main thread's 20 win.
    expect(choosePlan([measured("main-cpu", 21, 20), measured("worker-cpu", 55, 7)])).toEqual({ plan: "main-cpu", reason: "smoothest" });
  });

  it("when nothing gives 8 results a second, keeps the call smooth without giving up many results", () => {
    // The bench's game here: main 9 fps at 5.6 results, worker 59 fps at 5.0. Both score slowly; only one freezes the call.
    expect(choosePlan([measured("main-cpu", 9.3, 5.6), measured("worker-cpu", 59.2, 5)])).toEqual({ plan: "worker-cpu", reason: "scarce" });
    // A smooth page that gives far fewer results (under 3/4 of the most) is no trade: the main thread's 5 win.
    expect(choosePlan([measured("main-cpu", 12, 5), measured("worker-cpu", 40, 3)])).toEqual({ plan: "main-cpu", reason: "scarce" });
    // Near-equal pages go to the main thread.
    expect(choosePlan([measured("main-cpu", 30, 6), measured("worker-cpu", 32, 6)])).toEqual({ plan: "main-cpu", reason: "scarce" });
  });

  it("falls back to main-CPU when nothing gave a result, or nothing was measured", () => {
    expect(choosePlan([measured("main-cpu", 12, 0), measured("worker-cpu", 40, 0)])).toEqual({ plan: "main-cpu", reason: "default" });
    expect(choosePlan([])).toEqual({ plan: "main-cpu", reason: "default" });
  });

  it("chooses among what could run: no worker (iOS 17 Safari), no GPU", () => {
    // Only main-thread plans were measured: the capped main thread keeps the page smooth.
    expect(choosePlan([measured("main-cpu", 22, 21), measured("main-cpu-capped", 51, 9.5)])).toEqual({ plan: "main-cpu-capped", reason: "smooth" });
    // No GPU measurement at all: the rule only sees CPU plans.
    expect(choosePlan([measured("main-cpu", 45, 25), measured("worker-cpu", 47, 25)])).toEqual({ plan: "main-cpu", reason: "smoothest" });
  });

  it("ignores measurements that are not numbers or gave no result (a plan that failed mid-trial)", () => {
    expect(choosePlan([measured("worker-cpu", Number.NaN, 30), measured("main-gpu", 60, 0), measured("main-cpu", 58, 25)])).toEqual({
      plan: "main-cpu",
      reason: "smooth",
    });
  });

  it("orders ties by preference: main before GPU before worker before capped", () => {
    expect(INFERENCE_PLAN_IDS[0]).toBe("main-cpu");
    expect(choosePlan([measured("worker-cpu", 55, 20), measured("main-gpu", 56, 20)]).plan).toBe("main-gpu");
  });
});

describe("whether a capped plan is worth one more trial", () => {
  const all = INFERENCE_PLAN_IDS;

  it("is not tried when a plan kept the page smooth", () => {
    expect(cappedPlanToTry([measured("main-cpu", 20, 20), measured("worker-cpu", 58, 24)], all)).toBeNull();
  });

  it("caps the thread that drew the page best", () => {
    expect(cappedPlanToTry([measured("main-cpu", 20, 20), measured("worker-cpu", 38, 24)], all)).toBe("worker-cpu-capped");
    expect(cappedPlanToTry([measured("main-cpu", 30, 20), measured("worker-cpu", 22, 24)], all)).toBe("main-cpu-capped");
  });

  it("is not tried when no plan gave more results than the cap allows (capping would change nothing)", () => {
    // The trial here: main 9.3 results, worker 5.6: a cap of 10 a second would not take a single detection away.
    expect(cappedPlanToTry([measured("main-cpu", 9.3, 9.3), measured("worker-cpu", 59.2, 5.6)], all)).toBeNull();
    // Only the plan above the cap is worth capping, though the other drew the page better.
    expect(cappedPlanToTry([measured("main-cpu", 20, 19), measured("worker-cpu", 45, 9)], all)).toBe("main-cpu-capped");
  });

  it("is tried once, and only where it can run", () => {
    expect(cappedPlanToTry([measured("main-cpu", 20, 20), measured("main-cpu-capped", 35, 10)], all)).toBeNull();
    expect(cappedPlanToTry([measured("main-cpu", 20, 20)], ["main-cpu"])).toBeNull();
  });
});
