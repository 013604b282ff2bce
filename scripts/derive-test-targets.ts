// One-off measurement behind the test-only targets in core/targets (not part of install or CI).
//
// Runs tasks-vision in headless Debian Chromium (CPU delegate) on the e2e fixtures, the way a
// player's browser would, and records what the models return:
//   1. PoseLandmarker lite, IMAGE mode, on e2e/fixtures/messi5.jpg (548x342) -> the 33 landmarks
//      that define the `test-messi5` target.
//   2. The same models in VIDEO mode on the e2e fake camera (messi5 letterboxed into 640x480, from
//      e2e/support/fakeVideo.ts) -> pose + hand, exactly what an e2e player's loop sees. The unit
//      tests score these against the targets to prove letterboxing does not matter.
//   3. HandLandmarker lite on the image and on the fake camera: what `test-messi5-hand` in
//      core/targets/handLibrary.ts asks for (an open hand).
//   4. FaceDetector short range on the fake cameras (messi5, astronaut): the box behind the
//      `test-astronaut-face` circles in core/targets/headLibrary.ts.
// The unit tests score all of these against the targets, so a re-measurement that drifts fails.
//
// Usage: npx tsx scripts/derive-test-targets.ts [--write]
//   Prints the measurements; with --write, writes core/targets/measured.json (raw model output)
//   and regenerates the test-only entries of core/targets/poses.json from it (the hand and head
//   test targets are written by hand from the printed values). Takes ~30 s.
import { chromium } from "@playwright/test";
import { createReadStream, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fakeVideo, type FakeVideoName } from "../e2e/support/fakeVideo";
import { createVisionAssetHandler } from "../server/http/visionAssets";
import { formatPosesJson, rawToScreenTargetPoints } from "../core/targets/derive";

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const visionDir = path.join(projectRoot, "public", "vision");
const fixturesDir = path.join(projectRoot, "e2e", "fixtures");
const tasksVisionBundle = path.join(projectRoot, "node_modules", "@mediapipe", "tasks-vision", "vision_bundle.mjs");
const measuredPath = path.join(projectRoot, "core", "targets", "measured.json");
const posesPath = path.join(projectRoot, "core", "targets", "poses.json");
const TASKS_VISION_VERSION = "1.1.0";
/** VIDEO-mode frames to run before keeping one: the first frames of a stream still settle. */
const VIDEO_WARMUP_FRAMES = 15;

// Runs in the page. Plain JS text: it is served, not bundled.
const PAGE_SCRIPT = String.raw`
import { FilesetResolver, PoseLandmarker, HandLandmarker, FaceDetector } from "/tasks-vision/vision_bundle.mjs";

const params = new URLSearchParams(location.search);
const withImage = params.get("image") === "1";
const warmup = Number(params.get("warmup") || "15");

async function loadImage(url) {
  const image = new Image();
  image.src = url;
  await image.decode();
  return image;
}
const r6 = (value) => Math.round(value * 1e6) / 1e6;
const landmarks = (list) => list ? list.map((p) => ({ x: r6(p.x), y: r6(p.y), z: r6(p.z), visibility: p.visibility === undefined ? null : r6(p.visibility) })) : null;
const box = (d) => d ? { originX: d.boundingBox.originX, originY: d.boundingBox.originY, width: d.boundingBox.width, height: d.boundingBox.height, score: r6(d.categories[0].score) } : null;

async function camera() {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
  const video = document.createElement("video");
  video.muted = true;
  video.playsInline = true;
  video.srcObject = stream;
  await video.play();
  while (video.videoWidth === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  return video;
}
async function nextFrame(video) {
  await new Promise((resolve) => video.requestVideoFrameCallback(() => resolve()));
}

window.deriveResult = (async () => {
  const manifest = await (await fetch("/vision/manifest.json")).json();
  const fileset = await FilesetResolver.forVisionTasks(manifest.runtime.baseUrl.replace(/\/$/, ""));
  const assetUrl = (name) => manifest.assets.find((asset) => asset.name === name).url;
  const make = (Task, name, runningMode, extra) => Task.createFromOptions(fileset, {
    baseOptions: { modelAssetPath: assetUrl(name), delegate: "CPU" }, runningMode, ...extra,
  });
  const out = {};

  if (withImage) {
    const messi = await loadImage("/fixtures/messi5.jpg");
    const pose = await make(PoseLandmarker, "pose_lite", "IMAGE", { numPoses: 1 });
    const poseFound = pose.detect(messi);
    out.imagePose = { width: messi.naturalWidth, height: messi.naturalHeight, poses: poseFound.landmarks.length, landmarks: landmarks(poseFound.landmarks[0]) };
    pose.close();
    const hands = await make(HandLandmarker, "hand_lite", "IMAGE", { numHands: 2 });
    const handFound = hands.detect(messi);
    out.imageHand = { hands: handFound.landmarks.length, landmarks: landmarks(handFound.landmarks[0]), handedness: handFound.handedness[0]?.[0]?.categoryName ?? null };
    hands.close();
  }

  const video = await camera();
  out.video = { width: video.videoWidth, height: video.videoHeight };
  const pose = await make(PoseLandmarker, "pose_lite", "VIDEO", { numPoses: 1 });
  const hands = await make(HandLandmarker, "hand_lite", "VIDEO", { numHands: 2 });
  const faces = await make(FaceDetector, "face_short", "VIDEO", {});
  let last = 0;
  const stamp = () => { last = Math.max(last + 1, performance.now()); return last; };
  let poseFound, handFound, faceFound;
  for (let i = 0; i <= warmup; i++) {
    await nextFrame(video);
    poseFound = pose.detectForVideo(video, stamp());
    handFound = hands.detectForVideo(video, stamp());
    faceFound = faces.detectForVideo(video, stamp());
  }
  out.videoPose = { poses: poseFound.landmarks.length, landmarks: landmarks(poseFound.landmarks[0]) };
  out.videoHand = { hands: handFound.landmarks.length, landmarks: landmarks(handFound.landmarks[0]), handedness: handFound.handedness[0]?.[0]?.categoryName ?? null };
  out.videoFace = { faces: faceFound.detections.length, box: box(faceFound.detections[0]) };
  pose.close(); hands.close(); faces.close();
  return out;
})();
`;

const PAGE_HTML = `<!doctype html><meta charset="utf-8"><title>derive test targets</title>
<script type="module" src="/derive.mjs"></script>`;

function sendFile(res: ServerResponse, filePath: string, contentType: string): void {
  res.writeHead(200, { "Content-Type": contentType });
  createReadStream(filePath).pipe(res);
}

const visionHandler = createVisionAssetHandler({ dir: visionDir });
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  if (visionHandler(req, res)) return;
  const url = (req.url ?? "/").split("?")[0] ?? "/";
  if (url === "/") {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(PAGE_HTML);
  } else if (url === "/derive.mjs") {
    res.writeHead(200, { "Content-Type": "text/javascript; charset=utf-8" });
    res.end(PAGE_SCRIPT);
  } else if (url === "/tasks-vision/vision_bundle.mjs") {
    sendFile(res, tasksVisionBundle, "text/javascript; charset=utf-8");
  } else if (url === "/fixtures/messi5.jpg") {
    sendFile(res, path.join(fixturesDir, "messi5.jpg"), "image/jpeg");
  } else {
    res.writeHead(404).end();
  }
});

interface MeasuredLandmark {
  x: number;
  y: number;
  z: number;
  visibility: number | null;
}
interface PageResult {
  imagePose?: { width: number; height: number; poses: number; landmarks: MeasuredLandmark[] | null };
  imageHand?: { hands: number; landmarks: MeasuredLandmark[] | null; handedness: string | null };
  video: { width: number; height: number };
  videoPose: { poses: number; landmarks: MeasuredLandmark[] | null };
  videoHand: { hands: number; landmarks: MeasuredLandmark[] | null; handedness: string | null };
  videoFace: { faces: number; box: { originX: number; originY: number; width: number; height: number; score: number } | null };
}

/** One browser per fake camera: Chromium plays one camera file per process. */
async function runWithCamera(port: number, video: FakeVideoName, withImage: boolean): Promise<PageResult> {
  const fake = fakeVideo(video);
  const launched = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      `--use-file-for-fake-video-capture=${fake.path}`,
    ],
  });
  try {
    const page = await launched.newPage();
    page.on("pageerror", (error) => console.log(`[page exception] ${error.message}`));
    const origin = `http://127.0.0.1:${port}/`;
    // tasks-vision posts usage logs to Google on task creation; nothing may leave the machine.
    await page.route(
      (url) => !url.href.startsWith(origin),
      (route) => route.abort("blockedbyclient"),
    );
    await page.goto(`${origin}?image=${withImage ? 1 : 0}&warmup=${VIDEO_WARMUP_FRAMES}`);
    await page.waitForFunction(() => "deriveResult" in window);
    return (await page.evaluate(() => (window as unknown as { deriveResult: Promise<unknown> }).deriveResult)) as PageResult;
  } finally {
    await launched.close();
  }
}

function requireLandmarks(label: string, list: MeasuredLandmark[] | null | undefined, count: number): MeasuredLandmark[] {
  if (!list || list.length !== count) throw new Error(`${label}: expected ${count} landmarks, got ${list?.length ?? "none"}`);
  return list;
}

async function main(): Promise<void> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const messi = await runWithCamera(port, "messi5", true);
  const astronaut = await runWithCamera(port, "astronaut", false);
  server.close();

  const imagePose = requireLandmarks("image pose", messi.imagePose?.landmarks, 33);
  const videoPose = requireLandmarks("video pose", messi.videoPose.landmarks, 33);
  const messiVideo = fakeVideo("messi5");
  const astronautVideo = fakeVideo("astronaut");
  const measured = {
    note:
      "Raw tasks-vision output (normalised to the frame the model saw, UNMIRRORED camera view, anatomical left/right). " +
      "Written by scripts/derive-test-targets.ts; do not edit by hand.",
    tasksVisionVersion: TASKS_VISION_VERSION,
    delegate: "CPU",
    messi5Image: {
      source: "e2e/fixtures/messi5.jpg",
      width: messi.imagePose?.width ?? 0,
      height: messi.imagePose?.height ?? 0,
      pose: { model: "pose_landmarker_lite", mode: "IMAGE", landmarks: imagePose },
      hand: { model: "hand_landmarker_lite", mode: "IMAGE", handedness: messi.imageHand?.handedness ?? null, landmarks: messi.imageHand?.landmarks ?? null },
    },
    messi5Video: {
      source: "e2e fake camera messi5 (e2e/support/fakeVideo.ts): messi5.jpg letterboxed into 640x480",
      width: messi.video.width,
      height: messi.video.height,
      letterbox: messiVideo.transform,
      pose: { model: "pose_landmarker_lite", mode: "VIDEO", afterFrames: VIDEO_WARMUP_FRAMES, landmarks: videoPose },
      hand: { model: "hand_landmarker_lite", mode: "VIDEO", handedness: messi.videoHand.handedness, landmarks: messi.videoHand.landmarks },
      face: { model: "face_detector_short_range", mode: "VIDEO", box: messi.videoFace.box },
    },
    astronautVideo: {
      source: "e2e fake camera astronaut (e2e/support/fakeVideo.ts): astronaut.png letterboxed into 640x480",
      width: astronaut.video.width,
      height: astronaut.video.height,
      letterbox: astronautVideo.transform,
      face: { model: "face_detector_short_range", mode: "VIDEO", box: astronaut.videoFace.box },
    },
  };

  const brief = (list: MeasuredLandmark[], index: number): string => {
    const p = list[index];
    return p ? `(${p.x.toFixed(4)}, ${p.y.toFixed(4)}) vis ${p.visibility?.toFixed(3) ?? "-"}` : "missing";
  };
  console.log(`messi5.jpg IMAGE pose: nose ${brief(imagePose, 0)}, left wrist 15 ${brief(imagePose, 15)}, right wrist 16 ${brief(imagePose, 16)}`);
  console.log(`fake camera VIDEO pose: nose ${brief(videoPose, 0)}, left wrist 15 ${brief(videoPose, 15)}, right wrist 16 ${brief(videoPose, 16)}`);
  console.log(`hand: image ${messi.imageHand?.hands ?? 0} (${messi.imageHand?.handedness}), video ${messi.videoHand.hands} (${messi.videoHand.handedness})`);
  console.log(`faces: messi5 video ${JSON.stringify(messi.videoFace.box)}, astronaut video ${JSON.stringify(astronaut.videoFace.box)}`);

  if (process.argv.includes("--write")) {
    // One landmark per line: the file stays reviewable.
    const text = JSON.stringify(measured, null, 2).replace(/\{\s+("x": [^{}]*?)\s+\}/g, (_, body: string) => `{ ${body.replace(/\s*\n\s*/g, " ")} }`);
    writeFileSync(measuredPath, text + "\n");
    // Regenerate only the test-only targets; the hand-made library stays as it is.
    const poses = JSON.parse(readFileSync(posesPath, "utf8")) as { targets: { id: string; testOnly?: boolean; points: object }[] } & Record<string, unknown>;
    const screen = rawToScreenTargetPoints(
      imagePose.map(({ x, y, z, visibility }) => (visibility === null ? { x, y, z } : { x, y, z, visibility })),
      measured.messi5Image.width,
      measured.messi5Image.height,
    );
    const source = {
      image: "e2e/fixtures/messi5.jpg",
      model: "pose_landmarker_lite",
      tasksVision: TASKS_VISION_VERSION,
      mode: "IMAGE",
      script: "scripts/derive-test-targets.ts",
    };
    const messiTarget = {
      id: "test-messi5",
      name: { ko: "메시 (테스트)", en: "Messi (test)" },
      difficulty: "easy",
      testOnly: true,
      source,
      points: screen,
    };
    // The same pose, nudged by a few thousandths: a second distinct target for two-round tests.
    const altTarget = {
      ...messiTarget,
      id: "test-messi5-alt",
      name: { ko: "메시 2 (테스트)", en: "Messi again (test)" },
      source: { ...source, derivedFrom: "test-messi5, every point moved by (+0.004, -0.003)" },
      points: Object.fromEntries(Object.entries(screen).map(([key, p]) => [key, { ...p, x: round4(p.x + 0.004), y: round4(p.y - 0.003) }])),
    };
    poses.targets = [...poses.targets.filter((target) => !target.testOnly), messiTarget, altTarget];
    writeFileSync(posesPath, formatPosesJson(poses));
    console.log(`wrote ${path.relative(projectRoot, measuredPath)} and the test targets in ${path.relative(projectRoot, posesPath)}`);
  }
}

function round4(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}

main().catch((error: unknown) => {
  console.error(`derive failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
  server.close();
});
