// The lobby's progress maths and the streaming download, in Node (no browser): overallPercent
// over a realistic preload, and fetchWithProgress against a real local HTTP server that sends
// gzip-encoded bodies the way server/http/visionAssets.ts does.
import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchWithProgress, FetchWithProgressError, type DownloadProgress } from "@/client/vision/fetchWithProgress";
import { overallPercent, type AssetKey, type AssetProgress } from "@/client/vision/preloader";
import { createSha256Hasher } from "@/client/vision/sha256Hasher";

// ---------------------------------------------------------------------------------------------
// overallPercent

const SIZES: Record<Exclude<AssetKey, "pose_full" | "pose_heavy" | "sounds">, number> = {
  runtime: 13_332_641,
  pose_lite: 5_786_358,
  hand_lite: 4_059_686,
  face_short: 229_800,
};

function initialAssets(): AssetProgress[] {
  return Object.entries(SIZES).map(([key, totalBytes]) => ({ key: key as AssetKey, stage: "waiting", receivedBytes: 0, totalBytes }));
}

/** Every state a real preload goes through: interleaved 64 KB chunks, then create and warm-up per model. */
function realisticSequence(): AssetProgress[][] {
  let assets = initialAssets();
  const states: AssetProgress[][] = [assets];
  const set = (key: AssetKey, change: Partial<AssetProgress>): void => {
    assets = assets.map((asset) => (asset.key === key ? { ...asset, ...change } : asset));
    states.push(assets);
  };
  const chunk = 64 * 1024;
  let downloading = true;
  while (downloading) {
    downloading = false;
    for (const asset of assets) {
      if (asset.receivedBytes >= asset.totalBytes) continue;
      downloading = true;
      const receivedBytes = Math.min(asset.totalBytes, asset.receivedBytes + chunk);
      set(asset.key, { stage: "downloading", receivedBytes });
      if (receivedBytes === asset.totalBytes) set(asset.key, { stage: "queued" });
    }
  }
  set("runtime", { stage: "creating" });
  set("runtime", { stage: "ready" });
  for (const key of ["pose_lite", "hand_lite", "face_short"] as const) {
    set(key, { stage: "creating" });
    set(key, { stage: "created" });
  }
  for (const key of ["pose_lite", "hand_lite", "face_short"] as const) {
    set(key, { stage: "warming" });
    set(key, { stage: "ready" });
  }
  return states;
}

describe("overallPercent", () => {
  it("is 0 with nothing known and at the start", () => {
    expect(overallPercent([])).toBe(0);
    expect(overallPercent(initialAssets())).toBe(0);
  });

  it("rises monotonically through a realistic preload and reaches 100 only when all are ready", () => {
    const percents = realisticSequence().map(overallPercent);
    for (let index = 1; index < percents.length; index++) {
      expect(percents[index]).toBeGreaterThanOrEqual(percents[index - 1] ?? 0);
    }
    expect(percents.every((percent) => Number.isInteger(percent) && percent >= 0 && percent <= 100)).toBe(true);
    expect(percents.slice(0, -1).every((percent) => percent < 100)).toBe(true);
    expect(percents.at(-1)).toBe(100);
    // Downloads are about half the bar, so it moves while the bytes arrive.
    expect(new Set(percents).size).toBeGreaterThan(40);
  });

  it("stays below 100 while one asset is still warming up, even with every byte in", () => {
    const assets = initialAssets().map((asset): AssetProgress => ({ ...asset, receivedBytes: asset.totalBytes, stage: "ready" }));
    const almost = assets.map((asset): AssetProgress => (asset.key === "face_short" ? { ...asset, stage: "warming" } : asset));
    expect(overallPercent(almost)).toBeLessThan(100);
    expect(overallPercent(almost)).toBeGreaterThanOrEqual(95);
    expect(overallPercent(assets)).toBe(100);
  });

  it("weighs each step by what it costs: the pose model's first detection moves the bar more than the face's", () => {
    const created = initialAssets().map((asset): AssetProgress => ({
      ...asset,
      receivedBytes: asset.totalBytes,
      stage: asset.key === "runtime" ? "ready" : "created",
    }));
    // A created model waiting for its turn and one warming up have done the same work.
    expect(overallPercent(created.map((asset): AssetProgress => (asset.stage === "created" ? { ...asset, stage: "warming" } : asset)))).toBe(
      overallPercent(created),
    );
    const poseWarm = created.map((asset): AssetProgress => (asset.key === "pose_lite" ? { ...asset, stage: "ready" } : asset));
    const faceWarm = created.map((asset): AssetProgress => (asset.key === "face_short" ? { ...asset, stage: "ready" } : asset));
    expect(overallPercent(poseWarm) - overallPercent(created)).toBeGreaterThan(5 * (overallPercent(faceWarm) - overallPercent(created)));
    // With every byte in and every model created, the warm-ups still have a real share left (the
    // bar used to sit at 90 % through them).
    expect(overallPercent(created)).toBeLessThan(85);
  });

  it("counts a queued download's bytes and nothing more until its create ends", () => {
    const downloaded = initialAssets().map((asset): AssetProgress => ({ ...asset, receivedBytes: asset.totalBytes, stage: "queued" }));
    const creating = downloaded.map((asset): AssetProgress => (asset.key === "runtime" ? { ...asset, stage: "creating" } : asset));
    expect(overallPercent(creating)).toBe(overallPercent(downloaded));
    expect(overallPercent(downloaded)).toBeGreaterThan(20);
  });

  it("counts the sounds bar, and a failed sounds bar as done (the game plays on silently)", () => {
    const models = initialAssets().map((asset): AssetProgress => ({ ...asset, receivedBytes: asset.totalBytes, stage: "ready" }));
    const sounds: AssetProgress = { key: "sounds", stage: "downloading", receivedBytes: 100_000, totalBytes: 346_000 };
    expect(overallPercent([...models, sounds])).toBeLessThan(100);
    expect(overallPercent([...models, { ...sounds, stage: "failed" }])).toBe(100);
    expect(overallPercent([...models, { ...sounds, stage: "ready", receivedBytes: 346_000 }])).toBe(100);
  });

  it("counts reused assets (ready from the start) as done", () => {
    const assets = initialAssets().map((asset): AssetProgress =>
      asset.key === "hand_lite" || asset.key === "face_short" ? { ...asset, receivedBytes: asset.totalBytes, stage: "ready" } : asset,
    );
    const percent = overallPercent(assets);
    expect(percent).toBeGreaterThan(0);
    expect(percent).toBeLessThan(100);
  });

  it("never passes 100 when a body overshoots its total", () => {
    const assets = initialAssets().map((asset): AssetProgress => ({ ...asset, receivedBytes: asset.totalBytes * 2, stage: "downloading" }));
    expect(overallPercent(assets)).toBeLessThan(100);
  });
});

// ---------------------------------------------------------------------------------------------
// fetchWithProgress

/** Compressible but not trivial: random runs of repeated bytes, like model weights compress. */
function makeRawBody(size: number): Buffer {
  const body = Buffer.alloc(size);
  const noise = randomBytes(size / 64);
  for (let offset = 0; offset < size; offset += 64) body.fill(noise[offset / 64] ?? 0, offset, Math.min(size, offset + 48));
  randomBytes(16).copy(body, 0);
  return body;
}

const RAW_BODY = makeRawBody(2 * 1024 * 1024);
const GZIP_BODY = gzipSync(RAW_BODY);
const RAW_SHA256 = createHash("sha256").update(RAW_BODY).digest("hex");

let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? "/";
    if (url === "/model.gz") {
      // What the vision handler sends for a precompressed sibling: Content-Length is the gzip size.
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Encoding": "gzip", "Content-Length": GZIP_BODY.length });
      res.end(GZIP_BODY);
    } else if (url === "/model.raw") {
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": RAW_BODY.length });
      res.end(RAW_BODY);
    } else if (url === "/slow.gz") {
      // A trickle: one 16 KB slice every 20 ms, so an abort lands mid-body.
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Encoding": "gzip", "Content-Length": GZIP_BODY.length });
      let offset = 0;
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        const next = Math.min(GZIP_BODY.length, offset + 16 * 1024);
        res.write(GZIP_BODY.subarray(offset, next));
        offset = next;
        if (offset >= GZIP_BODY.length) {
          clearInterval(timer);
          res.end();
        }
      }, 20);
      res.on("close", () => clearInterval(timer));
    } else {
      res.writeHead(404, { "Content-Type": "text/plain" });
      res.end("not found");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("fetchWithProgress", () => {
  it("reports decoded bytes against the raw total on a gzip-encoded body, and verifies it", async () => {
    expect(GZIP_BODY.length).toBeLessThan(RAW_BODY.length / 2); // the test would prove nothing otherwise
    const progress: DownloadProgress[] = [];
    const fetched = await fetchWithProgress(`${baseUrl}/model.gz`, {
      expectedBytes: RAW_BODY.length,
      expectedSha256: RAW_SHA256,
      onProgress: (update) => progress.push(update),
    });
    expect(fetched.contentEncoding).toBe("gzip");
    expect(Buffer.from(fetched.bytes).equals(RAW_BODY)).toBe(true);
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.every((update) => update.totalBytes === RAW_BODY.length)).toBe(true);
    expect(progress.at(-1)?.receivedBytes).toBe(RAW_BODY.length);
    for (let index = 1; index < progress.length; index++) {
      expect(progress[index]!.receivedBytes).toBeGreaterThanOrEqual(progress[index - 1]!.receivedBytes);
    }
    expect(fetched.downloadMs).toBeGreaterThan(0);
  });

  it("without a manifest size, never reports more received than total (Content-Length is the gzip size)", async () => {
    const progress: DownloadProgress[] = [];
    const fetched = await fetchWithProgress(`${baseUrl}/model.gz`, { onProgress: (update) => progress.push(update) });
    expect(fetched.bytes.byteLength).toBe(RAW_BODY.length);
    expect(progress.every((update) => update.receivedBytes <= update.totalBytes || update.totalBytes === 0)).toBe(true);
    expect(progress.at(-1)).toEqual({ receivedBytes: RAW_BODY.length, totalBytes: RAW_BODY.length });
  });

  it("falls back to Content-Length when the body is not encoded", async () => {
    const progress: DownloadProgress[] = [];
    await fetchWithProgress(`${baseUrl}/model.raw`, { onProgress: (update) => progress.push(update) });
    expect(progress[0]).toEqual({ receivedBytes: 0, totalBytes: RAW_BODY.length });
    expect(progress.at(-1)).toEqual({ receivedBytes: RAW_BODY.length, totalBytes: RAW_BODY.length });
  });

  it("rejects a sha256 mismatch as integrity", async () => {
    const wrongSha256 = RAW_SHA256.replace(/^./, (first) => (first === "0" ? "1" : "0"));
    const failure = await fetchWithProgress(`${baseUrl}/model.gz`, { expectedBytes: RAW_BODY.length, expectedSha256: wrongSha256 }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(FetchWithProgressError);
    expect((failure as FetchWithProgressError).kind).toBe("integrity");
    expect((failure as Error).message).toMatch(/sha256/);
  });

  it("rejects a body of the wrong size as integrity", async () => {
    const larger = await fetchWithProgress(`${baseUrl}/model.gz`, { expectedBytes: RAW_BODY.length + 1 }).catch((error: unknown) => error);
    expect((larger as FetchWithProgressError).kind).toBe("integrity");
    const smaller = await fetchWithProgress(`${baseUrl}/model.gz`, { expectedBytes: RAW_BODY.length - 1 }).catch((error: unknown) => error);
    expect((smaller as FetchWithProgressError).kind).toBe("integrity");
  });

  it("reports HTTP errors and unreachable servers", async () => {
    const missing = await fetchWithProgress(`${baseUrl}/nope`).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(FetchWithProgressError);
    expect((missing as FetchWithProgressError).kind).toBe("http");
    expect((missing as FetchWithProgressError).status).toBe(404);

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = await fetchWithProgress(`http://127.0.0.1:${closedPort}/model.gz`).catch((error: unknown) => error);
    expect((refused as FetchWithProgressError).kind).toBe("network");
  });

  it("stops mid-body on abort with an AbortError", async () => {
    const controller = new AbortController();
    const progress: DownloadProgress[] = [];
    const failure = await fetchWithProgress(`${baseUrl}/slow.gz`, {
      expectedBytes: RAW_BODY.length,
      expectedSha256: RAW_SHA256,
      signal: controller.signal,
      onProgress: (update) => {
        progress.push(update);
        if (update.receivedBytes > 0) controller.abort();
      },
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DOMException);
    expect((failure as DOMException).name).toBe("AbortError");
    const received = progress.at(-1)?.receivedBytes ?? 0;
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(RAW_BODY.length);
  });

  it("uses the given digest function and keeps the bytes it hands back (a worker transfers them)", async () => {
    const hasher = createSha256Hasher(); // Node has no global Worker: the main-thread fallback
    const handedBack: Uint8Array<ArrayBuffer>[] = [];
    const fetched = await fetchWithProgress(`${baseUrl}/model.gz`, {
      expectedBytes: RAW_BODY.length,
      expectedSha256: RAW_SHA256,
      sha256: async (bytes) => {
        const result = await hasher.digest(bytes);
        const copy = new Uint8Array(result.bytes); // stands in for the transferred-back array
        handedBack.push(copy);
        return { sha256: result.sha256, bytes: copy };
      },
    });
    hasher.close();
    expect(hasher.where).toBe("main");
    expect(fetched.bytes).toBe(handedBack[0]);
    expect(Buffer.from(fetched.bytes).equals(RAW_BODY)).toBe(true);
  });

  it("rejects at once when already aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    const failure = await fetchWithProgress(`${baseUrl}/model.gz`, { signal: controller.signal }).catch((error: unknown) => error);
    expect((failure as DOMException).name).toBe("AbortError");
  });
});
