import { describe, expect, it, vi } from "vitest";
import type { VisionAssetKind } from "@/core/visionManifest";
import { FallbackDetector, MainThreadDetector, type DetectionCallback, type FrameDetector } from "@/client/vision/plans/detectors";
import type { VisionTask } from "@/client/vision/modelKinds";

// The detectors need a video element only to read its size and hand it to tasks-vision: a plain
// object with those fields stands in for it, and a fake task records what it was asked.
const video = { videoWidth: 640, videoHeight: 480 } as HTMLVideoElement;

function fakePoseTask(behaviour: () => unknown): VisionTask {
  return { detectForVideo: vi.fn(behaviour) } as unknown as VisionTask;
}

class RecordingDetector implements FrameDetector {
  submitted = 0;
  constructor(readonly planId: FrameDetector["planId"]) {}
  has(): boolean {
    return true;
  }
  submit(_kind: VisionAssetKind, _video: HTMLVideoElement, _timestamp: number, onResult: DetectionCallback): boolean {
    this.submitted += 1;
    onResult(null, 1);
    return true;
  }
}

describe("the game's detectors", () => {
  it("detects on this thread at once and hands back the kind's plain shape", () => {
    const landmarks = [{ x: 0.5, y: 0.4, z: 0 }];
    const detector = new MainThreadDetector("main-cpu", (kind) => (kind === "pose" ? fakePoseTask(() => ({ landmarks: [landmarks] })) : undefined));
    const results: unknown[] = [];
    expect(detector.submit("pose", video, 1, (detection) => results.push(detection))).toBe(true);
    expect(results).toEqual([{ kind: "pose", frameWidth: 640, frameHeight: 480, pose: landmarks }]);
    expect(detector.has("hand")).toBe(false);
    expect(detector.submit("hand", video, 2, () => results.push("never"))).toBe(false);
  });

  it("skips a frame that fails, and counts as broken after five failures in a row (a lost GPU context)", () => {
    let fail = true;
    const detector = new MainThreadDetector("main-gpu", () =>
      fakePoseTask(() => {
        if (fail) throw new Error("context lost");
        return { landmarks: [] };
      }),
    );
    const results: unknown[] = [];
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    for (let i = 0; i < 4; i++) detector.submit("pose", video, i, (detection) => results.push(detection));
    expect(results).toEqual([null, null, null, null]);
    expect(detector.brokenReason).toBeNull();
    detector.submit("pose", video, 5, () => undefined);
    expect(detector.brokenReason).toMatch(/5 detections failed in a row: context lost/);
    fail = false;
    detector.submit("pose", video, 6, () => undefined);
    expect(detector.brokenReason).toBeNull();
    warn.mockRestore();
  });

  it("falls back to main-CPU for good once the chosen plan stops working", () => {
    const worker = new RecordingDetector("worker-cpu");
    const main = new RecordingDetector("main-cpu");
    let workerFailure: string | null = null;
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const detector = new FallbackDetector(worker, main, () => workerFailure);
    detector.submit("pose", video, 1, () => undefined);
    expect(detector.planId).toBe("worker-cpu");
    workerFailure = "the inference worker stopped";
    detector.submit("pose", video, 2, () => undefined);
    // Even if the check later said otherwise, the game stays on the main thread.
    workerFailure = null;
    detector.submit("pose", video, 3, () => undefined);
    expect([worker.submitted, main.submitted]).toEqual([1, 2]);
    expect(detector.planId).toBe("main-cpu");
    expect(detector.fallbackReason).toBe("the inference worker stopped");
    warn.mockRestore();
  });
});
