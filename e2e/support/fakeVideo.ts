/**
 * Fake camera videos for Chromium, made at run time from the fixture images.
 *
 * Chromium's `--use-file-for-fake-video-capture=FILE.y4m` plays a YUV4MPEG2 file in a loop as
 * the camera. Each video here is one fixture image letterboxed (aspect ratio kept, black bars)
 * into 640x480, converted to 4:2:0 YUV with BT.601 (limited range, as Chromium reads I420), and
 * repeated for a few identical frames. Outputs are cached in `e2e/.cache/fake-video/`, keyed by
 * the sha256 of the source image and of the generator's settings.
 *
 * Coordinates: a detection made on the video is normalised to the 640x480 frame; use
 * `videoToImageCoords` to get it normalised to the ORIGINAL image (letterboxing undone), which is
 * how expected positions are written in tests.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as jpeg from "jpeg-js";
import { PNG } from "pngjs";

export type FakeVideoName = "messi5" | "astronaut" | "empty";
export const FAKE_VIDEO_NAMES: readonly FakeVideoName[] = ["messi5", "astronaut", "empty"];

export const VIDEO_WIDTH = 640;
export const VIDEO_HEIGHT = 480;
export const VIDEO_FPS = 30;
/** Chromium loops the file, so a few identical frames are enough. */
export const VIDEO_FRAMES = 10;
/** Bump when the output for the same source would change (it is part of the cache key). */
const GENERATOR_VERSION = "fake-video/1 bt601-limited bilinear black-bars";

const FIXTURES_DIR = fileURLToPath(new URL("../fixtures/", import.meta.url));
export const DEFAULT_CACHE_DIR = fileURLToPath(new URL("../.cache/fake-video/", import.meta.url));

const SOURCES: Record<Exclude<FakeVideoName, "empty">, string> = {
  messi5: "messi5.jpg",
  astronaut: "astronaut.png",
};

export interface Point {
  x: number;
  y: number;
}

/** 8-bit RGB, 3 bytes per pixel, rows top to bottom. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Where the source image sits in the video: video_px = offset + image_px * scale. */
export interface LetterboxTransform {
  scale: number;
  offsetX: number;
  offsetY: number;
  srcWidth: number;
  srcHeight: number;
}

export interface FakeVideo {
  name: FakeVideoName;
  /** Frames a second the camera delivers (the call encodes and the game detects at this rate). */
  fps: number;
  /** Absolute path of the `.y4m`, for `--use-file-for-fake-video-capture`. */
  path: string;
  width: number;
  height: number;
  transform: LetterboxTransform;
}

// ---------------------------------------------------------------------------------------------
// Letterbox geometry

export function letterboxTransform(srcWidth: number, srcHeight: number, dstWidth = VIDEO_WIDTH, dstHeight = VIDEO_HEIGHT): LetterboxTransform {
  const scale = Math.min(dstWidth / srcWidth, dstHeight / srcHeight);
  return {
    scale,
    offsetX: (dstWidth - srcWidth * scale) / 2,
    offsetY: (dstHeight - srcHeight * scale) / 2,
    srcWidth,
    srcHeight,
  };
}

/** A point normalised to the video frame -> the same point normalised to the original image. */
export function videoToImageCoords(t: LetterboxTransform, p: Point, videoWidth = VIDEO_WIDTH, videoHeight = VIDEO_HEIGHT): Point {
  return {
    x: (p.x * videoWidth - t.offsetX) / t.scale / t.srcWidth,
    y: (p.y * videoHeight - t.offsetY) / t.scale / t.srcHeight,
  };
}

/** A point normalised to the original image -> the same point normalised to the video frame. */
export function imageToVideoCoords(t: LetterboxTransform, p: Point, videoWidth = VIDEO_WIDTH, videoHeight = VIDEO_HEIGHT): Point {
  return {
    x: (t.offsetX + p.x * t.srcWidth * t.scale) / videoWidth,
    y: (t.offsetY + p.y * t.srcHeight * t.scale) / videoHeight,
  };
}

// ---------------------------------------------------------------------------------------------
// Images

export function decodeImage(bytes: Uint8Array, fileName: string): RgbImage {
  const lower = fileName.toLowerCase();
  let rgba: { width: number; height: number; data: Uint8Array };
  if (lower.endsWith(".jpg") || lower.endsWith(".jpeg")) {
    rgba = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
  } else if (lower.endsWith(".png")) {
    const png = PNG.sync.read(Buffer.from(bytes));
    rgba = { width: png.width, height: png.height, data: png.data };
  } else {
    throw new Error(`decodeImage: unsupported image type: ${fileName}`);
  }
  const { width, height } = rgba;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < width * height; i++, j += 4) {
    // Composite any transparency over black.
    const a = (rgba.data[j + 3] ?? 255) / 255;
    data[i * 3] = Math.round((rgba.data[j] ?? 0) * a);
    data[i * 3 + 1] = Math.round((rgba.data[j + 1] ?? 0) * a);
    data[i * 3 + 2] = Math.round((rgba.data[j + 2] ?? 0) * a);
  }
  return { width, height, data };
}

/** Scale `src` into a `dstWidth` x `dstHeight` frame (bilinear), black outside the image. */
export function letterbox(src: RgbImage, t: LetterboxTransform, dstWidth = VIDEO_WIDTH, dstHeight = VIDEO_HEIGHT): RgbImage {
  const out = new Uint8Array(dstWidth * dstHeight * 3);
  const right = t.offsetX + src.width * t.scale;
  const bottom = t.offsetY + src.height * t.scale;
  const px = (x: number, y: number, c: number): number => src.data[(y * src.width + x) * 3 + c] ?? 0;
  for (let dy = 0; dy < dstHeight; dy++) {
    const cy = dy + 0.5;
    if (cy < t.offsetY || cy >= bottom) continue;
    const sy = Math.min(Math.max((cy - t.offsetY) / t.scale - 0.5, 0), src.height - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, src.height - 1);
    const fy = sy - y0;
    for (let dx = 0; dx < dstWidth; dx++) {
      const cx = dx + 0.5;
      if (cx < t.offsetX || cx >= right) continue;
      const sx = Math.min(Math.max((cx - t.offsetX) / t.scale - 0.5, 0), src.width - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, src.width - 1);
      const fx = sx - x0;
      for (let c = 0; c < 3; c++) {
        const top = px(x0, y0, c) * (1 - fx) + px(x1, y0, c) * fx;
        const bot = px(x0, y1, c) * (1 - fx) + px(x1, y1, c) * fx;
        out[(dy * dstWidth + dx) * 3 + c] = Math.round(top * (1 - fy) + bot * fy);
      }
    }
  }
  return { width: dstWidth, height: dstHeight, data: out };
}

/** An empty room: mid-grey with a gentle, smooth, deterministic texture and no person. */
export function emptyScene(width = VIDEO_WIDTH, height = VIDEO_HEIGHT): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = 128 + 3 * Math.sin(x / 23) + 3 * Math.sin(y / 31) + 2 * Math.sin((x + y) / 47);
      const i = (y * width + x) * 3;
      data[i] = Math.round(v);
      data[i + 1] = Math.round(v);
      data[i + 2] = Math.round(v - 2); // a touch warmer than neutral, like a lit wall
    }
  }
  return { width, height, data };
}

/** Full-range luma (0..255) of an RGB pixel, BT.601 weights: what a canvas reader would compute. */
export function rgbLuma(r: number, g: number, b: number): number {
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

/** Mean full-range luma of each cell of a `cols` x `rows` grid over the image, row by row. */
export function lumaGrid(img: RgbImage, cols: number, rows: number): number[] {
  const sums = new Array<number>(cols * rows).fill(0);
  const counts = new Array<number>(cols * rows).fill(0);
  for (let y = 0; y < img.height; y++) {
    const row = Math.min(Math.floor((y * rows) / img.height), rows - 1);
    for (let x = 0; x < img.width; x++) {
      const col = Math.min(Math.floor((x * cols) / img.width), cols - 1);
      const i = (y * img.width + x) * 3;
      const cell = row * cols + col;
      sums[cell] = (sums[cell] ?? 0) + rgbLuma(img.data[i] ?? 0, img.data[i + 1] ?? 0, img.data[i + 2] ?? 0);
      counts[cell] = (counts[cell] ?? 0) + 1;
    }
  }
  return sums.map((s, i) => s / Math.max(counts[i] ?? 0, 1));
}

// ---------------------------------------------------------------------------------------------
// YUV and Y4M

/**
 * RGB -> planar I420 (Y plane, then U, then V), BT.601 limited range ("studio swing":
 * Y 16..235, chroma 16..240), chroma averaged over each 2x2 block (centred, as C420jpeg says).
 * Width and height must be even.
 */
export function rgbToI420(img: RgbImage): Uint8Array {
  const { width: w, height: h, data } = img;
  if (w % 2 !== 0 || h % 2 !== 0) throw new Error("rgbToI420: width and height must be even");
  const out = new Uint8Array((w * h * 3) / 2);
  const uOff = w * h;
  const vOff = uOff + (w * h) / 4;
  const clamp = (v: number): number => Math.min(255, Math.max(0, Math.round(v)));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const r = data[i] ?? 0;
      const g = data[i + 1] ?? 0;
      const b = data[i + 2] ?? 0;
      out[y * w + x] = clamp(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255);
    }
  }
  for (let cy = 0; cy < h / 2; cy++) {
    for (let cx = 0; cx < w / 2; cx++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const [ox, oy] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ] as const) {
        const i = ((cy * 2 + oy) * w + cx * 2 + ox) * 3;
        r += data[i] ?? 0;
        g += data[i + 1] ?? 0;
        b += data[i + 2] ?? 0;
      }
      r /= 4;
      g /= 4;
      b /= 4;
      const c = cy * (w / 2) + cx;
      out[uOff + c] = clamp(128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255);
      out[vOff + c] = clamp(128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255);
    }
  }
  return out;
}

export function y4mHeader(width: number, height: number, fps: number): string {
  return `YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`;
}

/** A whole `.y4m` file: the header, then `frames` copies of "FRAME\n" + the I420 frame. */
export function encodeY4m(i420: Uint8Array, width: number, height: number, fps: number, frames: number): Uint8Array {
  if (i420.length !== (width * height * 3) / 2) throw new Error("encodeY4m: frame size does not match");
  const header = Buffer.from(y4mHeader(width, height, fps), "latin1");
  const marker = Buffer.from("FRAME\n", "latin1");
  const out = new Uint8Array(header.length + frames * (marker.length + i420.length));
  out.set(header, 0);
  let at = header.length;
  for (let f = 0; f < frames; f++) {
    out.set(marker, at);
    out.set(i420, at + marker.length);
    at += marker.length + i420.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Named videos

/** The letterboxed RGB frame of a named video (no caching, no files written). */
export function renderFrame(name: FakeVideoName): { frame: RgbImage; transform: LetterboxTransform } {
  if (name === "empty") {
    return { frame: emptyScene(), transform: letterboxTransform(VIDEO_WIDTH, VIDEO_HEIGHT) };
  }
  const fileName = SOURCES[name];
  const image = decodeImage(readFileSync(join(FIXTURES_DIR, fileName)), fileName);
  const transform = letterboxTransform(image.width, image.height);
  return { frame: letterbox(image, transform), transform };
}

function sourceHash(name: FakeVideoName): string {
  if (name === "empty") return sha256(`empty-scene ${VIDEO_WIDTH}x${VIDEO_HEIGHT}`);
  return sha256(readFileSync(join(FIXTURES_DIR, SOURCES[name])));
}

const memo = new Map<string, FakeVideo>();

/**
 * Moving videos (`motion`): a still image costs the encoder almost nothing, so a call of stills
 * never fills an uplink. A phone's camera does: the picture moves and the sensor adds noise, and
 * the encoder spends every bit it is allowed. These frames pan the image a few pixels back and
 * forth and add deterministic noise to the luma, for tests and benches of a call's bandwidth.
 */
const MOVING_FRAMES = 40;
const MOTION_VERSION = "pan8-noise6-half/1";
/**
 * Half the still's size: six browsers encoding and decoding five videos each share this machine's
 * two cores, and 640x480 saturates them (measured: every tile freezes for CPU, not for the network).
 * A mesh of three or more sends half resolution anyway (meshCall.ts).
 */
const MOVING_WIDTH = VIDEO_WIDTH / 2;
const MOVING_HEIGHT = VIDEO_HEIGHT / 2;

/** An I420 frame at half the width and height (each 2x2 block averaged). */
function halveI420(frame: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array((width / 2) * (height / 2) * 1.5);
  const halvePlane = (from: number, planeWidth: number, planeHeight: number, to: number) => {
    const outWidth = planeWidth / 2;
    for (let y = 0; y < planeHeight / 2; y++)
      for (let x = 0; x < outWidth; x++) {
        const at = from + 2 * y * planeWidth + 2 * x;
        out[to + y * outWidth + x] = ((frame[at] ?? 0) + (frame[at + 1] ?? 0) + (frame[at + planeWidth] ?? 0) + (frame[at + planeWidth + 1] ?? 0) + 2) >> 2;
      }
  };
  const luma = width * height;
  const outLuma = luma / 4;
  halvePlane(0, width, height, 0);
  halvePlane(luma, width / 2, height / 2, outLuma);
  halvePlane(luma + luma / 4, width / 2, height / 2, outLuma + outLuma / 4);
  return out;
}

function movingFrames(still: Uint8Array, width: number, height: number, count: number): Uint8Array[] {
  let seed = 0x9e3779b9;
  const random = (): number => {
    // mulberry32: the same noise on every machine, so the cached file's key stays honest.
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const lumaSize = width * height;
  const frames: Uint8Array[] = [];
  for (let f = 0; f < count; f++) {
    // An even shift keeps the 2x2 chroma blocks aligned with their luma.
    const shift = 2 * Math.round(4 * Math.sin((2 * Math.PI * f) / count));
    const frame = new Uint8Array(still.length);
    const shiftPlane = (offset: number, planeWidth: number, planeHeight: number, dx: number) => {
      for (let y = 0; y < planeHeight; y++) {
        const row = offset + y * planeWidth;
        for (let x = 0; x < planeWidth; x++) frame[row + x] = still[row + Math.min(planeWidth - 1, Math.max(0, x - dx))] ?? 0;
      }
    };
    shiftPlane(0, width, height, shift);
    shiftPlane(lumaSize, width / 2, height / 2, shift / 2);
    shiftPlane(lumaSize + lumaSize / 4, width / 2, height / 2, shift / 2);
    for (let i = 0; i < lumaSize; i++) frame[i] = Math.min(235, Math.max(16, (frame[i] ?? 0) + Math.round((random() - 0.5) * 12)));
    frames.push(frame);
  }
  return frames;
}

/** A `.y4m` of the given I420 frames, in order. */
function encodeY4mFrames(frames: readonly Uint8Array[], width: number, height: number, fps: number): Uint8Array {
  const header = Buffer.from(y4mHeader(width, height, fps), "latin1");
  const marker = Buffer.from("FRAME\n", "latin1");
  return Buffer.concat([header, ...frames.flatMap((frame) => [marker, frame])]);
}

/**
 * The fake camera video for `name`, made on first use and cached on disk (safe to call from
 * several processes: files are written under a temporary name and renamed into place).
 */
export function fakeVideo(name: FakeVideoName, cacheDir = DEFAULT_CACHE_DIR, fps = VIDEO_FPS, motion = false): FakeVideo {
  const memoKey = `${cacheDir}\0${name}\0${fps}\0${motion}`;
  const known = memo.get(memoKey);
  if (known) return known;

  const source = sourceHash(name);
  const frames = motion ? MOVING_FRAMES : VIDEO_FRAMES;
  const key = sha256(`${GENERATOR_VERSION}|${source}|${VIDEO_WIDTH}x${VIDEO_HEIGHT}@${fps}x${frames}${motion ? `|${MOTION_VERSION}` : ""}`);
  const base = join(cacheDir, `${name}${motion ? "-moving" : ""}-${key.slice(0, 16)}`);
  const path = `${base}.y4m`;
  const metaPath = `${base}.json`;

  let transform: LetterboxTransform | undefined;
  if (existsSync(path) && existsSync(metaPath)) {
    transform = (JSON.parse(readFileSync(metaPath, "utf8")) as { transform: LetterboxTransform }).transform;
  } else {
    const rendered = renderFrame(name);
    transform = rendered.transform;
    mkdirSync(cacheDir, { recursive: true });
    const still = rgbToI420(rendered.frame);
    const y4m = motion
      ? encodeY4mFrames(movingFrames(halveI420(still, VIDEO_WIDTH, VIDEO_HEIGHT), MOVING_WIDTH, MOVING_HEIGHT, frames), MOVING_WIDTH, MOVING_HEIGHT, fps)
      : encodeY4m(still, VIDEO_WIDTH, VIDEO_HEIGHT, fps, frames);
    writeAtomically(path, y4m);
    writeAtomically(metaPath, JSON.stringify({ name, sourceHash: source, generator: GENERATOR_VERSION, transform }, null, 2));
  }
  const video: FakeVideo = motion
    ? {
        name,
        fps,
        path,
        width: MOVING_WIDTH,
        height: MOVING_HEIGHT,
        transform: { ...transform, scale: transform.scale / 2, offsetX: transform.offsetX / 2, offsetY: transform.offsetY / 2 },
      }
    : { name, fps, path, width: VIDEO_WIDTH, height: VIDEO_HEIGHT, transform };
  memo.set(memoKey, video);
  return video;
}

function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

function writeAtomically(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
