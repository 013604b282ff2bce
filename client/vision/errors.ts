/** How a preload fails, and the small helpers every step shares for errors. */
import { FetchWithProgressError } from "./fetchWithProgress";
import type { AssetKey } from "./progress";

/**
 * network: a download failed (offline, HTTP error, missing asset), after its retries: a download
 * that breaks off or goes silent is resumed first (downloads.ts), and Retry goes on from the bytes
 * kept. integrity: bytes differ from the manifest. unsupported: the browser cannot run it (no
 * WebAssembly, insecure context, loader script refused). camera: not raised by the preloader (it
 * falls back to the still image); for the lobby's own camera errors. stalled: a step stopped
 * making progress (a compile or create that never finishes); Retry starts over. other: anything
 * else (bad manifest, task creation failed).
 */
export type PreloadFailureKind = "network" | "camera" | "unsupported" | "integrity" | "stalled" | "other";

export class PreloadError extends Error {
  readonly kind: PreloadFailureKind;
  readonly asset?: AssetKey;

  constructor(kind: PreloadFailureKind, message: string, options?: { asset?: AssetKey; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PreloadError";
    this.kind = kind;
    if (options?.asset !== undefined) this.asset = options.asset;
  }
}

/** Maps anything thrown to a PreloadError, except aborts, which stay the signal's AbortError. */
export function toPreloadFailure(error: unknown, signal: AbortSignal | undefined, asset?: AssetKey): unknown {
  if (signal?.aborted) return signal.reason ?? error;
  if (error instanceof DOMException && error.name === "AbortError") return error;
  if (error instanceof PreloadError) return error;
  if (error instanceof FetchWithProgressError) {
    const kind: PreloadFailureKind = error.kind === "integrity" ? "integrity" : error.kind === "unsupported" ? "unsupported" : "network";
    const what = asset === undefined ? "" : `${asset}: `;
    return new PreloadError(kind, `${what}${error.message}`, { asset, cause: error });
  }
  return new PreloadError("other", describe(error), { asset, cause: error });
}

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A promise that never rejects (so starting work early cannot cause an unhandled rejection). */
export function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

export function unwrap<T>(settled: Settled<T>, toError: (error: unknown) => Error): T {
  if (settled.ok) return settled.value;
  throw toError(settled.error);
}

export function joinUrl(baseUrl: string, rootRelativeUrl: string): string {
  return `${baseUrl.replace(/\/+$/, "")}${rootRelativeUrl}`;
}

export function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof Event !== "undefined" && error instanceof Event) return `${error.type} event`;
  return String(error);
}
