import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as jpeg from "jpeg-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  VIDEO_FRAMES,
  fakeVideo,
  imageToVideoCoords,
  letterboxTransform,
  videoToImageCoords,
  type FakeVideo,
  type LetterboxTransform,
} from "../../e2e/support/fakeVideo";

const W = 640;
const H = 480;
const FRAME_BYTES = (W * H * 3) / 2;

let cacheDir = "";
beforeAll(() => {
  cacheDir = mkdtempSync(join(tmpdir(), "fake-video-test-"));
});
afterAll(() => {
  rmSync(cacheDir, { recursive: true, force: true });
});

/** Parse a .y4m independently of the writer: header fields and the Y plane of every frame. */
function readY4m(path: string): { header: string; fields: string[]; yPlanes: Uint8Array[]; size: number } {
  const bytes = readFileSync(path);
  const headerEnd = bytes.indexOf(0x0a);
  const header = bytes.subarray(0, headerEnd).toString("latin1");
  const yPlanes: Uint8Array[] = [];
  let at = headerEnd + 1;
  while (at < bytes.length) {
    expect(bytes.subarray(at, at + 6).toString("latin1")).toBe("FRAME\n");
    at += 6;
    yPlanes.push(bytes.subarray(at, at + W * H));
    at += FRAME_BYTES;
  }
  expect(at).toBe(bytes.length);
  return { header, fields: header.split(" "), yPlanes, size: bytes.length };
}

/** Limited-range BT.601 Y (16..235) -> full-range luma (0..255). */
const fullRange = (y: number): number => ((y - 16) * 255) / 219;

function video(name: Parameters<typeof fakeVideo>[0]): FakeVideo {
  return fakeVideo(name, cacheDir);
}

describe("y4m output", () => {
  it("has a YUV4MPEG2 4:2:0 640x480 30 fps header and whole frames", () => {
    const v = video("messi5");
    const { header, fields, yPlanes, size } = readY4m(v.path);
    expect(fields[0]).toBe("YUV4MPEG2");
    expect(fields).toContain("W640");
    expect(fields).toContain("H480");
    expect(fields).toContain("F30:1");
    expect(fields).toContain("C420jpeg");
    expect(yPlanes).toHaveLength(VIDEO_FRAMES);
    expect(size).toBe(header.length + 1 + VIDEO_FRAMES * (6 + FRAME_BYTES));
    expect(FRAME_BYTES).toBe(460_800);
  });

  it("is cached: a second call returns the same file", () => {
    expect(video("astronaut").path).toBe(video("astronaut").path);
    expect(video("astronaut").path).toMatch(/astronaut-[0-9a-f]{16}\.y4m$/);
  });
});

describe("letterbox coordinates", () => {
  const cases: Array<[string, LetterboxTransform]> = [
    ["wide 548x342", letterboxTransform(548, 342)],
    ["square 512x512", letterboxTransform(512, 512)],
    ["tall 300x900", letterboxTransform(300, 900)],
  ];

  it.each(cases)("round-trips image -> video -> image (%s)", (_label, t) => {
    for (const p of [
      { x: 0, y: 0 },
      { x: 1, y: 1 },
      { x: 0.5, y: 0.5 },
      { x: 0.627, y: 0.466 },
      { x: 0.1, y: 0.9 },
    ]) {
      const back = videoToImageCoords(t, imageToVideoCoords(t, p));
      expect(back.x).toBeCloseTo(p.x, 9);
      expect(back.y).toBeCloseTo(p.y, 9);
    }
  });

  it("puts the square astronaut in the middle with 80 px bars left and right", () => {
    const t = video("astronaut").transform;
    expect(t).toEqual({ scale: 480 / 512, offsetX: 80, offsetY: 0, srcWidth: 512, srcHeight: 512 });
    expect(imageToVideoCoords(t, { x: 0, y: 0 })).toEqual({ x: 80 / 640, y: 0 });
    expect(imageToVideoCoords(t, { x: 1, y: 1 })).toEqual({ x: 560 / 640, y: 1 });
  });

  it("fits the wide messi5 to the full width with bars above and below", () => {
    const t = video("messi5").transform;
    expect(t.scale).toBeCloseTo(640 / 548, 12);
    expect(t.offsetX).toBe(0);
    expect(t.offsetY).toBeCloseTo((480 - 342 * (640 / 548)) / 2, 9);
    // The video's top edge is above the image: undoing the letterbox gives a negative y.
    expect(videoToImageCoords(t, { x: 0.5, y: 0 }).y).toBeLessThan(0);
    expect(videoToImageCoords(t, { x: 0.5, y: 0.5 })).toEqual({ x: 0.5, y: 0.5 });
  });
});

describe("picture content", () => {
  it("the empty scene is an even mid-grey with no content", () => {
    const y = readY4m(video("empty").path).yPlanes[0];
    if (!y) throw new Error("no frame");
    let sum = 0;
    let sumSq = 0;
    let min = 255;
    let max = 0;
    for (const v of y) {
      sum += v;
      sumSq += v * v;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    const mean = sum / y.length;
    const std = Math.sqrt(sumSq / y.length - mean * mean);
    expect(fullRange(mean)).toBeGreaterThan(110);
    expect(fullRange(mean)).toBeLessThan(145);
    expect(std).toBeLessThan(6);
    expect(max - min).toBeLessThan(30);
  });

  it("messi5's centre luminance matches the image's, and its bars are black", () => {
    const v = video("messi5");
    const y = readY4m(v.path).yPlanes[0];
    if (!y) throw new Error("no frame");

    // The original image, decoded here on its own, luma averaged over a 5x5 block at its centre.
    const fixture = fileURLToPath(new URL("../../e2e/fixtures/messi5.jpg", import.meta.url));
    const img = jpeg.decode(readFileSync(fixture), { useTArray: true, formatAsRGBA: true });
    const at = (x: number, yy: number, c: number): number => img.data[(yy * img.width + x) * 4 + c] ?? 0;
    let imageLuma = 0;
    const cx = Math.floor(img.width / 2);
    const cy = Math.floor(img.height / 2);
    for (let dy = -2; dy <= 2; dy++) {
      for (let dx = -2; dx <= 2; dx++) {
        imageLuma += 0.299 * at(cx + dx, cy + dy, 0) + 0.587 * at(cx + dx, cy + dy, 1) + 0.114 * at(cx + dx, cy + dy, 2);
      }
    }
    imageLuma /= 25;

    // The same point in the video (image centre == video centre for a centred letterbox).
    const p = imageToVideoCoords(v.transform, { x: (cx + 0.5) / img.width, y: (cy + 0.5) / img.height });
    const vx = Math.floor(p.x * W);
    const vy = Math.floor(p.y * H);
    let videoLuma = 0;
    for (let dy = -2; dy <= 2; dy++) {
      for (let dx = -2; dx <= 2; dx++) videoLuma += fullRange(y[(vy + dy) * W + vx + dx] ?? 0);
    }
    videoLuma /= 25;

    expect(Math.abs(videoLuma - imageLuma)).toBeLessThan(8);
    // Letterbox bars: limited-range black.
    expect(y[0]).toBe(16);
    expect(y[W * H - 1]).toBe(16);
  });
});
