/**
 * Page weight: first-load JavaScript of the home, room and history pages, two ways.
 * - build: from the Next.js build manifests, the chunks each route's HTML loads before it runs
 *   (root main files + the route's entry chunks), each gzipped here (level 6, as Next serves).
 * - browser: a fresh Chromium context opens the page; Resource Timing sums the JavaScript that
 *   actually crossed the wire (encoded, as the server sent it) until the page settled.
 * Both scan for the vision runtime and models: no model or runtime byte may be among them.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import vm from "node:vm";
import { gzipSync } from "node:zlib";
import { chromium } from "@playwright/test";
import { io } from "socket.io-client";
import { CHROMIUM_ARGS, PHONE_VIEWPORT, chromiumExecutablePath } from "../../e2e/support/chromium";
import { REPO_ROOT, sleep } from "../lib/proc";

export interface PagesOptions {
  smoke: boolean;
  /** After load, how long lazily loaded chunks are still counted. */
  settleMs: number;
  log: (line: string) => void;
}

export function pagesOptions(smoke: boolean, log: (line: string) => void): PagesOptions {
  return { smoke, settleMs: smoke ? 1_000 : 3_000, log };
}

/**
 * What only the vision runtime, the tasks library or references to model files contain. (Target
 * metadata such as `model: "hand_landmarker_lite"` is a name, not model bytes: not matched.)
 */
const VISION_MARKERS: { name: string; pattern: RegExp }[] = [
  { name: "vision_wasm_internal", pattern: /vision_wasm_internal/ },
  { name: "@mediapipe/tasks-vision", pattern: /@mediapipe\/tasks-vision/ },
  { name: "tasks-vision ModuleFactory", pattern: /ModuleFactory/ },
  { name: "tasks-vision createFromOptions", pattern: /createFromOptions/ },
  { name: ".tflite file", pattern: /\.tflite\b/ },
  { name: ".task file", pattern: /\.[0-9a-f]{8}\.task\b/ },
  { name: "/vision/wasm-", pattern: /\/vision\/wasm-/ },
];
const markersIn = (text: string): string[] => VISION_MARKERS.filter((marker) => marker.pattern.test(text)).map((marker) => marker.name);
const VISION_URL = /\/vision\/|\.wasm(\?|$)|\.tflite(\?|$)|\.task(\?|$)/;

export interface RouteWeight {
  route: string;
  /** From the build manifests. */
  build: { files: number; rawBytes: number; gzipBytes: number; visionMarkers: string[] } | null;
  /** From a real page load. */
  browser: {
    url: string;
    scripts: number;
    wireBytes: number;
    decodedBytes: number;
    requests: number;
    visionRequests: string[];
    visionMarkers: string[];
  } | null;
  error?: string;
}

export interface PagesSectionData {
  buildId: string;
  routes: RouteWeight[];
  /** Shared by every route (framework + runtime), included in each route's number. */
  sharedGzipBytes: number;
  /** nomodule polyfills: modern browsers skip them, not counted. */
  polyfillGzipBytes: number;
  noVisionBytes: boolean;
  /**
   * Build chunks that do contain vision code (the lobby's lazily loaded preloader): proof that
   * the scan finds it where it is. Empty would mean the markers no longer match anything.
   */
  visionChunks: { file: string; gzipBytes: number }[];
}

const ROUTES: { route: string; page: string | null; join?: true }[] = [
  { route: "/", page: "page" },
  { route: "/r/[code]", page: "r/[code]/page" },
  { route: "/history", page: "history/page" },
  // Not a first load: everything the room page has loaded once joined and chatting (camera, call).
  { route: "/r/[code] joined, chatting", page: null, join: true },
];

interface FileWeight {
  rawBytes: number;
  gzipBytes: number;
  markers: string[];
}

const fileCache = new Map<string, FileWeight>();
function weigh(relative: string): FileWeight {
  const cached = fileCache.get(relative);
  if (cached) return cached;
  const bytes = readFileSync(path.join(REPO_ROOT, ".next", relative));
  const text = bytes.toString("utf8");
  const weight = { rawBytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 6 }).length, markers: markersIn(text) };
  fileCache.set(relative, weight);
  return weight;
}

function routeEntryFiles(page: string): string[] {
  const file = path.join(REPO_ROOT, ".next/server/app", `${page}_client-reference-manifest.js`);
  const sandbox: { globalThis?: unknown; __RSC_MANIFEST?: Record<string, { entryJSFiles?: Record<string, string[]> }> } = {};
  sandbox.globalThis = sandbox;
  vm.runInNewContext(readFileSync(file, "utf8"), sandbox);
  const manifest = sandbox.__RSC_MANIFEST?.[`/${page}`];
  if (!manifest?.entryJSFiles) throw new Error(`${file}: no entryJSFiles (Next.js manifest format changed?)`);
  return [...new Set(Object.values(manifest.entryJSFiles).flat())];
}

export async function runPagesSection(options: PagesOptions, appUrl: string | null): Promise<PagesSectionData> {
  const buildManifest = JSON.parse(readFileSync(path.join(REPO_ROOT, ".next/build-manifest.json"), "utf8")) as {
    rootMainFiles: string[];
    polyfillFiles: string[];
  };
  const buildId = readFileSync(path.join(REPO_ROOT, ".next/BUILD_ID"), "utf8").trim();
  const shared = buildManifest.rootMainFiles;
  const routes: RouteWeight[] = ROUTES.map(({ route, page }) => {
    if (page === null) return { route, build: null, browser: null };
    try {
      const files = [...new Set([...shared, ...routeEntryFiles(page)])].filter((file) => file.endsWith(".js"));
      const weights = files.map(weigh);
      return {
        route,
        build: {
          files: files.length,
          rawBytes: weights.reduce((sum, weight) => sum + weight.rawBytes, 0),
          gzipBytes: weights.reduce((sum, weight) => sum + weight.gzipBytes, 0),
          visionMarkers: [...new Set(weights.flatMap((weight) => weight.markers))],
        },
        browser: null,
      };
    } catch (error) {
      return { route, build: null, browser: null, error: error instanceof Error ? error.message : String(error) };
    }
  });

  if (appUrl) {
    // The room page for a room that exists: created over Socket.IO, opened fresh (the join form).
    const socket = io(appUrl, { transports: ["websocket"], reconnection: false, forceNew: true });
    const code = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("room:create timed out")), 15_000);
      socket.emit("room:create", { nickname: "Bench" }, (answer: { ok: boolean; room?: { code: string }; code?: string }) => {
        clearTimeout(timer);
        if (answer.ok && answer.room) resolve(answer.room.code);
        else reject(new Error(`room:create: ${answer.code}`));
      });
    });
    const browser = await chromium.launch({ executablePath: chromiumExecutablePath(), headless: true, args: [...CHROMIUM_ARGS] });
    try {
      for (const [index, weight] of routes.entries()) {
        const join = ROUTES[index]?.join === true;
        const url = `${appUrl}${weight.route.startsWith("/r/[code]") ? `/r/${code}` : weight.route}`;
        const context = await browser.newContext({ viewport: PHONE_VIEWPORT });
        try {
          await context.grantPermissions(["camera", "microphone"], { origin: appUrl });
          const page = await context.newPage();
          const requests: string[] = [];
          const scriptBodies: Promise<string>[] = [];
          page.on("request", (request) => requests.push(request.url()));
          page.on("response", (response) => {
            if (response.request().resourceType() === "script") scriptBodies.push(response.text().catch(() => ""));
          });
          await page.goto(url, { waitUntil: "load" });
          await page.waitForLoadState("networkidle").catch(() => undefined);
          if (join) {
            await page.getByTestId("nickname-input").fill("Visitor");
            await page.getByTestId("join-submit").click();
            await page.getByTestId("member-list").waitFor({ timeout: 60_000 });
            // The own camera playing (whichever component shows it); a page without one still counts.
            await page
              .waitForFunction(() => [...document.querySelectorAll("video")].some((video) => video.readyState >= 2), undefined, { timeout: 30_000 })
              .catch(() => undefined);
          }
          await sleep(options.settleMs);
          const timing = await page.evaluate(() =>
            performance
              .getEntriesByType("resource")
              .map((entry) => entry as PerformanceResourceTiming)
              .filter((entry) => entry.initiatorType === "script" || /\.m?js(\?|$)/.test(entry.name))
              .map((entry) => ({ name: entry.name, encoded: entry.encodedBodySize, decoded: entry.decodedBodySize })),
          );
          const bodies = await Promise.all(scriptBodies);
          weight.browser = {
            url: url.replace(appUrl, ""),
            scripts: timing.length,
            wireBytes: timing.reduce((sum, entry) => sum + entry.encoded, 0),
            decodedBytes: timing.reduce((sum, entry) => sum + entry.decoded, 0),
            requests: requests.length,
            visionRequests: requests.filter((request) => VISION_URL.test(new URL(request).pathname)),
            visionMarkers: [...new Set(bodies.flatMap(markersIn))],
          };
        } catch (error) {
          weight.error = error instanceof Error ? error.message : String(error);
        } finally {
          await context.close();
        }
      }
    } finally {
      socket.close();
      await browser.close();
    }
  }
  for (const weight of routes) {
    options.log(
      `pages ${weight.route}: build ${weight.build ? `${(weight.build.gzipBytes / 1024).toFixed(1)} KiB gz` : "?"}, ` +
        `browser ${weight.browser ? `${(weight.browser.wireBytes / 1024).toFixed(1)} KiB on the wire` : "-"}${weight.error ? ` (${weight.error})` : ""}`,
    );
  }
  const noVisionBytes = routes.every(
    (weight) =>
      (weight.build?.visionMarkers.length ?? 0) === 0 &&
      (weight.browser?.visionMarkers.length ?? 0) === 0 &&
      (weight.browser?.visionRequests.length ?? 0) === 0,
  );
  const chunkDir = path.join(REPO_ROOT, ".next/static/chunks");
  const visionChunks = readdirSync(chunkDir)
    .filter((file) => file.endsWith(".js"))
    .map((file) => `static/chunks/${file}`)
    .filter((file) => weigh(file).markers.length > 0)
    .map((file) => ({ file, gzipBytes: weigh(file).gzipBytes }));
  return {
    buildId,
    visionChunks,
    routes,
    sharedGzipBytes: shared.filter((file) => file.endsWith(".js")).reduce((sum, file) => sum + weigh(file).gzipBytes, 0),
    polyfillGzipBytes: buildManifest.polyfillFiles.reduce((sum, file) => sum + weigh(file).gzipBytes, 0),
    noVisionBytes,
  };
}
