/** The bench report: JSON shape and its markdown summary. */
import type { InferenceSectionData } from "../inference/section";
import type { LobbySectionData } from "../lobby/section";
import type { PagesSectionData } from "../pages/section";
import type { CapacityRun, ServerSectionData } from "../server/section";
import type { BuildInfo } from "./appServer";

export type SectionName = "pages" | "inference" | "lobby" | "server";
export const SECTION_NAMES: readonly SectionName[] = ["pages", "inference", "lobby", "server"];

export interface SectionResult<T> {
  status: "ok" | "failed" | "skipped";
  durationMs: number;
  /** 1-minute load average at the start and end of the section (2 cores: above ~2 means others were busy too). */
  loadAverage: [number, number];
  error?: string;
  data?: T;
}

export interface BenchReport {
  version: 1;
  mode: "full" | "smoke";
  startedAt: string;
  durationMs: number;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string; chromium: string | null; gitCommit: string | null };
  build: BuildInfo | null;
  sections: {
    pages?: SectionResult<PagesSectionData>;
    inference?: SectionResult<InferenceSectionData>;
    lobby?: SectionResult<LobbySectionData>;
    server?: SectionResult<ServerSectionData>;
  };
}

const num = (value: number | null | undefined, digits = 1): string =>
  value === null || value === undefined || !Number.isFinite(value) ? "–" : value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
const kib = (bytes: number | null | undefined): string => (bytes === null || bytes === undefined ? "–" : `${num(bytes / 1024, 1)} KiB`);
const mib = (bytes: number | null | undefined): string => (bytes === null || bytes === undefined ? "–" : `${num(bytes / 2 ** 20, 2)} MiB`);
const ms = (value: number | null | undefined, digits = 0): string => (value === null || value === undefined || !Number.isFinite(value) ? "–" : `${num(value, digits)} ms`);

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

function sectionHeader(title: string, result: SectionResult<unknown> | undefined): string[] {
  if (!result) return [];
  const out = [`## ${title}`, ""];
  const busy = Math.max(...result.loadAverage) > 3 ? " — **the machine was busy with other work: treat these numbers as noisy**" : "";
  out.push(`_${result.status}, ${num(result.durationMs / 1000, 0)} s, load average ${result.loadAverage.join(" → ")}${busy}_`, "");
  if (result.error) out.push(`**Failed:** ${result.error.split("\n")[0]}`, "");
  return out;
}

function inferenceMarkdown(data: InferenceSectionData): string[] {
  const out: string[] = [];
  out.push(
    `Headless Chromium (${data.userAgent?.match(/HeadlessChrome\/[\d.]+/)?.[0] ?? "?"}), fake camera ${data.camera.width}x${data.camera.height} @ ${data.camera.fps} fps (${data.camera.video}), ${data.model}, delegate ${data.delegate}. ` +
      `Steady state over ${num(data.steadyMs / 1000, 0)} s after the lobby-style warm-up; first-result times are the median of ${data.repetitions} fresh browser contexts.`,
    "",
  );
  const rows = data.variants.map((variant) => {
    const steady = variant.steady;
    if (variant.error) return [variant.variant, `failed: ${variant.error.slice(0, 80)}`, "", "", "", "", "", "", "", ""];
    return [
      variant.variant,
      num(steady?.loopFps),
      num(steady?.resultsPerSecond),
      num(steady?.rafFps),
      steady ? `${num(steady.inferenceMs.mean)} / ${num(steady.inferenceMs.p50)} / ${num(steady.inferenceMs.p95)}` : "–",
      steady ? num(steady.frameToResultMs.mean) : "–",
      ms(variant.coldFirstResultMs),
      ms(variant.warmFirstResultMs),
      steady ? `${ms(steady.longTaskMs)} (${steady.longTaskCount})` : "–",
      steady ? `${num(steady.poseFoundShare * 100, 0)} %` : "–",
    ];
  });
  for (const [variant, ratio] of Object.entries(data.ratios)) {
    rows.push([
      `_${variant} / main_`,
      num(ratio.loopFps, 2),
      num(ratio.resultsPerSecond, 2),
      "",
      num(ratio.inferenceMean, 2),
      "",
      num(ratio.coldFirstResult, 2),
      num(ratio.warmFirstResult, 2),
      "",
      "",
    ]);
  }
  const ref = data.reference;
  rows.push([`_published: main_`, num(ref.main.fps, 2), "", "", num(ref.main.inferenceMs, 2), "", ms(ref.main.firstRenderMs), "", "", ""]);
  rows.push([`_published: worker_`, num(ref.worker.fps, 2), "", "", num(ref.worker.inferenceMs, 2), "", ms(ref.worker.firstRenderMs), "", "", ""]);
  rows.push([
    `_published: worker / main_`,
    num(ref.worker.fps / ref.main.fps, 2),
    "",
    "",
    num(ref.worker.inferenceMs / ref.main.inferenceMs, 2),
    "",
    num(ref.worker.firstRenderMs / ref.main.firstRenderMs, 2),
    "",
    "",
    "",
  ]);
  out.push(
    table(
      ["variant", "loop FPS", "results/s", "page rAF FPS", "inference mean / p50 / p95 ms", "frame→drawn ms", "first result cold", "first result warm", "main-thread long tasks", "pose found"],
      rows,
    ),
    "",
  );
  const main = data.variants.find((variant) => variant.variant === "main");
  if (main?.lobby) {
    out.push(
      `Main-thread warm runs were warmed by the real lobby preload (\`preloadVision\`): ready in ${ms(main.lobby.timeToReadyMs)}, create ${ms(main.lobby.createMs)}, warm-up detection ${ms(main.lobby.warmupMs)}, long tasks ${ms(main.lobby.longTaskMs)}. ` +
        `Cold = fresh context, runtime and model already in the HTTP cache/memory: create + first detection + draw.`,
      "",
    );
  }
  return out;
}

function lobbyMarkdown(data: LobbySectionData): string[] {
  const out: string[] = [];
  const names = data.players.map((player) => player.name);
  out.push(`${data.players.length} players on loopback (${data.players.map((player) => `${player.name}: ${player.video}`).join(", ")}), test playlist \`${data.playlist}\`.`, "");
  out.push(
    table(
      ["asset", "bytes", "on the wire", "download", "create", "warm-up"],
      data.assets.map((asset) => [
        asset.key,
        mib(asset.bytes),
        asset.wireBytes.map((value) => mib(value)).join(" / "),
        asset.downloadMs.map((value) => ms(value)).join(" / "),
        asset.createMs.map((value) => ms(value)).join(" / "),
        asset.warmupMs.map((value) => ms(value)).join(" / "),
      ]),
    ),
    "",
    `Per-player columns are in player order (${names.join(" / ")}).`,
    "",
  );
  out.push(
    table(
      ["player", "preload ready", "long tasks during the lobby", "warm-up frame", "sha256 on", "WASM SIMD"],
      data.players.map((player) => [player.name, ms(player.timeToReadyMs), `${ms(player.longTaskMs)} (${player.longTaskCount ?? "–"})`, player.warmupSource ?? "–", player.sha256Thread ?? "–", String(player.wasmSimd ?? "–")]),
    ),
    "",
  );
  out.push(
    `**Start → all ready (host's view): ${ms(data.startToAllReadyMs)}**; Start → playing: ${ms(data.startToPlayingMs)} (includes the server's 800 ms pause on full bars).`,
    "",
  );
  const call = data.call;
  out.push(
    `Call, remote frames decoded per second (mean over ${call.tiles} remote tiles): chatting ${num(call.chattingFps)}, during the lobby ${num(call.lobbyFps)}, worst 1-second window in the lobby ${num(call.lobbyMinFps)}.${call.note ? ` (${call.note})` : ""}`,
    "",
  );
  return out;
}

function capacityRows(run: CapacityRun): string[][] {
  return run.steps.map((step) => [
    run.target,
    String(step.rooms),
    String(step.players),
    num(step.offeredEventsPerSecond, 0),
    `${num(step.latencyMs.p50)} / ${num(step.latencyMs.p95)} / ${num(step.latencyMs.p99)}`,
    step.ackMs ? num(step.ackMs.p99) : "–",
    step.deliveredFraction === null ? "–" : `${num(step.deliveredFraction * 100, 1)} %`,
    step.serverCpuPercent === null ? "–" : `${step.serverCpuPercent} %`,
    step.serverRssMiB === null ? "–" : `${step.serverRssMiB} MiB`,
    `${step.generatorCpuPercent.map((cpu) => `${cpu}`).join("+")} % / ${num(step.generatorLoopDelayP99Ms)} ms`,
    step.verdict + (step.passStrict === undefined ? "" : step.passStrict ? " (strict: pass)" : " (strict: fail)"),
  ]);
}

function serverMarkdown(data: ServerSectionData): string[] {
  const out: string[] = [];
  out.push(
    `${data.generators} generator processes (socket.io-client, websocket transport) on the same machine; rooms of 4, each player sends 10 \`game:score\` a second; latency is measured at the 3 other players of the room, ` +
      `${num(data.measureMs / 1000, 0)} s window per step (game: in round 1 of a ${data.secondsPerRound} s round). ` +
      `The game server coalesces scoreboards to one per room every ${data.scoreboardIntervalMs} ms, so its latency includes up to ${data.scoreboardIntervalMs} ms of deliberate wait: ` +
      `its ladder runs to p99 ≤ ${data.game.p99LimitMs} ms (50 ms + the interval); "strict" applies the plain 50 ms rule.`,
    "",
  );
  out.push(
    table(
      ["target", "rooms", "players", "events/s in", "latency p50 / p95 / p99 ms", "ack p99 ms", "delivered", "server CPU", "server RSS", "generators CPU / loop p99", "verdict"],
      [...capacityRows(data.game), ...capacityRows(data.relay)],
    ),
    "",
  );
  const capacity = (value: number | null | undefined) => (value === null || value === undefined ? "none of the steps" : `${value} players`);
  out.push(
    `**Capacity: game server ${capacity(data.game.capacityPlayers)} (p99 ≤ ${data.game.p99LimitMs} ms, no errors), strict 50 ms rule ${capacity(data.game.capacityPlayersStrict)}; ` +
      `bare relay ${capacity(data.relay.capacityPlayers)}; ratio game / relay ${num(data.capacityRatio, 2)} (strict ${num(data.capacityRatioStrict, 2)}).**`,
    "",
    `Stopped: game — ${data.game.stoppedBecause}; relay — ${data.relay.stoppedBecause}. Idle RSS: game server ${data.game.idleRssMiB ?? "–"} MiB (includes the embedded PGlite database), relay ${data.relay.idleRssMiB ?? "–"} MiB.`,
    "",
    `Reference (${data.reference.note}): ${Object.entries(data.reference.relayP99ByPlayers).map(([players, p99]) => `${players} players p99 ${p99} ms`).join(", ")}.`,
    "",
  );
  return out;
}

function pagesMarkdown(data: PagesSectionData): string[] {
  const out: string[] = [];
  out.push(
    table(
      ["route", "first-load JS, build (gzip)", "files", "JS on the wire, browser", "scripts", "vision bytes?"],
      data.routes.map((route) => {
        const markers = [...new Set([...(route.build?.visionMarkers ?? []), ...(route.browser?.visionMarkers ?? []), ...(route.browser?.visionRequests ?? [])])];
        return [
          route.route,
          route.build ? `${kib(route.build.gzipBytes)} (${kib(route.build.rawBytes)} raw)` : "–",
          route.build ? String(route.build.files) : "–",
          route.browser ? `${kib(route.browser.wireBytes)} (${kib(route.browser.decodedBytes)} decoded)` : route.error ? `failed: ${route.error.slice(0, 60)}` : "–",
          route.browser ? String(route.browser.scripts) : "–",
          markers.length ? `**yes: ${markers.join(", ")}**` : "none",
        ];
      }),
    ),
    "",
    `Build: the route's root main files + entry chunks from the Next.js manifests (build ${data.buildId}), each gzipped at level 6; ${kib(data.sharedGzipBytes)} of it is shared by every route; nomodule polyfills (${kib(data.polyfillGzipBytes)}) not counted. ` +
      `Browser: Resource Timing in a fresh phone-sized context, every script until the page settled (includes chunks loaded lazily without interaction). ` +
      `**No vision runtime or model bytes in any first load: ${data.noVisionBytes ? "confirmed" : "NO — see the table"}.** ` +
      (data.visionChunks.length > 0
        ? `(The same scan finds vision code in ${data.visionChunks.length} chunk(s) of the build, outside these first loads: ${data.visionChunks.map((chunk) => `${chunk.file.replace("static/chunks/", "")} ${kib(chunk.gzipBytes)} gz`).join(", ")}.)`
        : "(Warning: no chunk of the build matched the vision markers at all, so the scan proves little: check the markers.)"),
    "",
  );
  return out;
}

export function toMarkdown(report: BenchReport): string {
  const out: string[] = [];
  const m = report.machine;
  out.push(
    `# PoseParty benchmarks (${report.mode})`,
    "",
    `${report.startedAt} · ${num(report.durationMs / 1000, 0)} s · ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB · Node ${m.node} · ${m.chromium ?? "Chromium ?"} · commit ${m.gitCommit ?? "?"}` +
      (report.build ? ` · Next build ${report.build.buildId}${report.build.built ? ` (built in ${num((report.build.buildMs ?? 0) / 1000, 0)} s)` : " (reused)"}` : ""),
    "",
    report.mode === "smoke" ? "_Smoke mode: tiny sizes to keep the harness working; the numbers are not meaningful._\n" : "",
  );
  const s = report.sections;
  if (s.inference) out.push(...sectionHeader("Inference", s.inference), ...(s.inference.data ? inferenceMarkdown(s.inference.data) : []));
  if (s.lobby) out.push(...sectionHeader("Lobby", s.lobby), ...(s.lobby.data ? lobbyMarkdown(s.lobby.data) : []));
  if (s.server) out.push(...sectionHeader("Server capacity", s.server), ...(s.server.data ? serverMarkdown(s.server.data) : []));
  if (s.pages) out.push(...sectionHeader("Page weight", s.pages), ...(s.pages.data ? pagesMarkdown(s.pages.data) : []));
  return out.filter((line, index, all) => !(line === "" && all[index - 1] === "")).join("\n") + "\n";
}
