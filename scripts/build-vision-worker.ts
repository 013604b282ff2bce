// `npm run build:vision-worker` (run by postinstall, build and dev): bundles the inference worker
// (client/vision/worker/inferenceWorker.ts, tasks-vision included) into
// public/vision/inference-worker.js, served by server/http/visionAssets.ts with revalidation.
// A classic-worker IIFE: tasks-vision 1.1.0 loads its WASM loader with importScripts, which module
// workers lack. Only the worker inference plans ever load it (client/vision/worker/workerClient.ts).
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const VISION_WORKER_OUTFILE = "public/vision/inference-worker.js";

export async function buildVisionWorker(outfile: string = VISION_WORKER_OUTFILE): Promise<void> {
  await build({
    absWorkingDir: ROOT,
    entryPoints: ["client/vision/worker/inferenceWorker.ts"],
    outfile,
    bundle: true,
    platform: "browser",
    format: "iife",
    target: "es2022",
    minify: true,
    legalComments: "eof",
    logLevel: "warning",
  });
  // The asset handler serves this sibling to browsers that accept gzip (~160 KB -> ~50 KB).
  await writeFile(`${path.resolve(ROOT, outfile)}.gz`, gzipSync(await readFile(path.resolve(ROOT, outfile)), { level: 9 }));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const began = performance.now();
  await buildVisionWorker();
  console.log(`build:vision-worker: ${VISION_WORKER_OUTFILE} in ${Math.round(performance.now() - began)} ms`);
}
