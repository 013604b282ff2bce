// Resuming a vision download that broke off (issue 21): fetchWithProgress's `resume` in Node
// against the real /vision/ handler (server/http/visionAssets.ts), behind a test server that cuts
// or silences chosen responses after a number of body bytes, the way a phone losing its link does.
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fetchWithProgress, FetchWithProgressError, type DownloadProgress, type PartialDownload, type RetryInfo } from "@/client/vision/fetchWithProgress";
import { createVisionAssetHandler } from "../../server/http/visionAssets";

/** Random bytes: gzip makes them no smaller, as with the .task models (gzip 86 % of raw). */
const DENSE = randomBytes(1_500_000);
/** Repetitive bytes: gzip makes them far smaller, as with the 13 MB runtime (gzip 30 %, br 25 %). */
const SPARSE = Buffer.from(randomBytes(1_500_000).map((byte) => (byte < 16 ? byte : 0)));
const DENSE_FILE = "dense_model.0123abcd.task";
const SPARSE_FILE = "sparse_runtime.89abcdef.task";
const sha256 = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");

/** What the test server does to one response: cut the connection, or stop sending, after this many body bytes. */
type Plan = { cutAfter: number } | { silentAfter: number } | { status: number } | { contentRangeStart: number } | "ignore-range";

interface Logged {
  range: string | undefined;
  ifRange: string | undefined;
  acceptEncoding: string | undefined;
  status: number;
  bodyBytes: number;
}

let rootDir = "";
let server: Server;
let baseUrl = "";
const plans: Plan[] = [];
const log: Logged[] = [];

/** Wraps res.write so a plan can cut or silence the body the real handler streams. */
function applyPlan(req: IncomingMessage, res: ServerResponse, plan: Plan | undefined, entry: Logged): void {
  const write = res.write.bind(res) as (chunk: Buffer, ...rest: unknown[]) => boolean;
  res.write = ((chunk: Buffer, ...rest: unknown[]) => {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    if (plan && typeof plan === "object" && "cutAfter" in plan && entry.bodyBytes + buffer.length > plan.cutAfter) {
      write(buffer.subarray(0, plan.cutAfter - entry.bodyBytes));
      entry.bodyBytes = plan.cutAfter;
      // Close a moment after what was written (a FIN, not a reset), once the page has read it: a
      // stream that errors drops the chunks still queued in it. The body ends short of its
      // Content-Length, as a connection that broke.
      setTimeout(() => res.socket?.end(), 200);
      return false;
    }
    if (plan && typeof plan === "object" && "silentAfter" in plan && entry.bodyBytes + buffer.length > plan.silentAfter) {
      write(buffer.subarray(0, plan.silentAfter - entry.bodyBytes));
      entry.bodyBytes = plan.silentAfter;
      return false; // never drains: the connection stays open and sends nothing more
    }
    entry.bodyBytes += buffer.length;
    return write(buffer, ...rest);
  }) as typeof res.write;
  if (plan && typeof plan === "object" && "contentRangeStart" in plan) {
    // A proxy that answers another range than the one asked for.
    const setHeader = res.setHeader.bind(res);
    res.setHeader = (name: string, value: string | number | readonly string[]) =>
      setHeader(name, name.toLowerCase() === "content-range" ? String(value).replace(/^bytes \d+-/, `bytes ${plan.contentRangeStart}-`) : value);
  }
  void req;
}

beforeAll(async () => {
  rootDir = await mkdtemp(path.join(tmpdir(), "resume-download-test-"));
  const visionDir = path.join(rootDir, "vision");
  await mkdir(visionDir, { recursive: true });
  await writeFile(path.join(visionDir, DENSE_FILE), DENSE);
  await writeFile(path.join(visionDir, `${DENSE_FILE}.gz`), gzipSync(DENSE));
  await writeFile(path.join(visionDir, SPARSE_FILE), SPARSE);
  await writeFile(path.join(visionDir, `${SPARSE_FILE}.gz`), gzipSync(SPARSE));
  const handler = createVisionAssetHandler({ dir: visionDir });
  server = createServer((req, res) => {
    const plan = plans.shift();
    const entry: Logged = {
      range: req.headers.range,
      ifRange: req.headers["if-range"] as string | undefined,
      acceptEncoding: req.headers["accept-encoding"],
      status: 0,
      bodyBytes: 0,
    };
    log.push(entry);
    res.on("finish", () => (entry.status = res.statusCode));
    res.on("close", () => (entry.status ||= res.statusCode));
    if (plan && typeof plan === "object" && "status" in plan) {
      res.statusCode = plan.status;
      res.end();
      return;
    }
    // A server (or proxy) that knows nothing of ranges.
    if (plan === "ignore-range") delete req.headers.range;
    applyPlan(req, res, plan, entry);
    if (!handler(req, res)) {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/vision`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(rootDir, { recursive: true, force: true });
});

beforeEach(() => {
  plans.length = 0;
  log.length = 0;
});

const FAST = { retries: 3, backoffMs: [0], silenceMs: 5_000 } as const;
const encodedBytes = (raw: Buffer) => ({ gzip: gzipSync(raw).length });

/** Downloads `file` with resuming; returns what it got, every progress report and every retry. */
async function download(file: string, raw: Buffer, resume: Partial<Parameters<typeof fetchWithProgress>[1] & object>["resume"] = FAST) {
  const progress: DownloadProgress[] = [];
  const retries: RetryInfo[] = [];
  const fetched = await fetchWithProgress(`${baseUrl}/${file}`, {
    expectedBytes: raw.length,
    expectedSha256: sha256(raw),
    onProgress: (update) => progress.push(update),
    resume: { ...FAST, encodedBytes: encodedBytes(raw), ...resume, onRetry: (retry) => retries.push(retry) },
  });
  return { fetched, progress, retries };
}

function expectNeverBack(progress: DownloadProgress[], total: number): void {
  for (let index = 1; index < progress.length; index++) {
    expect(progress[index]!.receivedBytes, `report ${index}`).toBeGreaterThanOrEqual(progress[index - 1]!.receivedBytes);
  }
  expect(progress.at(-1)).toEqual({ receivedBytes: total, totalBytes: total });
}

describe("fetchWithProgress resume", () => {
  it("continues a body cut mid-way with a raw range from the decoded bytes it kept", async () => {
    plans.push({ cutAfter: 600_000 });
    const { fetched, progress, retries } = await download(DENSE_FILE, DENSE);
    expect(Buffer.from(fetched.bytes).equals(DENSE)).toBe(true);
    expect(fetched.attempts).toBe(2);
    expect(retries).toHaveLength(1);
    expect(retries[0]!.mode).toBe("range");
    // The first answer came gzip-encoded; the second asked for the rest, and fetch asked for it raw.
    expect(log[0]!.acceptEncoding).toMatch(/gzip/);
    expect(log[0]!.range).toBeUndefined();
    const kept = retries[0]!.receivedBytes;
    expect(kept).toBeGreaterThan(400_000);
    expect(log[1]!.range).toBe(`bytes=${kept}-`);
    expect(log[1]!.acceptEncoding).toBe("identity");
    expect(log[1]!.status).toBe(206);
    expect(log[1]!.bodyBytes).toBe(DENSE.length - kept);
    expectNeverBack(progress, DENSE.length);
    // The raw ETag was not known yet (the first answer was the gzip one): no If-Range, the sha256 decides.
    expect(log[1]!.ifRange).toBeUndefined();
  });

  it("sends If-Range with the raw file's ETag once it has one, and goes on across several cuts", async () => {
    plans.push({ cutAfter: 300_000 }, { cutAfter: 200_000 }, { cutAfter: 200_000 });
    const { fetched, progress } = await download(DENSE_FILE, DENSE);
    expect(Buffer.from(fetched.bytes).equals(DENSE)).toBe(true);
    expect(fetched.attempts).toBe(4);
    expect(log.map((entry) => entry.status)).toEqual([200, 206, 206, 206]);
    const rawEtag = `"${sha256(DENSE)}"`;
    expect(log[2]!.ifRange).toBe(rawEtag);
    expect(log[3]!.ifRange).toBe(rawEtag);
    // Every byte crossed the wire about once: far from the 2.4x that starting over each time costs.
    const sent = log.reduce((sum, entry) => sum + entry.bodyBytes, 0);
    expect(sent).toBeLessThan(DENSE.length * 1.1);
    expectNeverBack(progress, DENSE.length);
  });

  it("gives up a silent body after silenceMs and resumes it", async () => {
    plans.push({ silentAfter: 500_000 });
    const startedAt = performance.now();
    const { fetched, retries } = await download(DENSE_FILE, DENSE, { ...FAST, silenceMs: 300 });
    expect(Buffer.from(fetched.bytes).equals(DENSE)).toBe(true);
    expect(retries[0]!.reason).toMatch(/no data .* for 0.3 s/);
    expect(retries[0]!.mode).toBe("range");
    expect(log[1]!.range).toMatch(/^bytes=\d+-$/);
    expect(performance.now() - startedAt).toBeLessThan(3_000);
  });

  it("asks for the whole file again, compressed, when that is cheaper than the raw rest, once", async () => {
    const gzipSize = gzipSync(SPARSE).length;
    expect(gzipSize).toBeLessThan(SPARSE.length / 4); // the test would prove nothing otherwise
    expect(gzipSize).toBeGreaterThan(100_000); // big enough that every cut leaves decoded bytes
    // Cut early twice: the first retry takes the whole (small) file again, the second the raw rest.
    plans.push({ cutAfter: Math.floor(gzipSize / 3) }, { cutAfter: Math.floor(gzipSize / 2) });
    const { fetched, progress, retries } = await download(SPARSE_FILE, SPARSE);
    expect(Buffer.from(fetched.bytes).equals(SPARSE)).toBe(true);
    expect(retries.map((retry) => retry.mode)).toEqual(["whole", "range"]);
    expect(log[1]!.range).toBeUndefined();
    expect(log[1]!.acceptEncoding).toMatch(/gzip/);
    expect(log[2]!.range).toBe(`bytes=${retries[1]!.receivedBytes}-`);
    expect(log[2]!.status).toBe(206);
    // The bar held while the second attempt went over bytes it already had.
    expectNeverBack(progress, SPARSE.length);
  });

  it("starts over from zero, bar holding, when the server ignores the range", async () => {
    plans.push({ cutAfter: 700_000 }, "ignore-range");
    const { fetched, progress, retries } = await download(DENSE_FILE, DENSE);
    expect(Buffer.from(fetched.bytes).equals(DENSE)).toBe(true);
    expect(retries[0]!.mode).toBe("range");
    expect(log[1]!.status).toBe(200);
    expectNeverBack(progress, DENSE.length);
  });

  it("distrusts a 206 for another offset and starts over", async () => {
    plans.push({ cutAfter: 700_000 }, { contentRangeStart: 5 });
    const { fetched, progress } = await download(DENSE_FILE, DENSE);
    expect(Buffer.from(fetched.bytes).equals(DENSE)).toBe(true);
    expect(log.map((entry) => entry.range === undefined)).toEqual([true, false, true]);
    expectNeverBack(progress, DENSE.length);
  });

  it("retries a busy server (503) but not a missing file (404)", async () => {
    plans.push({ status: 503 });
    const { fetched } = await download(DENSE_FILE, DENSE);
    expect(fetched.attempts).toBe(2);
    plans.length = 0;
    plans.push({ status: 404 });
    const failure = await download(DENSE_FILE, DENSE).catch((error: unknown) => error);
    expect((failure as FetchWithProgressError).kind).toBe("http");
    expect((failure as FetchWithProgressError).status).toBe(404);
  });

  it("gives up after the retries in a row with a clear message, keeps the bytes, and a later call goes on from them", async () => {
    // The first attempt gets 400 KB, then two in a row get nothing (retries: 2): the link is gone.
    plans.push({ cutAfter: 400_000 }, { cutAfter: 0 }, { cutAfter: 0 }, { cutAfter: 0 }, { cutAfter: 0 });
    let kept: PartialDownload | undefined;
    const failure = await download(DENSE_FILE, DENSE, { ...FAST, retries: 2, keep: (partial) => (kept = partial) }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(FetchWithProgressError);
    expect((failure as FetchWithProgressError).kind).toBe("network");
    expect((failure as Error).message).toMatch(/gave up after 3 attempts, 0\.\d of 1\.5 MB kept \(the last: .*broke off/);
    expect(kept!.receivedBytes).toBeGreaterThan(300_000);
    expect(log).toHaveLength(3);

    plans.length = 0;
    log.length = 0;
    const { fetched, progress } = await download(DENSE_FILE, DENSE, { ...FAST, from: kept });
    expect(Buffer.from(fetched.bytes).equals(DENSE)).toBe(true);
    expect(log).toHaveLength(1);
    expect(log[0]!.range).toBe(`bytes=${kept!.receivedBytes}-`);
    // The bar starts where the bytes kept left it.
    expect(progress[0]!.receivedBytes).toBe(kept!.receivedBytes);
  });

  it("stops at once on the caller's abort, between attempts too, and keeps what it got", async () => {
    plans.push({ cutAfter: 400_000 });
    const controller = new AbortController();
    let kept: PartialDownload | undefined;
    const failure = await fetchWithProgress(`${baseUrl}/${DENSE_FILE}`, {
      expectedBytes: DENSE.length,
      signal: controller.signal,
      resume: { ...FAST, backoffMs: [60_000], keep: (partial) => (kept = partial), onRetry: () => setTimeout(() => controller.abort(), 10) },
    }).catch((error: unknown) => error);
    expect((failure as DOMException).name).toBe("AbortError");
    expect(kept!.receivedBytes).toBeGreaterThan(300_000);
    expect(log).toHaveLength(1);
  });
});
