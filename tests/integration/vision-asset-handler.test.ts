import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVisionAssetHandler } from "../../server/http/visionAssets";

const IMMUTABLE = "public, max-age=31536000, immutable";
const RUNTIME_DIR = "wasm-0123abcd";
const TASK_FILE = "pose_landmarker_lite.89abcdef.task";
const SECRET = "top secret outside the vision folder";

const wasmBytes = Buffer.from(new Uint8Array(200_000).map((_, index) => index % 251));
const jsBytes = Buffer.from("export const hello = 'vision';\n".repeat(100));
const taskBytes = Buffer.from(new Uint8Array(50_000).map((_, index) => (index * 7) % 256));
const manifestBytes = Buffer.from(JSON.stringify({ tasksVisionVersion: "1.1.0" }));

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let rootDir = "";
let server: Server;
let port = 0;

/** node:http, not fetch: fetch normalises `..` and `%2e` away before they reach the server. */
function send(rawPath: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: "127.0.0.1", port, path: rawPath, method: options.method ?? "GET", headers: options.headers ?? {} }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
      incoming.on("end", () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks) }));
      incoming.on("error", reject);
    });
    outgoing.on("error", reject);
    outgoing.end();
  });
}

const sha256 = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");

beforeAll(async () => {
  rootDir = await mkdtemp(path.join(tmpdir(), "vision-handler-test-"));
  const visionDir = path.join(rootDir, "vision");
  await mkdir(path.join(visionDir, RUNTIME_DIR), { recursive: true });
  await writeFile(path.join(rootDir, "secret.txt"), SECRET);
  await writeFile(path.join(visionDir, "manifest.json"), manifestBytes);
  await writeFile(path.join(visionDir, ".build-state.json"), SECRET);
  await writeFile(path.join(visionDir, TASK_FILE), taskBytes);
  await writeFile(path.join(visionDir, `${TASK_FILE}.gz`), gzipSync(taskBytes));
  const runtime = path.join(visionDir, RUNTIME_DIR);
  await writeFile(path.join(runtime, "vision_wasm_internal.wasm"), wasmBytes);
  await writeFile(path.join(runtime, "vision_wasm_internal.wasm.gz"), gzipSync(wasmBytes));
  await writeFile(path.join(runtime, "vision_wasm_internal.wasm.br"), brotliCompressSync(wasmBytes));
  await writeFile(path.join(runtime, "vision_wasm_internal.js"), jsBytes);

  const handler = createVisionAssetHandler({ dir: visionDir });
  server = createServer((req, res) => {
    if (handler(req, res)) return;
    res.statusCode = 418; // stands in for Next
    res.end("fell through");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(rootDir, { recursive: true, force: true });
});

describe("vision asset handler", () => {
  it("serves the manifest uncompressed-by-name with no-cache and a sha ETag", async () => {
    const reply = await send("/vision/manifest.json");
    expect(reply.status).toBe(200);
    expect(reply.headers["cache-control"]).toBe("no-cache");
    expect(reply.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(reply.headers["content-length"]).toBe(String(manifestBytes.length));
    expect(reply.headers["etag"]).toBe(`"${sha256(manifestBytes)}"`);
    expect(reply.body.equals(manifestBytes)).toBe(true);
  });

  it("serves the wasm runtime as application/wasm, immutable, identity without Accept-Encoding", async () => {
    const reply = await send(`/vision/${RUNTIME_DIR}/vision_wasm_internal.wasm`);
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe("application/wasm");
    expect(reply.headers["cache-control"]).toBe(IMMUTABLE);
    expect(reply.headers["vary"]).toBe("Accept-Encoding");
    expect(reply.headers["content-encoding"]).toBeUndefined();
    expect(reply.headers["content-length"]).toBe(String(wasmBytes.length));
    expect(reply.body.equals(wasmBytes)).toBe(true);
  });

  it("picks the precompressed sibling by Accept-Encoding", async () => {
    const url = `/vision/${RUNTIME_DIR}/vision_wasm_internal.wasm`;
    const gzip = await send(url, { headers: { "Accept-Encoding": "gzip, deflate" } });
    expect(gzip.headers["content-encoding"]).toBe("gzip");
    expect(gzip.headers["content-length"]).toBe(String(gzip.body.length));
    expect(gunzipSync(gzip.body).equals(wasmBytes)).toBe(true);

    const brotli = await send(url, { headers: { "Accept-Encoding": "gzip, deflate, br" } });
    expect(brotli.headers["content-encoding"]).toBe("br");
    expect(brotliDecompressSync(brotli.body).equals(wasmBytes)).toBe(true);
    expect(brotli.headers["etag"]).not.toBe(gzip.headers["etag"]);

    const refused = await send(url, { headers: { "Accept-Encoding": "br;q=0, gzip;q=0" } });
    expect(refused.headers["content-encoding"]).toBeUndefined();
    expect(refused.body.equals(wasmBytes)).toBe(true);

    // No sibling: identity even when compression is welcome.
    const js = await send(`/vision/${RUNTIME_DIR}/vision_wasm_internal.js`, { headers: { "Accept-Encoding": "gzip, br" } });
    expect(js.headers["content-encoding"]).toBeUndefined();
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.body.equals(jsBytes)).toBe(true);
  });

  it("serves hashed models as immutable octet-stream, also with tasks-vision's double slash", async () => {
    const reply = await send(`/vision/${TASK_FILE}?v=1`, { headers: { "Accept-Encoding": "gzip" } });
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe("application/octet-stream");
    expect(reply.headers["cache-control"]).toBe(IMMUTABLE);
    expect(gunzipSync(reply.body).equals(taskBytes)).toBe(true);
    const doubled = await send(`/vision/${RUNTIME_DIR}//vision_wasm_internal.js`);
    expect(doubled.status).toBe(200);
    expect(doubled.body.equals(jsBytes)).toBe(true);
  });

  it("answers HEAD with headers only and If-None-Match with 304", async () => {
    const head = await send(`/vision/${TASK_FILE}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe(String(taskBytes.length));
    expect(head.body.length).toBe(0);
    const etag = head.headers["etag"] ?? "";
    const revalidated = await send(`/vision/${TASK_FILE}`, { headers: { "If-None-Match": etag } });
    expect(revalidated.status).toBe(304);
    expect(revalidated.body.length).toBe(0);
    const post = await send(`/vision/${TASK_FILE}`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers["allow"]).toBe("GET, HEAD");
  });

  it("answers 404 for unknown files, folders and sibling names", async () => {
    for (const unknown of [
      "/vision/nope.task",
      `/vision/${RUNTIME_DIR}/`,
      `/vision/${RUNTIME_DIR}`,
      `/vision/${TASK_FILE}.gz`,
      "/vision/",
      "/vision//etc/passwd",
      `/vision/${RUNTIME_DIR}/a/b`,
    ]) {
      const reply = await send(unknown);
      expect(reply.status, unknown).toBe(404);
      expect(reply.headers["cache-control"], unknown).toBe("no-store");
    }
  });

  it("refuses path traversal in every spelling", async () => {
    for (const attack of [
      "/vision/../secret.txt",
      "/vision/%2e%2e/secret.txt",
      "/vision/%2E%2E/secret.txt",
      "/vision/..%2fsecret.txt",
      "/vision/%2e%2e%2fsecret.txt",
      "/vision/%252e%252e/secret.txt",
      `/vision/${RUNTIME_DIR}/../../secret.txt`,
      "/vision/..%5csecret.txt",
      "/vision/%2fetc%2fpasswd",
      "/vision/.build-state.json",
      "/vision/%00",
      "/vision/%e0%a4%a",
    ]) {
      const reply = await send(attack);
      expect(reply.status, attack).toBe(400);
      expect(reply.body.toString(), attack).not.toContain(SECRET);
    }
  });

  it("leaves other URLs to the next handler", async () => {
    for (const other of ["/", "/vision", "/visionary/x", "/api/vision/manifest.json"]) {
      expect((await send(other)).status, other).toBe(418);
    }
  });
});

describe("vision asset handler: byte ranges (resuming a download that broke off)", () => {
  const WASM = `/vision/${RUNTIME_DIR}/vision_wasm_internal.wasm`;
  const wasmEtag = `"${sha256(wasmBytes)}"`;

  it("answers one range with 206, Content-Range and only those bytes, and says it takes ranges", async () => {
    const full = await send(WASM);
    expect(full.headers["accept-ranges"]).toBe("bytes");
    for (const [range, start, end] of [
      ["bytes=1000-1999", 1000, 1999],
      ["bytes=150000-", 150_000, wasmBytes.length - 1],
      ["bytes=-500", wasmBytes.length - 500, wasmBytes.length - 1],
      // Past the end is clamped; a suffix longer than the file is the whole file.
      ["bytes=199990-300000", 199_990, wasmBytes.length - 1],
      ["bytes=-999999", 0, wasmBytes.length - 1],
      ["bytes=0-0", 0, 0],
    ] as const) {
      const reply = await send(WASM, { headers: { range } });
      expect(reply.status, range).toBe(206);
      expect(reply.headers["content-range"], range).toBe(`bytes ${start}-${end}/${wasmBytes.length}`);
      expect(reply.headers["content-length"], range).toBe(String(end - start + 1));
      expect(reply.headers["accept-ranges"], range).toBe("bytes");
      expect(reply.headers.etag, range).toBe(wasmEtag);
      expect(reply.headers["content-encoding"], range).toBeUndefined();
      expect(reply.body.equals(wasmBytes.subarray(start, end + 1)), range).toBe(true);
    }
  });

  it("answers a range that starts past the end with 416 and the size", async () => {
    for (const range of [`bytes=${wasmBytes.length}-`, "bytes=999999-1000000", "bytes=-0"]) {
      const reply = await send(WASM, { headers: { range } });
      expect(reply.status, range).toBe(416);
      expect(reply.headers["content-range"], range).toBe(`bytes */${wasmBytes.length}`);
      expect(reply.body.length, range).toBe(0);
    }
  });

  it("sends the whole file for several ranges, other units, malformed ranges and HEAD", async () => {
    for (const range of ["bytes=0-10,20-30", "items=0-10", "bytes=10-5", "bytes=abc", "bytes=", "bytes=1-2-3", `bytes=${"1".repeat(200)}-`]) {
      const reply = await send(WASM, { headers: { range } });
      expect(reply.status, range).toBe(200);
      expect(reply.headers["content-range"], range).toBeUndefined();
      expect(reply.body.equals(wasmBytes), range).toBe(true);
    }
    const head = await send(WASM, { method: "HEAD", headers: { range: "bytes=0-9" } });
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe(String(wasmBytes.length));
  });

  it("honours If-Range: our ETag gets the range, any other validator the whole file", async () => {
    const matching = await send(WASM, { headers: { range: "bytes=100-", "if-range": wasmEtag } });
    expect(matching.status).toBe(206);
    expect(matching.body.equals(wasmBytes.subarray(100))).toBe(true);
    for (const ifRange of [`"${"0".repeat(64)}"`, `W/${wasmEtag}`, "Wed, 21 Oct 2015 07:28:00 GMT"]) {
      const reply = await send(WASM, { headers: { range: "bytes=100-", "if-range": ifRange } });
      expect(reply.status, ifRange).toBe(200);
      expect(reply.body.equals(wasmBytes), ifRange).toBe(true);
    }
    // If-None-Match comes first: a cached copy needs no bytes at all.
    expect((await send(WASM, { headers: { range: "bytes=100-", "if-none-match": wasmEtag } })).status).toBe(304);
  });

  it("takes a range of the representation Accept-Encoding selects, with that representation's ETag", async () => {
    const brotli = brotliCompressSync(wasmBytes);
    const whole = await send(WASM, { headers: { "accept-encoding": "br" } });
    const tail = await send(WASM, { headers: { "accept-encoding": "br", range: "bytes=100-", "if-range": String(whole.headers.etag) } });
    expect(tail.status).toBe(206);
    expect(tail.headers["content-encoding"]).toBe("br");
    expect(tail.headers["content-range"]).toBe(`bytes 100-${whole.body.length - 1}/${whole.body.length}`);
    // The two parts make up the compressed file, which decodes to the original.
    expect(brotliDecompressSync(Buffer.concat([whole.body.subarray(0, 100), tail.body])).equals(wasmBytes)).toBe(true);
    expect(whole.body.length).toBe(brotli.length);
    // The identity representation's ETag does not let a range of the compressed one through, nor the reverse.
    expect((await send(WASM, { headers: { "accept-encoding": "br", range: "bytes=100-", "if-range": wasmEtag } })).status).toBe(200);
    expect((await send(WASM, { headers: { range: "bytes=100-", "if-range": String(whole.headers.etag) } })).status).toBe(200);
  });

  it("is what fetch gets: a Range header makes it ask for identity, and the bytes line up", async () => {
    // Fetch adds `Accept-Encoding: identity` to a request with Range (Chromium does the same).
    const response = await fetch(`http://127.0.0.1:${port}${WASM}`, { headers: { range: "bytes=123456-" } });
    expect(response.status).toBe(206);
    expect(response.headers.get("content-encoding")).toBeNull();
    expect(Buffer.from(await response.arrayBuffer()).equals(wasmBytes.subarray(123_456))).toBe(true);
  });
});
