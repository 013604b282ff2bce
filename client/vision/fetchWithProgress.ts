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
 *
 * Resuming (`resume`): a body that breaks off (a network error, or nothing for `silenceMs`: a
 * phone that lost its link keeps a dead connection open for minutes) keeps the decoded bytes it
 * got, and the next attempt asks for the rest with `Range: bytes=<kept>-`. Fetch then sends
 * `Accept-Encoding: identity`, so the rest comes as raw bytes: the offset a page can count is a
 * decoded one, and no browser lets a page continue a gzip/br body mid-stream. Raw bytes can cost
 * more than the whole file compressed (the runtime: 13 MB raw, 3.2 MB br): then, once per file,
 * the attempt asks for the whole file again, compressed, and the bar holds until it passes what
 * was kept. The sha256 over the whole file still decides.
 */
import { sha256OnThisThread, type Sha256Result } from "./sha256Hasher";
import { inactivityWatchdog } from "./stallGuard";

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

/** What a broken-off download kept: the first `receivedBytes` of `bytes` are the file's. */
export interface PartialDownload {
  url: string;
  bytes: Uint8Array<ArrayBuffer>;
  receivedBytes: number;
  /** Strong ETag of the raw (identity) file, sent as If-Range; null when no raw response was seen or it was not readable. */
  etag: string | null;
}

export interface ResumeOptions {
  /** Attempts in a row that may fail without receiving a byte before giving up (one that got bytes resets the count). */
  retries: number;
  /** Wait before each retry (ms); the last entry repeats. */
  backoffMs: readonly number[];
  /** An attempt that receives nothing this long (no response, or a body that stopped) is abandoned and retried. */
  silenceMs: number;
  /** At most this many attempts in all, however much each one got. */
  maxAttempts?: number;
  /** The whole file's size on the wire in each content coding (manifest gzipBytes, brotliBytes). */
  encodedBytes?: { gzip?: number; br?: number };
  /** Bytes kept by an earlier call for the same URL (what `keep` was given). */
  from?: PartialDownload;
  /** Called with what arrived when the download ends without the whole file (failure or abort), to pass as `from` later. */
  keep?: (partial: PartialDownload) => void;
  /** Called before each retry, for logs. */
  onRetry?: (retry: RetryInfo) => void;
}

export interface RetryInfo {
  /** 1 for the first retry. */
  attempt: number;
  /** Why the last attempt ended. */
  reason: string;
  receivedBytes: number;
  /** "range": the rest, raw; "whole": the whole file again (compressed), the bar holding meanwhile. */
  mode: "range" | "whole";
  delayMs: number;
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
  /** Keep what arrived and ask for the rest when the body breaks off (needs expectedBytes). */
  resume?: ResumeOptions;
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
  /** Attempts it took (1 without a retry). */
  attempts: number;
}

/**
 * Fetches `url`, streaming the body and reporting progress, then verifies size and sha256.
 * Rejects with FetchWithProgressError (kind network | http | integrity | unsupported), or with
 * the signal's AbortError when aborted.
 */
export async function fetchWithProgress(url: string, options: FetchWithProgressOptions = {}): Promise<FetchedFile> {
  const { expectedBytes, expectedSha256, signal } = options;
  const startedAt = performance.now();
  signal?.throwIfAborted();
  if (expectedSha256 !== undefined && !globalThis.crypto?.subtle) {
    // crypto.subtle only exists in secure contexts; so does the camera, so the game cannot run here anyway.
    throw new FetchWithProgressError("unsupported", url, `cannot verify ${url}: crypto.subtle needs a secure context (https or localhost)`);
  }

  const received =
    options.resume && expectedBytes !== undefined ? await receiveResumable(url, expectedBytes, options.resume, options) : await receiveOnce(url, options);
  let bytes = received.bytes;
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
  // After a resume the last entry covers only the rest: its size says nothing about the file.
  const timing = received.attempts === 1 ? await resourceTiming(url) : { wireBytes: null, fromHttpCache: false };
  return { url, bytes, contentEncoding: received.contentEncoding, ...timing, downloadMs: performance.now() - startedAt, attempts: received.attempts };
}

interface Received {
  bytes: Uint8Array<ArrayBuffer>;
  contentEncoding: string | null;
  attempts: number;
}

/** One request, as before resuming existed: any failure is the caller's. */
async function receiveOnce(url: string, options: FetchWithProgressOptions): Promise<Received> {
  const { expectedBytes, signal, onProgress } = options;
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
  const bytes = await readBody(response, url, totalBytes, expectedBytes, signal, onProgress);
  return { bytes, contentEncoding, attempts: 1 };
}

/** HTTP statuses worth another try: the server or a proxy in between was busy or restarting. */
const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/** Why one attempt ended early; `retryable` false ends the download. */
class AttemptFailure extends Error {
  constructor(
    readonly error: FetchWithProgressError,
    readonly retryable: boolean,
  ) {
    super(error.message);
  }
}

/** Attempts until the whole body is in (see the module comment); each continues from the bytes kept. */
async function receiveResumable(url: string, expectedBytes: number, resume: ResumeOptions, options: FetchWithProgressOptions): Promise<Received> {
  const { onProgress } = options;
  const earlier = resume.from && resume.from.url === url && resume.from.bytes.byteLength === expectedBytes ? resume.from : undefined;
  const state: ResumeState = {
    bytes: earlier?.bytes ?? new Uint8Array(expectedBytes),
    kept: earlier?.receivedBytes ?? 0,
    etag: earlier?.etag ?? null,
    seenEtags: new Set(earlier?.etag ? [earlier.etag] : []),
    wholeAgainUsed: false,
    contentEncoding: null,
    shown: 0,
  };
  state.shown = state.kept;
  onProgress?.({ receivedBytes: state.kept, totalBytes: expectedBytes });
  try {
    return await attemptUntilDone(url, expectedBytes, resume, options, state);
  } catch (error) {
    if (state.kept > 0) resume.keep?.({ url, bytes: state.bytes, receivedBytes: state.kept, etag: state.etag });
    throw error;
  }
}

async function attemptUntilDone(
  url: string,
  expectedBytes: number,
  resume: ResumeOptions,
  options: FetchWithProgressOptions,
  state: ResumeState,
): Promise<Received> {
  const { signal } = options;
  const maxAttempts = resume.maxAttempts ?? 30;
  let failuresInARow = 0;
  for (let attempt = 1; ; attempt++) {
    const mode = chooseMode(state, expectedBytes, resume.encodedBytes);
    const keptBefore = state.kept;
    try {
      await runAttempt(url, expectedBytes, mode, state, resume.silenceMs, options);
      return { bytes: state.bytes, contentEncoding: state.contentEncoding, attempts: attempt };
    } catch (error) {
      if (!(error instanceof AttemptFailure)) throw error; // the caller's abort
      failuresInARow = state.kept > keptBefore ? 1 : failuresInARow + 1;
      if (!error.retryable || failuresInARow > resume.retries || attempt >= maxAttempts) {
        const final =
          error.retryable && error.error.kind === "network"
            ? new FetchWithProgressError(
                "network",
                url,
                `${url}: gave up after ${attempt} attempts, ${megabytes(state.kept)} of ${megabytes(expectedBytes)} MB kept (the last: ${error.message})`,
                { cause: error.error },
              )
            : error.error;
        throw final;
      }
      const delayMs = resume.backoffMs[Math.min(failuresInARow - 1, resume.backoffMs.length - 1)] ?? 0;
      resume.onRetry?.({ attempt, reason: error.message, receivedBytes: state.kept, mode: chooseMode(state, expectedBytes, resume.encodedBytes), delayMs });
      await sleep(delayMs, signal);
    }
  }
}

interface ResumeState {
  /** The file, filled from the start. */
  bytes: Uint8Array<ArrayBuffer>;
  /** How many bytes at the start of `bytes` are the file's. */
  kept: number;
  /** The raw file's strong ETag (If-Range compares against the raw representation a range comes from). */
  etag: string | null;
  /** Every ETag a response of this download had: a whole file with one of them is the same version. */
  seenEtags: Set<string>;
  /** Asked for the whole (compressed) file again once already: from then on only ranges, which always make progress. */
  wholeAgainUsed: boolean;
  contentEncoding: string | null;
  /** The most the bar has shown: it never goes back. */
  shown: number;
}

/**
 * "whole" from zero, or "range" from what is kept. The whole file again is cheaper when it is
 * compressed and the raw rest is bigger than it; but only once per file, so that a link that
 * keeps breaking still gets somewhere.
 */
function chooseMode(state: ResumeState, expectedBytes: number, encodedBytes: ResumeOptions["encodedBytes"]): "range" | "whole" {
  if (state.kept === 0) return "whole";
  const coding = state.contentEncoding?.toLowerCase();
  const wholeOnWire = coding === "br" ? encodedBytes?.br : coding === "gzip" ? encodedBytes?.gzip : undefined;
  if (!state.wholeAgainUsed && wholeOnWire !== undefined && wholeOnWire < expectedBytes - state.kept) return "whole";
  return "range";
}

async function runAttempt(
  url: string,
  expectedBytes: number,
  mode: "range" | "whole",
  state: ResumeState,
  silenceMs: number,
  options: FetchWithProgressOptions,
): Promise<void> {
  const { signal, onProgress } = options;
  signal?.throwIfAborted();
  const from = mode === "range" ? state.kept : 0;
  // Its one chance counts as used once it gets bytes: a request that died before does not.
  const restarting = mode === "whole" && state.kept > 0;
  // Its own controller: a silent attempt is given up without aborting the caller's signal.
  const attempt = new AbortController();
  const silence = new FetchWithProgressError("network", url, `no data from ${url} for ${silenceMs / 1000} s`);
  const watchdog = inactivityWatchdog(silenceMs, () => attempt.abort(silence));
  const onOuterAbort = (): void => attempt.abort(signal?.reason);
  signal?.addEventListener("abort", onOuterAbort, { once: true });
  const fail = (error: unknown, describeIt: () => string): never => {
    if (signal?.aborted) throw signal.reason ?? error;
    if (attempt.signal.reason === silence) throw new AttemptFailure(silence, true);
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new AttemptFailure(new FetchWithProgressError("network", url, describeIt(), { cause: error }), true);
  };
  try {
    const headers: Record<string, string> = {};
    if (from > 0) {
      headers.range = `bytes=${from}-`;
      if (state.etag) headers["if-range"] = state.etag;
    }
    let response: Response;
    try {
      // A range skips the HTTP cache: it holds no part of this body that the page does not have.
      response = await fetch(url, { signal: attempt.signal, cache: from > 0 ? "no-store" : (options.cache ?? "default"), headers });
    } catch (error) {
      return fail(error, () => `could not fetch ${url}: ${describe(error)}`);
    }
    watchdog.touch();
    let offset: number;
    if (response.status === 206 && from > 0) {
      offset = from;
      const problem = rangeProblem(response, from, expectedBytes);
      if (problem) {
        await response.body?.cancel().catch(() => undefined);
        // Not what was asked for (a proxy that rewrote it): from zero next time.
        state.kept = 0;
        throw new AttemptFailure(new FetchWithProgressError("network", url, `${url}: ${problem}`), true);
      }
    } else if (response.ok && response.status !== 206) {
      // The whole file: asked for, or the server ignored the range (or the file changed, If-Range).
      offset = 0;
      state.contentEncoding = response.headers.get("content-encoding");
    } else {
      await response.body?.cancel().catch(() => undefined);
      if (response.status === 416) state.kept = 0; // the server's file is shorter than what we kept: not ours
      const transient = TRANSIENT_STATUSES.has(response.status) || response.status === 416;
      throw new AttemptFailure(
        new FetchWithProgressError("http", url, `could not fetch ${url}: HTTP ${response.status}`, { status: response.status }),
        transient,
      );
    }
    const etag = response.headers.get("etag");
    const strongEtag = etag && !etag.startsWith("W/") ? etag : null;
    // A whole body of another (or an unknown) version: what was kept past its start is not its.
    if (offset === 0 && !(strongEtag && state.seenEtags.has(strongEtag))) state.kept = 0;
    if (strongEtag) state.seenEtags.add(strongEtag);
    const coding = response.headers.get("content-encoding");
    if (coding === null || coding.toLowerCase() === "identity") state.etag = strongEtag;

    if (!response.body) throw new AttemptFailure(new FetchWithProgressError("network", url, `${url}: no body`), true);
    const reader = response.body.getReader();
    let position = offset;
    try {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          return fail(error, () => `download of ${url} broke off after ${state.kept} bytes: ${describe(error)}`);
        }
        if (chunk.done) break;
        watchdog.touch();
        if (restarting) state.wholeAgainUsed = true;
        const value = chunk.value;
        if (position + value.byteLength > expectedBytes) {
          throw new AttemptFailure(new FetchWithProgressError("integrity", url, `${url}: body is larger than the manifest's ${expectedBytes} bytes`), false);
        }
        state.bytes.set(value, position);
        position += value.byteLength;
        // A whole-file attempt rewrites the start; what lies past it is still kept.
        state.kept = Math.max(state.kept, position);
        if (position > state.shown) state.shown = position;
        onProgress?.({ receivedBytes: state.shown, totalBytes: expectedBytes });
      }
    } finally {
      reader.releaseLock();
    }
    if (position !== expectedBytes) {
      throw new AttemptFailure(new FetchWithProgressError("network", url, `${url}: the body ended after ${position} of ${expectedBytes} bytes`), true);
    }
  } finally {
    watchdog.stop();
    signal?.removeEventListener("abort", onOuterAbort);
  }
}

/** Why a 206 is not the rest of this file from `from` on (null when it is). */
function rangeProblem(response: Response, from: number, expectedBytes: number): string | null {
  const coding = response.headers.get("content-encoding");
  if (coding !== null && coding.toLowerCase() !== "identity") return `a range came ${coding}-encoded`;
  const contentRange = response.headers.get("content-range");
  if (contentRange === null) {
    // Cross-origin without Access-Control-Expose-Headers: the length must say it.
    const length = Number(response.headers.get("content-length"));
    return length === expectedBytes - from ? null : "a range without Content-Range";
  }
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(contentRange.trim());
  if (!match || Number(match[1]) !== from || Number(match[2]) !== expectedBytes - 1 || Number(match[3]) !== expectedBytes) {
    return `asked for bytes ${from}- of ${expectedBytes}, got ${contentRange}`;
  }
  return null;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function megabytes(bytes: number): string {
  return (bytes / 1_000_000).toFixed(1);
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
