/**
 * Serves the self-hosted vision assets built by scripts/vision-assets/build.ts from
 * public/vision under /vision/: content-hashed files and the wasm-<hash>/ runtime folder as
 * immutable, manifest.json as no-cache, precompressed .br/.gz siblings chosen by
 * Accept-Encoding (the 13 MB runtime is never compressed per request), streamed from disk.
 * Returns false for URLs outside /vision/ so the caller falls through to Next.
 *
 * Byte ranges (one per request: a page resuming a download that broke off) apply to the
 * representation Accept-Encoding selects, as HTTP defines them: each sibling has its own ETag,
 * so If-Range never mixes bytes of two. Browsers send `Accept-Encoding: identity` with a Range
 * header, so a page's resume gets raw bytes at the offset it counted in decoded bytes; a
 * browser's HTTP cache completing a truncated entry by itself asks for the compressed bytes.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { pipeline } from "node:stream/promises";

export interface VisionAssetHandlerOptions {
  /** Folder holding manifest.json, the hashed models and wasm-<hash>/. */
  dir: string;
  /** URL path the folder is served under; default `/vision/`. */
  urlPrefix?: string;
}

export type VisionAssetHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

const IMMUTABLE_CACHE = "public, max-age=31536000, immutable";
const REVALIDATE_CACHE = "no-cache";
const MANIFEST_FILE = "manifest.json";
/** `pose_landmarker_lite.3f2a9c1b.task`: the name changes whenever the content does. */
const HASHED_FILE_PATTERN = /^[a-z0-9_]+\.[0-9a-f]{8}\.[a-z0-9]+$/;
const RUNTIME_DIR_PATTERN = /^wasm-[0-9a-f]{8}$/;
/** After percent-decoding: no `.`/`..`/dot-files, no separators, no `%` (double encoding). */
const SAFE_SEGMENT_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
/** Deepest path served: `wasm-<hash>/vision_wasm_internal.wasm`. */
const MAX_SEGMENTS = 2;
const COMPRESSED_SUFFIXES = [".br", ".gz"];

const CONTENT_TYPES: Record<string, string> = {
  ".wasm": "application/wasm", // required for WebAssembly.instantiateStreaming
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".task": "application/octet-stream",
  ".tflite": "application/octet-stream",
};

type ContentCoding = "br" | "gzip";
const SIBLING_SUFFIX: Record<ContentCoding, string> = { br: ".br", gzip: ".gz" };

interface Representation {
  filePath: string;
  size: number;
  mtimeMs: number;
  coding: ContentCoding | null;
}

export function createVisionAssetHandler(options: VisionAssetHandlerOptions): VisionAssetHandler {
  const root = path.resolve(options.dir);
  const urlPrefix = options.urlPrefix ?? "/vision/";
  const etags = new EtagCache();

  return (req, res) => {
    const pathname = (req.url ?? "").split(/[?#]/, 1)[0] ?? "";
    if (!pathname.startsWith(urlPrefix)) return false;
    serveVisionAsset(req, res, root, pathname.slice(urlPrefix.length), etags).catch((error: unknown) => {
      if (!res.headersSent) sendStatus(res, 500, "Internal error");
      else res.destroy(error instanceof Error ? error : new Error(String(error)));
    });
    return true;
  };
}

async function serveVisionAsset(req: IncomingMessage, res: ServerResponse, root: string, encodedRelativePath: string, etags: EtagCache): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("Allow", "GET, HEAD");
    return sendStatus(res, 405, "Method not allowed");
  }
  const resolved = resolveSafePath(root, encodedRelativePath);
  if (resolved === "refused") return sendStatus(res, 400, "Bad path");
  if (resolved === null) return sendStatus(res, 404, "Not found");
  const { filePath, segments } = resolved;
  const fileName = segments[segments.length - 1] ?? "";
  // Siblings are reached through Accept-Encoding, not by name.
  if (COMPRESSED_SUFFIXES.some((suffix) => fileName.endsWith(suffix))) return sendStatus(res, 404, "Not found");

  const identity = await statFile(filePath);
  if (!identity) return sendStatus(res, 404, "Not found");
  const accepted = acceptedCodings(req.headers["accept-encoding"]);
  let chosen: Representation = { filePath, size: identity.size, mtimeMs: identity.mtimeMs, coding: null };
  for (const coding of ["br", "gzip"] as const) {
    if (!accepted.has(coding)) continue;
    const siblingPath = `${filePath}${SIBLING_SUFFIX[coding]}`;
    const sibling = await statFile(siblingPath);
    if (sibling) {
      chosen = { filePath: siblingPath, size: sibling.size, mtimeMs: sibling.mtimeMs, coding };
      break;
    }
  }

  const etag = await etags.get(chosen);
  const isHashed = segments.length === 1 ? HASHED_FILE_PATTERN.test(fileName) : RUNTIME_DIR_PATTERN.test(segments[0] ?? "");
  const cacheControl = fileName === MANIFEST_FILE || !isHashed ? REVALIDATE_CACHE : IMMUTABLE_CACHE;
  res.setHeader("Cache-Control", cacheControl);
  res.setHeader("ETag", etag);
  res.setHeader("Vary", "Accept-Encoding");
  res.setHeader("Accept-Ranges", "bytes");
  if (ifNoneMatchHits(req.headers["if-none-match"], etag)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  // Range is defined for GET only; If-Range naming another version asks for the whole file.
  const range = req.method === "GET" && ifRangeHolds(req.headers["if-range"], etag) ? parseRange(req.headers.range, chosen.size) : null;
  if (range === "unsatisfiable") {
    res.statusCode = 416;
    res.setHeader("Content-Range", `bytes */${chosen.size}`);
    res.setHeader("Content-Type", "text/plain; charset=utf-8");
    res.setHeader("Content-Length", 0);
    res.end();
    return;
  }
  res.statusCode = range ? 206 : 200;
  res.setHeader("Content-Type", CONTENT_TYPES[path.extname(fileName)] ?? "application/octet-stream");
  res.setHeader("Content-Length", range ? range.end - range.start + 1 : chosen.size);
  if (range) res.setHeader("Content-Range", `bytes ${range.start}-${range.end}/${chosen.size}`);
  res.setHeader("X-Content-Type-Options", "nosniff");
  if (chosen.coding) res.setHeader("Content-Encoding", chosen.coding);
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  await pipeline(createReadStream(chosen.filePath, range ? { start: range.start, end: range.end } : {}), res);
}

/** Longest Range header looked at: one range of two 16-digit numbers fits many times over. */
const MAX_RANGE_HEADER_LENGTH = 100;
const SINGLE_RANGE_PATTERN = /^bytes=(?:(\d{1,16})-(\d{0,16})|-(\d{1,16}))$/;

/**
 * The one byte range asked for (inclusive ends, clamped to the file), "unsatisfiable", or null
 * for the whole file: no header, another unit, several ranges (the page never asks for more
 * than one; a full 200 is always a valid answer) or a malformed one, which HTTP says to ignore.
 */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | null {
  if (header === undefined || header.length > MAX_RANGE_HEADER_LENGTH) return null;
  const match = SINGLE_RANGE_PATTERN.exec(header.replace(/\s+/g, ""));
  if (!match) return null;
  const [, first, last, suffix] = match;
  if (suffix !== undefined) {
    const length = Number(suffix);
    if (length === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  const lastByte = last === undefined || last === "" ? null : Number(last);
  if (lastByte !== null && lastByte < start) return null; // an invalid range: ignored
  if (start >= size) return "unsatisfiable";
  return { start, end: Math.min(lastByte ?? size - 1, size - 1) };
}

/** If-Range with a strong ETag equal to ours (weak tags and dates never match: we send no Last-Modified). */
function ifRangeHolds(header: string | string[] | undefined, etag: string): boolean {
  return header === undefined || (typeof header === "string" && header.trim() === etag);
}

/**
 * Maps the part of the URL after the prefix to a file under root. "refused" for anything that
 * could step outside (`..`, encoded separators or dots, dot-files, bad escapes); null for paths
 * that are merely not files we serve (empty, too deep).
 */
function resolveSafePath(root: string, encodedRelativePath: string): { filePath: string; segments: string[] } | "refused" | null {
  // Empty segments (`//`) are skipped: tasks-vision joins its base URL and file name with `/`.
  const encodedSegments = encodedRelativePath.split("/").filter((segment) => segment.length > 0);
  const segments: string[] = [];
  for (const encoded of encodedSegments) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(encoded);
    } catch {
      return "refused";
    }
    if (!SAFE_SEGMENT_PATTERN.test(decoded)) return "refused";
    segments.push(decoded);
  }
  if (segments.length === 0 || segments.length > MAX_SEGMENTS) return null;
  const filePath = path.resolve(root, ...segments);
  const relative = path.relative(root, filePath);
  if (relative.startsWith("..") || path.isAbsolute(relative)) return "refused";
  return { filePath, segments };
}

async function statFile(filePath: string): Promise<{ size: number; mtimeMs: number } | null> {
  try {
    const info = await stat(filePath);
    return info.isFile() ? { size: info.size, mtimeMs: info.mtimeMs } : null;
  } catch {
    return null;
  }
}

/** Codings the client accepts (q > 0), from e.g. `gzip, deflate, br;q=0.9, *;q=0.1`. */
function acceptedCodings(header: string | string[] | undefined): Set<ContentCoding> {
  const text = Array.isArray(header) ? header.join(",") : (header ?? "");
  const qualities = new Map<string, number>();
  for (const part of text.split(",")) {
    const [token, ...parameters] = part.trim().toLowerCase().split(";");
    if (!token) continue;
    const qParameter = parameters.map((parameter) => parameter.trim()).find((parameter) => parameter.startsWith("q="));
    const quality = qParameter ? Number(qParameter.slice(2)) : 1;
    qualities.set(token.trim(), Number.isFinite(quality) ? quality : 0);
  }
  const accepted = new Set<ContentCoding>();
  for (const coding of ["br", "gzip"] as const) {
    const quality = qualities.get(coding) ?? (coding === "gzip" ? qualities.get("x-gzip") : undefined) ?? qualities.get("*") ?? 0;
    if (quality > 0) accepted.add(coding);
  }
  return accepted;
}

function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(",").some((candidate) => {
    const tag = candidate.trim();
    return tag === "*" || tag === etag || tag === `W/${etag}`;
  });
}

function sendStatus(res: ServerResponse, status: number, message: string): void {
  res.statusCode = status;
  res.setHeader("Content-Type", "text/plain; charset=utf-8");
  res.setHeader("Cache-Control", "no-store");
  res.setHeader("Content-Length", Buffer.byteLength(message));
  res.end(message);
}

/**
 * sha256 of each served file, computed once by streaming it and kept while its size and mtime
 * stay the same (a rebuild replaces files, which changes both name or mtime).
 */
class EtagCache {
  private readonly entries = new Map<string, { size: number; mtimeMs: number; etag: Promise<string> }>();

  get(representation: Representation): Promise<string> {
    const cached = this.entries.get(representation.filePath);
    if (cached && cached.size === representation.size && cached.mtimeMs === representation.mtimeMs) return cached.etag;
    const etag = hashFile(representation.filePath).then((hex) => `"${hex}"`);
    const entry = { size: representation.size, mtimeMs: representation.mtimeMs, etag };
    this.entries.set(representation.filePath, entry);
    etag.catch(() => {
      if (this.entries.get(representation.filePath) === entry) this.entries.delete(representation.filePath);
    });
    return etag;
  }
}

async function hashFile(filePath: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(filePath)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
