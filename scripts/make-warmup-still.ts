/**
 * One-off: makes public/warmup/still.jpg, the frame the vision preloader warms the models up on
 * when the camera is not ready yet. Source: scikit-image's astronaut.png (public-domain NASA
 * photo, from Debian's python3-skimage; see public/warmup/ORIGIN.md), box-filtered down to
 * 320x320 (a person and a face, small enough to stay a few KB). The JPEG is committed; rerun
 * only to change it: `npx tsx scripts/make-warmup-still.ts [source.png] [out.jpg]`.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as jpeg from "jpeg-js";
import { PNG } from "pngjs";

const SOURCE_PATH = process.argv[2] ?? "/work/shared/fixtures/astronaut.png";
const OUTPUT_PATH = process.argv[3] ?? "public/warmup/still.jpg";
const OUTPUT_SIZE = 320;
const JPEG_QUALITY = 85;

interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * Area-average resampling: each output pixel is the coverage-weighted mean of the source pixels
 * under it. Downscaling by a non-integer factor (512 -> 320) without aliasing.
 */
function resizeByAreaAverage(source: RgbaImage, width: number, height: number): RgbaImage {
  const output = new Uint8Array(width * height * 4);
  const scaleX = source.width / width;
  const scaleY = source.height / height;
  for (let outY = 0; outY < height; outY++) {
    const top = outY * scaleY;
    const bottom = top + scaleY;
    for (let outX = 0; outX < width; outX++) {
      const left = outX * scaleX;
      const right = left + scaleX;
      const sums = [0, 0, 0, 0];
      let totalWeight = 0;
      for (let srcY = Math.floor(top); srcY < Math.ceil(bottom); srcY++) {
        const weightY = Math.min(bottom, srcY + 1) - Math.max(top, srcY);
        for (let srcX = Math.floor(left); srcX < Math.ceil(right); srcX++) {
          const weight = weightY * (Math.min(right, srcX + 1) - Math.max(left, srcX));
          const index = (srcY * source.width + srcX) * 4;
          for (let channel = 0; channel < 4; channel++) sums[channel]! += (source.data[index + channel] ?? 0) * weight;
          totalWeight += weight;
        }
      }
      const outIndex = (outY * width + outX) * 4;
      for (let channel = 0; channel < 4; channel++) output[outIndex + channel] = Math.round(sums[channel]! / totalWeight);
      output[outIndex + 3] = 255; // JPEG has no alpha
    }
  }
  return { width, height, data: output };
}

const sourceBytes = readFileSync(SOURCE_PATH);
const png = PNG.sync.read(sourceBytes);
const resized = resizeByAreaAverage({ width: png.width, height: png.height, data: png.data }, OUTPUT_SIZE, OUTPUT_SIZE);
const encoded = jpeg.encode({ width: resized.width, height: resized.height, data: resized.data }, JPEG_QUALITY);
mkdirSync(path.dirname(OUTPUT_PATH), { recursive: true });
writeFileSync(OUTPUT_PATH, encoded.data);
const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");
console.log(`source ${SOURCE_PATH} ${png.width}x${png.height} sha256 ${sha256(sourceBytes)}`);
console.log(`wrote ${OUTPUT_PATH} ${OUTPUT_SIZE}x${OUTPUT_SIZE} q${JPEG_QUALITY} ${encoded.data.length} bytes sha256 ${sha256(encoded.data)}`);
