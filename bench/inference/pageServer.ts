/**
 * A tiny loopback HTTP server for the inference bench page: the page and worker bundles
 * (esbuild, in memory), and the app's real vision asset handler for /vision/ (same files, same
 * headers, same precompressed bodies as production).
 */
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { build } from "esbuild";
import { createVisionAssetHandler } from "../../server/http/visionAssets";
import { REPO_ROOT } from "../lib/proc";

const HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>PoseParty inference bench</title>
<style>body{margin:0;background:#111} .stage{position:relative;width:640px;height:480px}
video,canvas{position:absolute;inset:0;width:640px;height:480px}</style></head>
<body><div class="stage"><video id="camera" muted playsinline autoplay></video><canvas id="overlay" width="640" height="480"></canvas></div>
<script type="module" src="/bench/page.js"></script></body></html>`;

async function bundle(entry: string, format: "esm" | "iife"): Promise<string> {
  const result = await build({
    entryPoints: [path.join(REPO_ROOT, entry)],
    bundle: true,
    write: false,
    format,
    platform: "browser",
    target: "es2022",
    minify: false,
    sourcemap: false,
    logLevel: "error",
    tsconfig: path.join(REPO_ROOT, "tsconfig.json"),
    define: { "process.env.NODE_ENV": '"production"' },
  });
  return result.outputFiles[0]!.text;
}

export interface PageServer {
  url: string;
  close(): Promise<void>;
}

export async function startPageServer(): Promise<PageServer> {
  const [pageJs, workerJs] = await Promise.all([bundle("bench/inference/page.ts", "esm"), bundle("bench/inference/worker.ts", "iife")]);
  const vision = createVisionAssetHandler({ dir: path.join(REPO_ROOT, "public/vision") });
  const still = await readFile(path.join(REPO_ROOT, "public/warmup/still.jpg"));
  const server: Server = createServer((req, res) => {
    if (vision(req, res)) return;
    const pathname = (req.url ?? "/").split("?")[0];
    const send = (type: string, body: string | Buffer) => {
      res.writeHead(200, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    if (pathname === "/") return send("text/html; charset=utf-8", HTML);
    if (pathname === "/bench/page.js") return send("text/javascript; charset=utf-8", pageJs);
    // Cacheable like the vision files, so the prefetch keeps it out of the cold timing.
    if (pathname === "/bench/worker.js") {
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=3600" });
      return res.end(workerJs);
    }
    if (pathname === "/warmup/still.jpg") return send("image/jpeg", still);
    if (pathname === "/favicon.ico") {
      res.writeHead(204);
      return res.end();
    }
    res.writeHead(404);
    res.end("not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
