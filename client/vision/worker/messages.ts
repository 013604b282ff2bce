/**
 * Messages between the page and the inference worker (client/vision/worker/inferenceWorker.ts).
 * Internal to the page: nothing here crosses the network, so it is not part of core/protocol.ts.
 */
import type { VisionAssetKind, VisionAssetName } from "@/core/visionManifest";
import type { Delegate, KindDetection } from "../modelKinds";

export type WorkerFrame = ImageBitmap | VideoFrame;

/** Page -> worker. Frames and model bytes are transferred (the page keeps its own copy of the bytes). */
export type ToInferenceWorker =
  | { type: "ping"; id: number }
  | {
      type: "create";
      id: number;
      kind: VisionAssetKind;
      asset: VisionAssetName;
      delegate: Delegate;
      /** The emscripten loader script (the worker makes its own blob: URL of it). */
      loader: Uint8Array<ArrayBuffer>;
      /** The runtime the page compiled: instantiated here without compiling again. */
      runtime: WebAssembly.Module;
      model: Uint8Array<ArrayBuffer>;
      /** The first detection runs on it (the slow one), so the game never pays for it. */
      warmupFrame: WorkerFrame | null;
    }
  | { type: "detect"; id: number; kind: VisionAssetKind; frame: WorkerFrame }
  | { type: "close" };

/** Worker -> page. */
export type FromInferenceWorker =
  | { type: "pong"; id: number }
  | { type: "created"; id: number; createMs: number; warmupMs: number | null }
  | { type: "detected"; id: number; detection: KindDetection; detectMs: number }
  | { type: "failed"; id: number | null; message: string };
