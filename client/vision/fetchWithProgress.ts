/**
 * Downloads one file with byte progress and checks its sha256. Browser module (also runs in
 * Node 20, which has fetch, ReadableStream and crypto.subtle: the unit tests use that).
 *
 * Progress: the vision assets are served gzip/br-encoded, so `Content-Length` is the size on the
 * wire while the stream reader yields DECOMPRESSED bytes. The caller passes the raw size from the
 * manifest as `expectedBytes`; `Content-Length` is only used when there is no expected size and
 * the response is visibly not encoded.
 *
 * Integrity: checked here rather than with fetch's `integrity` option, because a failed SRI
 * check is an anonymous network error and Chromium buffers the whole body before exposing it,
 * which would freeze the progress bar. The digest itself is not free on the main thread in
 * Chromium (see sha256Hasher.ts): pass `sha256` to run it elsewhere.
 */
import { sha256OnThisThread, type Sha256Result } from "./sha256Hasher";

export type FetchFailureKind = "network" | "http" | "integrity" | "unsupported";

export class FetchWithProgressError extends Error {
  readonly kind: FetchFailureKind;
  readonly url: string;
  readonly status: number | undefined;

  constructor(kind: FetchFailureKind, url: string, message: string, options?: { status?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "FetchWithProgressError";
    this.kind = kind;
    this.url = url;
    this.status = options?.status;
  }
}

export interface DownloadProgress {
  receivedBytes: number;
  /** Raw (decoded) size; 0 while unknown. */
  totalBytes: number;
}

export interface FetchWithProgressOptions {
  /** Raw size of the file (manifest `bytes`); a body of any other size is an integrity failure. */
  expectedBytes?: number;
  /** Lowercase hex sha256 of the raw file (manifest `sha256`). */
  expectedSha256?: string;
  signal?: AbortSignal;
  /** Called after every chunk (and once at the start with 0 received). */
  onProgress?: (progress: DownloadProgress) => void;
  /**
   * Computes the digest (e.g. Sha256Hasher.digest, off the main thread); may hand back the bytes
   * in a new array (transferred). Default: crypto.subtle on this thread, in a task of its own.
   */
  sha256?: (bytes: Uint8Array<ArrayBuffer>) => Promise<Sha256Result>;
  /** Passed to fetch; the default lets immutable files come from the HTTP cache on a second visit. */
  cache?: RequestCache;
}

export interface FetchedFile {
  url: string;
  bytes: Uint8Array<ArrayBuffer>;
  /** `Content-Encoding` as seen by the page (null when absent or not exposed cross-origin). */
  contentEncoding: string | null;
  /** Body size on the wire (Resource Timing `encodedBodySize`); null when not measurable. */
  wireBytes: number | null;
  /** True when Resource Timing says the body came from the HTTP cache; null when unknown. */
  fromHttpCache: boolean | null;
  /** From the request to the verified bytes, including the digest. */
  downloadMs: number;
}

/**
 * Fetches `url`, streaming the body and reporting progress, then verifies size and sha256.
 * Rejects with FetchWithProgressError (kind network | http | integrity | unsupported), or with
 * the signal's AbortError when aborted.
 */
export async function fetchWithProgress(url: string, options: FetchWithProgressOptions = {}): Promise<FetchedFile> {
  const { expectedBytes, expectedSha256, signal, onProgress } = options;
  const startedAt = performance.now();
  signal?.throwIfAborted();
  if (expectedSha256 !== undefined && !globalThis.crypto?.subtle) {
    // crypto.subtle only exists in secure contexts; so does the camera, so the game cannot run here anyway.
    throw new FetchWithProgressError("unsupported", url, `cannot verify ${url}: crypto.subtle needs a secure context (https or localhost)`);
  }

  let response: Response;
  try {
    response = await fetch(url, { signal, cache: options.cache ?? "default" });
  } catch (error) {
    throw rethrowAbortOr(error, signal, () => new FetchWithProgressError("network", url, `could not fetch ${url}: ${describe(error)}`, { cause: error }));
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new FetchWithProgressError("http", url, `could not fetch ${url}: HTTP ${response.status}`, { status: response.status });
  }

  const contentEncoding = response.headers.get("content-encoding");
  const totalBytes = expectedBytes ?? plainContentLength(response, contentEncoding) ?? 0;
  let bytes = await readBody(response, url, totalBytes, expectedBytes, signal, onProgress);

  if (expectedBytes !== undefined && bytes.byteLength !== expectedBytes) {
    throw new FetchWithProgressError("integrity", url, `${url}: received ${bytes.byteLength} bytes, the manifest says ${expectedBytes}`);
  }
  if (expectedSha256 !== undefined) {
    let actualSha256: string;
    try {
      const digested = await (options.sha256 ?? digestInOwnTask)(bytes);
      actualSha256 = digested.sha256;
      bytes = digested.bytes;
    } catch (error) {
      throw new FetchWithProgressError("unsupported", url, `could not compute the sha256 of ${url}: ${describe(error)}`, { cause: error });
    }
    signal?.throwIfAborted();
    if (actualSha256 !== expectedSha256.toLowerCase()) {
      throw new FetchWithProgressError("integrity", url, `${url}: sha256 ${actualSha256} does not match the manifest's ${expectedSha256}`);
    }
  }
  const timing = await resourceTiming(url);
  return { url, bytes, contentEncoding, ...timing, downloadMs: performance.now() - startedAt };
}

/** Content-Length, but only when it can be the decoded size (no content coding in play). */
function plainContentLength(response: Response, contentEncoding: string | null): number | null {
  if (contentEncoding !== null && contentEncoding.toLowerCase() !== "identity") return null;
  const header = response.headers.get("content-length");
  if (header === null) return null;
  const length = Number(header);
  return Number.isSafeInteger(length) && length > 0 ? length : null;
}

async function readBody(
  response: Response,
  url: string,
  totalBytes: number,
  expectedBytes: number | undefined,
  signal: AbortSignal | undefined,
  onProgress: FetchWithProgressOptions["onProgress"],
): Promise<Uint8Array<ArrayBuffer>> {
  // With a known size the chunks go straight into one buffer (no second 30 MB copy for heavy).
  const preallocated = expectedBytes !== undefined ? new Uint8Array(expectedBytes) : null;
  const chunks: Uint8Array[] = [];
  let receivedBytes = 0;
  let reportedTotal = totalBytes;
  onProgress?.({ receivedBytes, totalBytes: reportedTotal });
  if (!response.body) return preallocated ?? new Uint8Array(0);

  const reader = response.body.getReader();
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        throw rethrowAbortOr(
          error,
          signal,
          () => new FetchWithProgressError("network", url, `download of ${url} broke off after ${receivedBytes} bytes: ${describe(error)}`, { cause: error }),
        );
      }
      if (chunk.done) break;
      const value = chunk.value;
      if (preallocated) {
        if (receivedBytes + value.byteLength > preallocated.byteLength) {
          throw new FetchWithProgressError("integrity", url, `${url}: body is larger than the manifest's ${preallocated.byteLength} bytes`);
        }
        preallocated.set(value, receivedBytes);
      } else {
        chunks.push(value);
      }
      receivedBytes += value.byteLength;
      // An unknown or wrong fallback total must not make the bar pass 100%.
      if (receivedBytes > reportedTotal && expectedBytes === undefined) reportedTotal = receivedBytes;
      onProgress?.({ receivedBytes, totalBytes: reportedTotal });
    }
  } finally {
    reader.releaseLock();
  }
  if (preallocated) return receivedBytes === preallocated.byteLength ? preallocated : preallocated.slice(0, receivedBytes);
  const joined = new Uint8Array(receivedBytes);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return joined;
}

/** Main-thread digest after a task boundary, so it does not lengthen the task that read the body. */
async function digestInOwnTask(bytes: Uint8Array<ArrayBuffer>): Promise<Sha256Result> {
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  return { sha256: await sha256OnThisThread(bytes), bytes };
}

/**
 * Wire size from Resource Timing. The entry is queued when the response ends, which can be a
 * moment after the reader finished, so look once more after yielding. Cross-origin hosts
 * without `Timing-Allow-Origin` report 0 sizes: null then.
 */
async function resourceTiming(url: string): Promise<{ wireBytes: number | null; fromHttpCache: boolean | null }> {
  if (typeof performance.getEntriesByName !== "function") return { wireBytes: null, fromHttpCache: null };
  const absoluteUrl = typeof location === "undefined" ? url : new URL(url, location.href).href;
  let entry = latestResourceEntry(absoluteUrl);
  if (!entry) {
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    entry = latestResourceEntry(absoluteUrl);
  }
  if (!entry || entry.encodedBodySize <= 0) return { wireBytes: null, fromHttpCache: null };
  return { wireBytes: entry.encodedBodySize, fromHttpCache: entry.transferSize === 0 };
}

function latestResourceEntry(absoluteUrl: string): PerformanceResourceTiming | undefined {
  const entries = performance.getEntriesByName(absoluteUrl, "resource");
  const last = entries[entries.length - 1];
  return last && "encodedBodySize" in last ? (last as PerformanceResourceTiming) : undefined;
}

/** An abort surfaces as the signal's reason (an AbortError DOMException), never as a network error. */
function rethrowAbortOr(error: unknown, signal: AbortSignal | undefined, otherwise: () => Error): unknown {
  if (signal?.aborted) return signal.reason ?? error;
  if (error instanceof DOMException && error.name === "AbortError") return error;
  return otherwise();
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
    return `${error.message}${cause}`;
  }
  return String(error);
}
