// Real-browser check of the built assets (not part of install): serves public/vision through
// the app's own handler plus the tasks-vision bundle and the fixtures, then runs
// PoseLandmarker (lite/full/heavy), HandLandmarker and FaceDetector in headless Debian
// Chromium (IMAGE mode, CPU delegate) and prints what they found. Also runs pose lite once on
// the nosimd runtime. Usage: tsx scripts/vision-assets/smoke-chromium.ts [--dir public/vision]
//   [--fixtures /work/shared/fixtures]
import { chromium } from "@playwright/test";
import { createReadStream } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createVisionAssetHandler } from "../../server/http/visionAssets";

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(name);
  return index >= 0 && process.argv[index + 1] ? path.resolve(process.argv[index + 1] as string) : fallback;
}

const visionDir = argument("--dir", path.join(projectRoot, "public", "vision"));
const fixturesDir = argument("--fixtures", "/work/shared/fixtures");
const tasksVisionBundle = path.join(projectRoot, "node_modules", "@mediapipe", "tasks-vision", "vision_bundle.mjs");
const FIXTURES = new Set(["messi5.jpg", "astronaut.png"]);

// Runs in the page. Kept as plain JS text: it is served, not bundled.
const PAGE_SCRIPT = String.raw`
import { FilesetResolver, PoseLandmarker, HandLandmarker, FaceDetector } from "/tasks-vision/vision_bundle.mjs";

async function loadImage(url) {
  const image = new Image();
  image.src = url;
  await image.decode();
  return image;
}
const round = (value) => Math.round(value * 1000) / 1000;
const point = (landmark) => landmark ? { x: round(landmark.x), y: round(landmark.y) } : null;

window.smokeResult = (async () => {
  const manifest = await (await fetch("/vision/manifest.json")).json();
  // tasks-vision appends "/" + file name itself.
  const runtimeBase = manifest.runtime.baseUrl.replace(/\/$/, "");
  const simdFileset = await FilesetResolver.forVisionTasks(runtimeBase);
  const nosimdFileset = {
    wasmLoaderPath: runtimeBase + "/vision_wasm_nosimd_internal.js",
    wasmBinaryPath: runtimeBase + "/vision_wasm_nosimd_internal.wasm",
  };
  const assetUrl = (name) => manifest.assets.find((asset) => asset.name === name).url;
  const messi = await loadImage("/fixtures/messi5.jpg");
  const astronaut = await loadImage("/fixtures/astronaut.png");
  const results = { fileset: simdFileset.wasmBinaryPath };

  const runPose = async (label, name, fileset) => {
    const began = performance.now();
    const landmarker = await PoseLandmarker.createFromOptions(fileset, {
      baseOptions: { modelAssetPath: assetUrl(name), delegate: "CPU" },
      runningMode: "IMAGE",
      numPoses: 1,
    });
    const created = performance.now();
    const found = landmarker.detect(messi);
    const detected = performance.now();
    results[label] = {
      poses: found.landmarks.length,
      leftWrist15: point(found.landmarks[0]?.[15]),
      nose0: point(found.landmarks[0]?.[0]),
      createMs: Math.round(created - began),
      detectMs: Math.round(detected - created),
    };
    landmarker.close();
  };
  await runPose("pose_lite", "pose_lite", simdFileset);
  await runPose("pose_full", "pose_full", simdFileset);
  await runPose("pose_heavy", "pose_heavy", simdFileset);

  const hands = await HandLandmarker.createFromOptions(simdFileset, {
    baseOptions: { modelAssetPath: assetUrl("hand_lite"), delegate: "CPU" },
    runningMode: "IMAGE",
    numHands: 2,
  });
  const handResult = hands.detect(messi);
  results.hand_lite = {
    hands: handResult.landmarks.length,
    wrist0: point(handResult.landmarks[0]?.[0]),
    handedness: handResult.handedness[0]?.[0]?.categoryName ?? null,
  };
  hands.close();

  const faces = await FaceDetector.createFromOptions(simdFileset, {
    baseOptions: { modelAssetPath: assetUrl("face_short"), delegate: "CPU" },
    runningMode: "IMAGE",
  });
  const faceResult = faces.detect(astronaut);
  const face = faceResult.detections[0];
  results.face_short = {
    faces: faceResult.detections.length,
    box: face ? { originX: face.boundingBox.originX, originY: face.boundingBox.originY, width: face.boundingBox.width, height: face.boundingBox.height } : null,
    score: face ? round(face.categories[0].score) : null,
  };
  faces.close();

  await runPose("pose_lite_nosimd", "pose_lite", nosimdFileset);
  return results;
})();
`;

const PAGE_HTML = `<!doctype html><meta charset="utf-8"><title>vision smoke</title>
<script type="module" src="/smoke.mjs"></script>`;

function sendFile(res: ServerResponse, filePath: string, contentType: string): void {
  res.writeHead(200, { "Content-Type": contentType });
  createReadStream(filePath).pipe(res);
}

const servedEncodings: string[] = [];
const externalRequests = new Set<string>();
const visionHandler = createVisionAssetHandler({ dir: visionDir });
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  res.on("finish", () => {
    if (req.url?.startsWith("/vision/")) {
      servedEncodings.push(`${res.statusCode} ${String(res.getHeader("content-encoding") ?? "identity").padEnd(8)} ${req.url}`);
    }
  });
  if (visionHandler(req, res)) return;
  const url = (req.url ?? "/").split("?")[0] ?? "/";
  if (url === "/") {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(PAGE_HTML);
  } else if (url === "/smoke.mjs") {
    res.writeHead(200, { "Content-Type": "text/javascript; charset=utf-8" });
    res.end(PAGE_SCRIPT);
  } else if (url === "/tasks-vision/vision_bundle.mjs") {
    sendFile(res, tasksVisionBundle, "text/javascript; charset=utf-8");
  } else if (url === "/favicon.ico") {
    res.writeHead(204).end();
  } else if (url.startsWith("/fixtures/") && FIXTURES.has(url.slice("/fixtures/".length))) {
    const name = url.slice("/fixtures/".length);
    sendFile(res, path.join(fixturesDir, name), name.endsWith(".png") ? "image/png" : "image/jpeg");
  } else {
    res.writeHead(404).end();
  }
});

interface Point2 {
  x: number;
  y: number;
}
interface PoseSmoke {
  poses: number;
  leftWrist15: Point2 | null;
}
interface SmokeResults {
  pose_lite: PoseSmoke;
  pose_full: PoseSmoke;
  pose_heavy: PoseSmoke;
  pose_lite_nosimd: PoseSmoke;
  hand_lite: { hands: number; wrist0: Point2 | null };
  face_short: { faces: number; box: { originX: number; originY: number; width: number; height: number } | null };
}

/** Compares with the values measured in shared/notes/vision-models.md (same fixtures). */
function checkAgainstNotes(results: SmokeResults): string[] {
  const failures: string[] = [];
  const near = (label: string, actual: Point2 | null, expected: Point2, tolerance: number): void => {
    if (!actual || Math.abs(actual.x - expected.x) > tolerance || Math.abs(actual.y - expected.y) > tolerance) {
      failures.push(`${label}: got ${JSON.stringify(actual)}, expected about ${JSON.stringify(expected)}`);
    }
  };
  // Lite is what the notes measured; full and heavy are different networks, so looser.
  near("pose_lite left wrist", results.pose_lite.leftWrist15, { x: 0.627, y: 0.466 }, 0.01);
  near("pose_lite_nosimd left wrist", results.pose_lite_nosimd.leftWrist15, { x: 0.627, y: 0.466 }, 0.01);
  near("pose_full left wrist", results.pose_full.leftWrist15, { x: 0.627, y: 0.466 }, 0.03);
  near("pose_heavy left wrist", results.pose_heavy.leftWrist15, { x: 0.627, y: 0.466 }, 0.03);
  near("hand_lite wrist", results.hand_lite.wrist0, { x: 0.624, y: 0.477 }, 0.01);
  const box = results.face_short.box;
  if (!box || Math.abs(box.originX - 177) > 3 || Math.abs(box.originY - 82) > 3 || Math.abs(box.width - 95) > 3 || Math.abs(box.height - 95) > 3) {
    failures.push(`face_short box: got ${JSON.stringify(box)}, expected about (177, 82) 95 x 95`);
  }
  return failures;
}

async function main(): Promise<void> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
  try {
    const page = await browser.newPage();
    page.on("console", (message) => {
      const text = message.text();
      // tasks-vision logs INFO lines as errors; blocked telemetry is reported below instead.
      if (message.type() === "error" && !text.startsWith("INFO:") && !text.includes("ERR_BLOCKED_BY_CLIENT")) {
        console.log(`[page error] ${text}`);
      }
    });
    page.on("pageerror", (error) => console.log(`[page exception] ${error.message}`));
    // The point is "no CDN": requests leaving 127.0.0.1 are blocked and reported. (tasks-vision
    // 1.1.0 posts usage logs to odml.pa.googleapis.com on every task creation; blocking them
    // is harmless, the library stops logging after the first failure.)
    const origin = `http://127.0.0.1:${port}/`;
    await page.route(
      (url) => !url.href.startsWith(origin),
      (route) => {
        externalRequests.add(route.request().url());
        return route.abort("blockedbyclient");
      },
    );
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => "smokeResult" in window);
    const results = await page.evaluate(() => (window as unknown as { smokeResult: Promise<unknown> }).smokeResult);
    console.log(JSON.stringify(results, null, 2));
    console.log("vision responses:\n  " + servedEncodings.join("\n  "));
    console.log(`external requests blocked: ${[...externalRequests].join(", ") || "none"}`);
    const failures = checkAgainstNotes(results as SmokeResults);
    if (failures.length > 0) {
      console.error(`MISMATCH with shared/notes/vision-models.md:\n  - ${failures.join("\n  - ")}`);
      process.exitCode = 1;
    } else {
      console.log("all results match the measured values in shared/notes/vision-models.md");
    }
  } finally {
    await browser.close();
    server.close();
  }
}

main().catch((error: unknown) => {
  console.error(`smoke failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
  server.close();
});
