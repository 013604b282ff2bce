/**
 * The vision runtime (tasks-vision's WASM) compiled once, and tasks created from it. Works on the
 * main thread and in the inference worker: both set the same emscripten hook on their own global.
 */
import type { VisionAssetKind, VisionAssetName } from "@/core/visionManifest";
import { describe, PreloadError } from "./errors";
import { createTaskOfKind, type Delegate, type TasksVision, type VisionTask, type WasmFileset } from "./modelKinds";
import { guardStep } from "./stallGuard";
import { stopUsageLogging } from "./usageLogging";

const COMPILE_LIMIT_MS = 60_000;

/**
 * Compiles the runtime once per preload. tasks-vision instantiates the runtime anew for every
 * task, and by default each instantiation fetches and compiles the 13 MB binary again: three
 * compiles for an all-models playlist, nine on one machine running three players. Compiled once,
 * every task's instance shares the machine code (V8 shares a Module's code between instances),
 * and the compiled Module can be posted to the inference worker instead of compiling again there.
 */
export async function compileRuntime(binary: Uint8Array<ArrayBuffer>, signal: AbortSignal | undefined): Promise<WebAssembly.Module> {
  try {
    return await guardStep(WebAssembly.compile(binary), {
      limitMs: COMPILE_LIMIT_MS,
      signal,
      onStall: () => new PreloadError("stalled", `compiling the vision runtime did not finish within ${COMPILE_LIMIT_MS / 1000} s`, { asset: "runtime" }),
    });
  } catch (error) {
    if (error instanceof PreloadError || signal?.aborted) throw error;
    throw new PreloadError("unsupported", `this browser cannot compile the vision runtime: ${describe(error)}`, { asset: "runtime", cause: error });
  }
}

/**
 * Creates one task from model bytes on this thread. Tasks must be created one at a time per
 * thread: tasks-vision hands its loader over through globals (`self.Module`, `ModuleFactory`).
 */
export async function createTask(
  vision: TasksVision,
  fileset: WasmFileset,
  runtimeModule: WebAssembly.Module,
  kind: VisionAssetKind,
  modelAssetBuffer: Uint8Array,
  delegate: Delegate,
): Promise<VisionTask> {
  const instantiation = provideCompiledRuntime(runtimeModule);
  try {
    // Emscripten never settles its factory when instantiateWasm fails: race that failure.
    const task = await Promise.race([createTaskOfKind(kind, vision, fileset, { modelAssetBuffer, delegate }), instantiation.failed]);
    // No usage statistics to Google from players' phones (usageLogging.ts; the CSP is the backstop).
    if (!stopUsageLogging(task)) console.warn("PoseParty: this tasks-vision build's usage logging could not be turned off; the CSP blocks it");
    return task;
  } finally {
    instantiation.release();
  }
}

type EmscriptenInstantiate = (imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance) => void) => object;

/**
 * Makes the next createFromOptions instantiate the compiled runtime instead of fetching and
 * compiling the binary: tasks-vision passes `self.Module` to the emscripten factory (adding its
 * own locateFile) and clears it afterwards; emscripten calls `Module.instantiateWasm` when set.
 */
function provideCompiledRuntime(runtimeModule: WebAssembly.Module): { failed: Promise<never>; release(): void } {
  const scope = globalThis as { Module?: { instantiateWasm: EmscriptenInstantiate } };
  let fail: (error: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => undefined); // raced, never awaited alone
  const hook = {
    instantiateWasm: (imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance) => void): object => {
      WebAssembly.instantiate(runtimeModule, imports).then(receive, fail);
      return {}; // emscripten: instantiation is under way, asynchronously
    },
  };
  scope.Module = hook;
  return {
    failed,
    release: () => {
      // Normally tasks-vision has cleared it; a create that failed early leaves it behind.
      if (scope.Module === hook) delete scope.Module;
    },
  };
}

export function creationFailure(error: unknown, asset: VisionAssetName): PreloadError {
  // tasks-vision rejects with the <script> error Event when its loader script does not run.
  if (typeof Event !== "undefined" && error instanceof Event) {
    return new PreloadError("unsupported", `the WASM loader script did not run for ${asset} (a Content-Security-Policy without blob: in script-src?)`, {
      asset,
    });
  }
  if (error instanceof WebAssembly.CompileError || error instanceof WebAssembly.LinkError) {
    return new PreloadError("unsupported", `this browser cannot compile the vision runtime: ${describe(error)}`, { asset, cause: error });
  }
  return new PreloadError("other", `could not create ${asset}: ${describe(error)}`, { asset, cause: error });
}

export function closeQuietly(task: { close(): void }): void {
  try {
    task.close();
  } catch {
    // A task whose graph failed may throw on close; nothing more to free.
  }
}
