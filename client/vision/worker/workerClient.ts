/**
 * The page's side of the inference worker: starts it, creates tasks in it from the bytes the lobby
 * kept (registry.ts), and sends it camera frames. A worker that cannot start (no Worker, no
 * OffscreenCanvas: iOS 17 Safari lacks what a tasks-vision worker needs; a CSP without worker-src)
 * or that fails later reports it through `failed`, and the plan falls back to the main thread.
 */
import type { VisionAssetKind, VisionAssetName } from "@/core/visionManifest";
import type { Delegate, KindDetection } from "../modelKinds";
import type { KeptRuntime } from "../registry";
import type { FromInferenceWorker, ToInferenceWorker, WorkerFrame } from "./messages";

export const INFERENCE_WORKER_URL = "/vision/inference-worker.js";
/** The worker's first answer; a worker that does not answer in this time is not used. */
const START_TIMEOUT_MS = 20_000;
/** A create (plus its warm-up detection) that takes longer than this is treated as a failure. */
const CREATE_TIMEOUT_MS = 60_000;
/** One detection; far above any real one (a stuck worker must not stop the game's loop for good). */
const DETECT_TIMEOUT_MS = 5_000;

/** The page closed the worker on purpose (another plan was chosen, the player left): not a failure. */
export class InferenceWorkerClosed extends Error {
  constructor() {
    super("the inference worker was closed");
    this.name = "InferenceWorkerClosed";
  }
}

type Pending = { resolve: (message: FromInferenceWorker) => void; reject: (error: Error) => void; timer: ReturnType<typeof setTimeout> };

/** Whether this browser has what a tasks-vision worker needs. */
export function canRunInferenceWorker(): boolean {
  return typeof Worker === "function" && typeof OffscreenCanvas === "function" && typeof createImageBitmap === "function";
}

export class InferenceWorker {
  private readonly pending = new Map<number, Pending>();
  private readonly created = new Map<VisionAssetKind, VisionAssetName>();
  private readonly failureListeners = new Set<(error: Error) => void>();
  private nextId = 1;
  private failure: Error | null = null;

  private constructor(private readonly worker: Worker) {
    worker.onmessage = (event: MessageEvent<FromInferenceWorker>) => this.receive(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.fail(new Error(`the inference worker stopped: ${event.message || "script error"}`));
    };
    worker.onmessageerror = () => this.fail(new Error("the inference worker sent a message that could not be read"));
  }

  /** Starts the worker and waits for its first answer; rejects when it cannot run here. */
  static async start(url: string = INFERENCE_WORKER_URL): Promise<InferenceWorker> {
    if (!canRunInferenceWorker()) throw new Error("this browser cannot run the inference worker (no Worker or OffscreenCanvas)");
    const client = new InferenceWorker(new Worker(url, { name: "poseparty-inference" }));
    try {
      await client.request({ type: "ping", id: 0 }, START_TIMEOUT_MS);
      return client;
    } catch (error) {
      client.close();
      throw error;
    }
  }

  get failed(): Error | null {
    return this.failure;
  }

  /** Called once, when the worker stops working (it is closed then). */
  onFailure(listener: (error: Error) => void): () => void {
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  has(kind: VisionAssetKind, asset: VisionAssetName): boolean {
    return this.created.get(kind) === asset;
  }

  /** Creates a task in the worker and runs its first (slow) detection on `warmupFrame`. */
  async create(options: {
    kind: VisionAssetKind;
    asset: VisionAssetName;
    delegate: Delegate;
    runtime: KeptRuntime;
    model: Uint8Array<ArrayBuffer>;
    warmupFrame: WorkerFrame | null;
  }): Promise<{ createMs: number; warmupMs: number | null }> {
    // Copies: the page keeps its bytes for other plans; the copy is transferred, not cloned again.
    const loader = options.runtime.loader.slice();
    const model = options.model.slice();
    const transfer: Transferable[] = [loader.buffer, model.buffer];
    if (options.warmupFrame) transfer.push(options.warmupFrame);
    const reply = await this.request(
      {
        type: "create",
        id: 0,
        kind: options.kind,
        asset: options.asset,
        delegate: options.delegate,
        loader,
        runtime: options.runtime.module,
        model,
        warmupFrame: options.warmupFrame,
      },
      CREATE_TIMEOUT_MS,
      transfer,
    );
    if (reply.type !== "created") throw new Error(`unexpected ${reply.type} from the inference worker`);
    this.created.set(options.kind, options.asset);
    return { createMs: reply.createMs, warmupMs: reply.warmupMs };
  }

  /** One detection on a frame (transferred: the caller must not use it afterwards). */
  async detect(kind: VisionAssetKind, frame: WorkerFrame): Promise<{ detection: KindDetection; detectMs: number }> {
    const reply = await this.request({ type: "detect", id: 0, kind, frame }, DETECT_TIMEOUT_MS, [frame]);
    if (reply.type !== "detected") throw new Error(`unexpected ${reply.type} from the inference worker`);
    return { detection: reply.detection, detectMs: reply.detectMs };
  }

  close(): void {
    if (!this.failure) this.failure = new InferenceWorkerClosed();
    try {
      this.worker.postMessage({ type: "close" } satisfies ToInferenceWorker);
    } catch {
      // Already gone.
    }
    this.worker.terminate();
    this.created.clear();
    this.rejectAll(this.failure);
  }

  private request(message: ToInferenceWorker, timeoutMs: number, transfer: Transferable[] = []): Promise<FromInferenceWorker> {
    if (this.failure) {
      for (const item of transfer) if (item instanceof ImageBitmap || (typeof VideoFrame !== "undefined" && item instanceof VideoFrame)) item.close();
      return Promise.reject(this.failure);
    }
    const id = this.nextId++;
    const numbered = "id" in message ? { ...message, id } : message;
    return new Promise<FromInferenceWorker>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        const error = new Error(`the inference worker did not answer a ${message.type} within ${timeoutMs / 1000} s`);
        reject(error);
        // A worker stuck this long is not trusted with the game.
        this.fail(error);
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      try {
        this.worker.postMessage(numbered, transfer);
      } catch (error) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  private receive(message: FromInferenceWorker): void {
    const id = message.id;
    if (id === null) {
      this.fail(new Error(`the inference worker failed: ${message.type === "failed" ? message.message : "unknown"}`));
      return;
    }
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    if (message.type === "failed") entry.reject(new Error(message.message));
    else entry.resolve(message);
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.worker.terminate();
    this.created.clear();
    this.rejectAll(error);
    for (const listener of [...this.failureListeners]) listener(error);
  }

  private rejectAll(error: Error): void {
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.reject(error);
      this.pending.delete(id);
    }
  }
}
