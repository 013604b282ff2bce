// A plan worker still starting when the player leaves the room (the vision tasks close) must not
// outlive the room: its start finishing later closes it instead of keeping it as the plan's worker.
// The worker is a stand-in: InferenceWorker.start returns a promise the test resolves by hand.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { InferenceWorker } from "@/client/vision/worker/workerClient";

const starts = vi.hoisted(() => [] as { resolve: (worker: InferenceWorker) => void }[]);

vi.mock("@/client/vision/worker/workerClient", async (importOriginal) => ({
  ...(await importOriginal<typeof import("@/client/vision/worker/workerClient")>()),
  canRunInferenceWorker: () => true,
  InferenceWorker: {
    start: vi.fn(() => new Promise<InferenceWorker>((resolve) => starts.push({ resolve }))),
  },
}));

const { startWorkerScript } = await import("@/client/vision/plans/settlePlan");
const { planWorker } = await import("@/client/vision/plans/activePlan");
const { closeVisionTasks } = await import("@/client/vision/registry");
const { InferenceWorker: MockedWorker, InferenceWorkerClosed } = await import("@/client/vision/worker/workerClient");

function fakeWorker(): InferenceWorker & { close: ReturnType<typeof vi.fn> } {
  const worker = { failed: null as Error | null, close: vi.fn(() => void (worker.failed = new InferenceWorkerClosed())) };
  return worker as unknown as InferenceWorker & { close: ReturnType<typeof vi.fn> };
}

const POSE = [{ name: "pose_lite", kind: "pose" }] as const;

/** Lets the start's `.then` run. */
const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("the plan worker and the room's close", () => {
  afterEach(() => {
    closeVisionTasks();
    starts.length = 0;
    vi.mocked(MockedWorker.start).mockClear();
  });

  it("closes a worker whose start finishes after the player left, and does not keep it", async () => {
    startWorkerScript(POSE);
    expect(starts).toHaveLength(1);

    closeVisionTasks(); // the player leaves while the worker starts
    const late = fakeWorker();
    starts[0]!.resolve(late);
    await settled();

    expect(late.close).toHaveBeenCalledTimes(1);
    expect(planWorker()).toBeNull();
  });

  it("starts a new worker for the next lobby instead of waiting for the closed one", async () => {
    startWorkerScript(POSE);
    closeVisionTasks();
    startWorkerScript(POSE);
    expect(starts).toHaveLength(2);

    const late = fakeWorker();
    const next = fakeWorker();
    starts[1]!.resolve(next);
    starts[0]!.resolve(late);
    await settled();

    expect(late.close).toHaveBeenCalledTimes(1);
    expect(next.close).not.toHaveBeenCalled();
    expect(planWorker()).toBe(next);
  });

  it("keeps a worker whose start finishes while the room is open", async () => {
    startWorkerScript(POSE);
    const worker = fakeWorker();
    starts[0]!.resolve(worker);
    await settled();

    expect(worker.close).not.toHaveBeenCalled();
    expect(planWorker()).toBe(worker);
  });
});
