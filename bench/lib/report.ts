/** The bench report: JSON shape and its markdown summary. */
import { plansMarkdown } from "../inference/plans/report";
import type { InferenceSectionData } from "../inference/section";
import type { LobbySectionData } from "../lobby/section";
import type { NetworkSectionData } from "../network/section";
import type { PagesSectionData } from "../pages/section";
import type { AppIdleCase, AppIdleData } from "../server/appIdle";
import type { IdleCase, IdleStart } from "../server/idle";
import {
  GAME_VARIANTS,
  GAME_VARIANT_ROOM_SIZE,
  type CapacityRun,
  type ComparisonData,
  type ComparisonRun,
  type ComparisonTarget,
  type ServerSectionData,
} from "../server/section";
import type { BuildInfo } from "./appServer";
import { round } from "./stats";

export type SectionName = "pages" | "inference" | "lobby" | "server" | "network";
export const SECTION_NAMES: readonly SectionName[] = ["pages", "inference", "lobby", "server", "network"];

export interface SectionResult<T> {
  status: "ok" | "failed" | "skipped";
  durationMs: number;
  /** 1-minute load average at the start and end of the section (a trailing average: it includes the previous section's work). */
  loadAverage: [number, number];
  /** Whole-machine CPU busy % over 2 s just before the section (our own servers idle): anyone else's work. */
  cpuBusyBeforePercent: number | null;
  /** How long the section waited for the machine to quiet down (up to 60 s, smoke 10 s). */
  waitedForQuietMs: number;
  error?: string;
  data?: T;
}

export interface BenchReport {
  version: 1;
  mode: "full" | "smoke";
  startedAt: string;
  durationMs: number;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGiB: number;
    node: string;
    platform: string;
    chromium: string | null;
    gitCommit: string | null;
    gitDirty?: boolean;
  };
  build: BuildInfo | null;
  sections: {
    pages?: SectionResult<PagesSectionData>;
    inference?: SectionResult<InferenceSectionData>;
    lobby?: SectionResult<LobbySectionData>;
    server?: SectionResult<ServerSectionData>;
    network?: SectionResult<NetworkSectionData>;
  };
}

const num = (value: number | null | undefined, digits = 1): string =>
  value === null || value === undefined || !Number.isFinite(value)
    ? "–"
    : value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
const kib = (bytes: number | null | undefined): string => (bytes === null || bytes === undefined ? "–" : `${num(bytes / 1024, 1)} KiB`);
const mib = (bytes: number | null | undefined): string => (bytes === null || bytes === undefined ? "–" : `${num(bytes / 2 ** 20, 2)} MiB`);
const ms = (value: number | null | undefined, digits = 0): string =>
  value === null || value === undefined || !Number.isFinite(value) ? "–" : `${num(value, digits)} ms`;

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

function sectionHeader(title: string, result: SectionResult<unknown> | undefined): string[] {
  if (!result) return [];
  const out = [`## ${title}`, ""];
  const busy =
    (result.cpuBusyBeforePercent ?? 0) >= 25
      ? ` — **the machine was ${result.cpuBusyBeforePercent} % busy with other work when this section started: treat its numbers as noisy**`
      : "";
  out.push(
    `_${result.status}, ${num(result.durationMs / 1000, 0)} s; machine CPU busy before start ${result.cpuBusyBeforePercent ?? "?"} %, load average ${result.loadAverage.join(" → ")}${busy}_`,
    "",
  );
  if (result.error) out.push(`**Failed:** ${result.error.split("\n")[0]}`, "");
  return out;
}

function inferenceMarkdown(data: InferenceSectionData): string[] {
  const plans = data.plans
    ? plansMarkdown({ planCeilings: [], planProfiles: [], planGoals: [], planWindowMs: 0, planPlaylist: "messi-long", ...data, plans: data.plans })
    : [];
  if (data.plansError) plans.push(`**The plans part failed:** ${data.plansError.split("\n")[0]}`, "");
  if (data.variantsSkipped) return ["_Variants not measured (`--only inference.plans`)._", "", ...plans];
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
      [
        "variant",
        "loop FPS",
        "results/s",
        "page rAF FPS",
        "inference mean / p50 / p95 ms",
        "frame→drawn ms",
        "first result cold",
        "first result warm",
        "main-thread long tasks",
        "pose found",
      ],
      rows,
    ),
    "",
  );
  out.push(...inferenceNotes(data));
  const main = data.variants.find((variant) => variant.variant === "main");
  if (main?.lobby) {
    out.push(
      `Main-thread warm runs were warmed by the real lobby preload (\`preloadVision\`): ready in ${ms(main.lobby.timeToReadyMs)}, create ${ms(main.lobby.createMs)}, warm-up detection ${ms(main.lobby.warmupMs)}, long tasks ${ms(main.lobby.longTaskMs)}. ` +
        `Cold = fresh context, runtime and model already in the HTTP cache/memory: create + first detection + draw.`,
      "",
    );
  }
  out.push(...inputsMarkdown(data.inputs), ...plans);
  return out;
}

/** Where one detection's time goes, by input path (`inference.inputs`). */
function inputsMarkdown(inputs: InferenceSectionData["inputs"]): string[] {
  if (!inputs) return [];
  if ("error" in inputs) return [`**The input-path breakdown failed:** ${inputs.error.split("\n")[0]}`, ""];
  const rows = inputs.variants.map((variant) => [
    variant.variant,
    `${num(variant.detectMsP50)} / ${num(variant.detectMsP95)}`,
    num(variant.prepareMsP50),
    num(variant.copyMsP50),
    variant.landmarkShiftMean === null ? "–" : `${num(variant.landmarkShiftMean * 100, 2)} %`,
    `${variant.posesFound} / ${inputs.rounds}`,
  ]);
  const fit = inputs.fit;
  return [
    "### Where one detection's time goes (`inference.inputs`)",
    "",
    table(["input", "detect p50 / p95 ms", "preparing it, p50 ms", "copying landmarks, p50 ms", "landmark shift vs the video", "poses found"], rows),
    "",
    fit
      ? `Fit over the canvas sizes: **model ${num(fit.modelMs)} ms** + ${num(fit.conversionMsPerMegapixel)} ms per megapixel of upload and readback (${num(fit.conversionMsAt640x480)} ms for a 640x480 frame).`
      : "No fit (too few canvas sizes measured).",
    "",
  ];
}

/**
 * What the table shows, in words, from this run's numbers, and whether it agrees with the
 * published experiment. Plain facts: which way each ratio went and why the machine matters.
 */
function inferenceNotes(data: InferenceSectionData): string[] {
  const main = data.variants.find((variant) => variant.variant === "main" && variant.steady);
  const worker = data.variants.find((variant) => variant.variant !== "main" && variant.steady);
  const ratio = worker ? data.ratios[worker.variant] : undefined;
  if (!main?.steady || !worker?.steady || !ratio) return [];
  const m = main.steady;
  const w = worker.steady;
  const published = data.reference;
  const publishedFpsRatio = published.worker.fps / published.main.fps;
  const seconds = num(data.steadyMs / 1000, 0);
  const notes: string[] = [
    `**What this shows.** Main thread: each detection took ${ms(m.inferenceMs.mean)} on average and ran on the page's own thread, between its frames and its drawing, so the page ` +
      `drew ${num(m.rafFps)} frames a second with ${ms(m.longTaskMs)} of long tasks in the ${seconds} s window, and the loop took ${num(m.loopFps)} camera frames a second. ` +
      `${worker.variant}: a detection took ${ms(w.inferenceMs.mean)} in the worker (worker/main ${num(ratio.inferenceMean, 2)}), the page kept ${num(w.rafFps)} frames a second with ${ms(w.longTaskMs)} of long tasks, ` +
      `the loop saw ${num(w.loopFps)} camera frames a second and ${num(w.resultsPerSecond)} results a second were drawn (main: ${num(m.resultsPerSecond)}; worker/main ${num(ratio.resultsPerSecond, 2)}).`,
  ];
  const workerAhead = (ratio.loopFps ?? 0) > 1;
  const publishedWorkerAhead = publishedFpsRatio > 1;
  if (workerAhead !== publishedWorkerAhead) {
    notes.push(
      `**This differs from the published experiment**, where the worker was the slower one (FPS worker/main ${num(publishedFpsRatio, 2)}, inference ${num(published.worker.inferenceMs / published.main.inferenceMs, 2)}); here the worker/main loop FPS is ${num(ratio.loopFps, 2)}. ` +
        `There, main-thread inference took ${ms(published.main.inferenceMs, 2)}, so the main thread kept up with the camera and had time left, and a worker only added frame transfers and messages. ` +
        `Here it takes ${ms(m.inferenceMs.mean)}: the CPU delegate, no GPU, and 2 cores shared by the renderer, the worker and everything else. The main-thread variant is CPU-bound: it cannot take camera frames faster than it detects, and the rest of the page waits with it. ` +
        `A detection is not much cheaper in a worker (inference worker/main ${num(ratio.inferenceMean, 2)}, results/s worker/main ${num(ratio.resultsPerSecond, 2)}); what the worker changes is that the waiting happens off the page. ` +
        `Read the loop FPS ratio as page smoothness, not as faster inference.`,
    );
  } else {
    notes.push(
      `As in the published experiment, the worker's loop FPS is ${workerAhead ? "higher" : "lower"} than the main thread's (worker/main ${num(ratio.loopFps, 2)} here, ${num(publishedFpsRatio, 2)} published).`,
    );
  }
  return notes.flatMap((note) => [note, ""]);
}

function lobbyMarkdown(data: LobbySectionData): string[] {
  const out: string[] = [];
  const names = data.players.map((player) => player.name);
  out.push(
    `${data.players.length} players on loopback (${data.players.map((player) => `${player.name}: ${player.video}`).join(", ")}), test playlist \`${data.playlist}\`.`,
    "",
  );
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
      data.players.map((player) => [
        player.name,
        ms(player.timeToReadyMs),
        `${ms(player.longTaskMs)} (${player.longTaskCount ?? "–"})`,
        player.warmupSource ?? "–",
        player.sha256Thread ?? "–",
        String(player.wasmSimd ?? "–"),
      ]),
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
    step.meterBroadcastHz ? `${num(step.meterBroadcastHz.min)} / ${num(step.meterBroadcastHz.p50)}` : "–",
    step.meterRefreshHz ? `${num(step.meterRefreshHz.min)} / ${num(step.meterRefreshHz.p50)}` : "–",
    step.deliveredFraction === null ? "–" : `${num(step.deliveredFraction * 100, 1)} %`,
    step.serverCpuPercent === null ? "–" : `${step.serverCpuPercent} %`,
    step.serverCpuPerThousandEventsPerSecond === null ? "–" : `${num(step.serverCpuPerThousandEventsPerSecond)} %`,
    step.serverRssMiB === null ? "–" : `${step.serverRssMiB} MiB`,
    `${step.generatorCpuPercent.map((cpu) => `${cpu}`).join("+")} % / ${num(step.generatorLoopDelayP99Ms)} ms`,
    step.verdict + (step.firstAttempt ? ` — 2nd attempt; 1st: p99 ${num(step.firstAttempt.latencyMs.p99)} ms` : ""),
  ]);
}

/** The start-up log's phases, in the order they run. */
const APP_PHASES = ["modules", "config", "database", "next", "presence", "socket.io", "listen"];

function appIdleMarkdown(app: AppIdleData | null, error: string | undefined): string[] {
  if (!app) return error ? [`**Whole app idle failed:** ${error.split("\n")[0]}`, ""] : [];
  const mibOrDash = (value: number | null) => (value === null ? "–" : `${num(value)} MiB`);
  const rows = app.targets.flatMap((target) =>
    (["fresh", "existing"] as const).map((which) => {
      const run: AppIdleCase = target[which];
      return [
        `${target.label}, ${which === "fresh" ? "new" : "existing"} DATA_DIR`,
        `${num(run.idleRssMiB)} MiB`,
        `${num(run.pagesRssMiB)} MiB`,
        mibOrDash(run.afterGcRssMiB),
        ms(run.readyMs),
        ms(run.healthyMs),
        APP_PHASES.filter((phase) => phase in run.phasesMs)
          .map((phase) => `${phase} ${run.phasesMs[phase]}`)
          .join(", "),
        ms(run.cpuMs),
      ];
    }),
  );
  const launches = app.targets.map((target) => `${target.label}: \`${target.launch}\``).join("; ");
  return [
    "### Whole app idle (what `npm start` runs): start-up and memory",
    "",
    `${launches}; embedded database, new DATA_DIR then a restart on it. RSS 5 s after healthy ("idle"), 2 s after the home page and a room page were served once ("after pages"), then after forced full GCs. ` +
      `Ready: spawn to the "ready in" log line; healthy: spawn to the first 200 from /api/health; phases (ms) from the start-up log. Medians of ${app.targets[0]?.fresh.runs.length ?? 0} run(s). Goals: ≤ 200 MiB after pages, ready ≤ 2 s on an existing DATA_DIR.`,
    "",
    table(["case", "RSS idle", "after pages", "after GC", "ready", "healthy", "phases (ms)", "CPU to healthy"], rows),
    "",
  ];
}

function serverIdleMarkdown(data: ServerSectionData): string[] {
  const idle = data.idle;
  if (!idle) return data.idleError ? [`**Server idle failed:** ${data.idleError.split("\n")[0]}`, ""] : [];
  const row = (label: string, start: IdleStart | IdleCase) => [
    label,
    `${num(start.rssMiB)} MiB`,
    ms(start.startMs),
    ms(start.cpuMs),
    "runs" in start ? start.runs.map((run) => `${num(run.rssMiB)} MiB / ${ms(run.startMs)}`).join("; ") : `${num(start.afterFullGcRssMiB)} MiB after GC`,
  ];
  const rows = [row("**new DATA_DIR**", idle.fresh), row("**existing DATA_DIR**", idle.existing)];
  if (idle.tsx) rows.push(row("_same server under tsx, new_", idle.tsx.fresh), row("_same server under tsx, existing_", idle.tsx.existing));
  if (idle.relay) rows.push(row("_bare Socket.IO relay (bundled)_", idle.relay));
  return [
    ...appIdleMarkdown(idle.app, idle.appError),
    "### Game server only (no Next.js): start-up and memory",
    "",
    `\`${idle.launch}\` with the embedded database; RSS 1 s after ready (process and children), start = spawn to ready, CPU until ready. Medians of ${idle.fresh.runs.length} run(s). For reference: the goals are the whole app's (above).`,
    "",
    table(["case", "RSS", "start → ready", "CPU to ready", "runs (RSS / start) or after forced GC"], rows),
    "",
  ];
}

function idleMemoryLine(data: ServerSectionData & { game: CapacityRun; relay: CapacityRun }): string {
  const describe = (run: CapacityRun) => {
    const memory = run.idleMemory;
    if (!memory) return `${run.idleRssMiB ?? "–"} MiB`;
    const { atStart, afterFullGc } = memory;
    return (
      `${atStart.rss} MiB (V8 heap ${atStart.heapUsed} MiB, external ${atStart.external} MiB of which ArrayBuffers ${atStart.arrayBuffers} MiB); ` +
      `after forced full GCs ${afterFullGc.rss} MiB (external ${afterFullGc.external} MiB, ArrayBuffers ${afterFullGc.arrayBuffers} MiB)`
    );
  };
  return (
    `Idle memory, 1 s after start, before any load: game server ${describe(data.game)}; relay ${describe(data.relay)}. ` +
    `The difference is mostly the game server's embedded database, PGlite (PostgreSQL compiled to WebAssembly; its memory is in "external"). ` +
    `This server runs under tsx (the idle table above runs the bundle production runs). See bench/README.md, "Memory".`
  );
}

function serverMarkdown(section: ServerSectionData): string[] {
  const out: string[] = serverIdleMarkdown(section);
  const { game, relay } = section;
  if (!game || !relay) return [...out, ...comparisonSectionMarkdown(section)];
  const data = { ...section, game, relay };
  out.push(
    `${data.generators} generator processes (socket.io-client, websocket transport) on the same machine; rooms of 4, ${num(data.measureMs / 1000, 0)} s window per step. ` +
      `Game server (in round 1 of a ${data.secondsPerRound} s round): each player sends 10 live meter samples a second (\`game:meter\`, no ack) and one acked award; the room broadcasts its meters every 100 ms. ` +
      `A step passes with award acks p99 ≤ ${data.game.p99LimitMs} ms, every player's screen getting its room's broadcast of friends' meters at ≥ 8 Hz (the lowest screen counts) showing values p99 ≤ 200 ms old ("latency" below), and no errors. ` +
      `(Per friend pair, the meter's refresh is reported, not judged: 10 samples a second beat against the 10 Hz tick, so a pair whose samples reach the server near the tick's phase sees ~7.5 Hz on an idle server.) ` +
      `Bare relay: each player sends 10 \`score\` a second, re-broadcast at once; a step passes with p99 ≤ ${data.relay.p99LimitMs} ms at the 3 other players and no errors. ` +
      `A step that fails on latency alone is measured once more and the second attempt decides.`,
    "",
  );
  out.push(
    table(
      [
        "target",
        "rooms",
        "players",
        "events/s in",
        "latency (game: meter age) p50 / p95 / p99 ms",
        "award ack p99 ms",
        "meter broadcasts min / p50 Hz",
        "meter refresh per pair min / p50 Hz",
        "delivered",
        "server CPU",
        "CPU per 1k events/s",
        "server RSS",
        "generators CPU / loop p99",
        "verdict",
      ],
      [...capacityRows(data.game), ...capacityRows(data.relay)],
    ),
    "",
  );
  const capacity = (value: number | null | undefined) => (value === null || value === undefined ? "none of the steps" : `${value} players`);
  out.push(
    `**Capacity (each target's rule, no errors): game server ${capacity(data.game.capacityPlayers)}, bare relay ${capacity(data.relay.capacityPlayers)}; ratio game / relay ${num(data.capacityRatio, 2)}.**`,
    "",
    `Stopped: game — ${data.game.stoppedBecause}; relay — ${data.relay.stoppedBecause}.`,
    "",
    idleMemoryLine(data),
    "",
    `Reference (${data.reference.note}): ${Object.entries(data.reference.relayP99ByPlayers)
      .map(([players, p99]) => `${players} players p99 ${p99} ms`)
      .join(", ")}.`,
    "",
  );
  out.push(...comparisonSectionMarkdown(section));
  return out;
}

function comparisonSectionMarkdown(section: ServerSectionData): string[] {
  return [
    ...(section.comparison ? comparisonMarkdown(section.comparison) : []),
    ...(section.comparisonError ? [`**Comparison failed:** ${section.comparisonError.split("\n")[0]}`, ""] : []),
  ];
}

const TARGET_NAMES = {
  game: "PoseParty game server",
  colyseus: "Colyseus 0.18 room",
  relay: "bare Socket.IO relay",
  // The wire variants (section.ts, GAME_VARIANTS): what each changes against the game server's row.
  "game-no-bufferutil": "game server, ws without bufferutil (WS_NO_BUFFER_UTIL=1)",
  "game-msgpack": "game server, msgpack parser (server and clients)",
  "game-deflate": "game server, permessage-deflate on",
  "game-redis": "game server, 2 processes behind Redis, half of each room on the other (CPU: both)",
  "game-redis-owner": "game server, 2 processes behind Redis, every player on its room's owner (CPU: both)",
} as const satisfies Record<ComparisonTarget, string>;

/** One scale-out row against one process without Redis (the game server's own row at the same room size, same run). */
export interface ScaleOutCost {
  redis: ComparisonRun;
  single: ComparisonRun | null;
  /** CPU per event, both processes, over the single process's. */
  ratio: number | null;
  /** The same with redis-server's CPU added. */
  withRedisRatio: number | null;
}

/** Issue 22, part 3: what the Redis path costs per event (game-redis and game-redis-owner), and what crossed processes. */
export function scaleOutCosts(data: ComparisonData): ScaleOutCost[] {
  return data.runs
    .filter((run) => run.target === "game-redis" || run.target === "game-redis-owner")
    .map((redis) => {
      const single = data.runs.find((run) => run.target === "game" && run.playersPerRoom === redis.playersPerRoom) ?? null;
      const base = single?.cpuPerThousandEventsPerSecond ?? null;
      const servers = redis.cpuPerThousandEventsPerSecond;
      const redisOwn = redis.redisCpuPerThousandEventsPerSecond ?? null;
      return {
        redis,
        single,
        ratio: base && servers !== null ? round(servers / base, 2) : null,
        withRedisRatio: base && servers !== null && redisOwn !== null ? round((servers + redisOwn) / base, 2) : null,
      };
    });
}

function scaleOutMarkdown(data: ComparisonData): string[] {
  const costs = scaleOutCosts(data);
  if (costs.length === 0) return [];
  return [
    "**What scale-out costs**: two game server processes with `REDIS_URL` on one Redis, rooms owned by each in turn; both processes on the server's core, redis-server on the generators'. " +
      "game-redis puts half of every room's players on the other process (their events are forwarded to the owner, its broadcasts reach them through the adapter); game-redis-owner puts every player on its room's owner. " +
      "CPU per 1k events/s at each ladder's last passing step, both processes together, against one process without Redis (goal ≤ 1.25x):",
    "",
    ...costs.map(({ redis, single, ratio, withRedisRatio }) => {
      const cross = redis.crossProcess;
      const traffic = redis.redisTrafficPerThousandEventsPerSecond;
      return (
        `- ${redis.target}, rooms of ${redis.playersPerRoom}: ${num(redis.cpuPerThousandEventsPerSecond)} % at ${comparisonCapacity(redis)} players` +
        ` (+ ${num(redis.redisCpuPerThousandEventsPerSecond, 2)} % in redis-server) against ${num(single?.cpuPerThousandEventsPerSecond)} % at ${single ? comparisonCapacity(single) : "–"}: ` +
        `**${num(ratio, 2)}x per event** (${num(withRedisRatio, 2)}x with redis-server's CPU).` +
        (cross ? ` What crossed processes, p99: award acks ${num(cross.ackP99Ms)} ms, meter fan-out ${num(cross.fanOutP99Ms)} ms beyond the tick.` : "") +
        (traffic
          ? ` Redis per 1,000 events/s: ${num(traffic.commandsPerSecond, 0)} commands/s, ${num(traffic.inputBytesPerSecond / 1024, 1)} KiB/s in, ${num(traffic.outputBytesPerSecond / 1024, 1)} KiB/s out.`
          : "")
      );
    }),
    "",
  ];
}

/** The wire settings each game server run reported at its start (startGameServer.ts, describeWire), with what was added to its environment. */
function wireSettingsMarkdown(data: ComparisonData): string[] {
  const described = data.runs.filter((run) => run.wire !== undefined || Object.prototype.hasOwnProperty.call(GAME_VARIANTS, run.target));
  if (described.length === 0) return [];
  return [
    "Game server wire settings, as each run's server reported them:",
    "",
    ...described.map(
      (run) => `- ${run.target}, rooms of ${run.playersPerRoom}: ${run.wire ?? "not reported (the server did not start)"}; \`${run.launch || "–"}\``,
    ),
    "",
  ];
}

/** The game server against the field (bench/README.md, "The game server against the field"). */
function comparisonMarkdown(data: ComparisonData): string[] {
  const w = data.workload;
  const out: string[] = [
    "### The game server against the field: one party workload, three servers",
    "",
    `Rooms of ${w.roomSizes.join(" and ")}; each player sends its live meter ${w.meterPerSecond} times a second and ${w.awardsPerPlayerPerRound} acked award per round; ` +
      `the room sends its members' meters at ${w.fanOutHz} Hz (the relay: every sample at once); rounds every ${num(data.workload.roundMsThisRun / 1000, 0)} s ` +
      `(Colyseus: \`this.clock\`; the game server: its own ${w.gameSecondsPerRound} s round and the screens between). ` +
      `${data.generators} generator processes; ${num(data.measureMs / 1000, 0)} s window per step; ${data.pinning}. Each server is the bundle run by plain node, started afresh for each room size. ` +
      `A step passes with award ack p99 ≤ ${w.p99LimitMs} ms, meter fan-out p99 ≤ ${w.p99LimitMs} ms (beyond the 100 ms tick for the ticked servers), ` +
      `≥ 8 meter broadcasts a second at every screen (ticked servers), no errors, and the generators' event loop p99 ≤ 30 ms (else the step is generator-bound: it measured the generators). ` +
      `Then the game server's wire variants on rooms of ${GAME_VARIANT_ROOM_SIZE}, each with one setting changed against the game server's own rows (bench/README.md).`,
    "",
    "**Per server, at the largest step that passed** (CPU: % of one core per 1,000 events/s the players sent; wire: TCP payload both ways through the players' sockets, per player per second; RSS: growth over idle per 1,000 players):",
    "",
    table(
      ["server", "room", "players (last step passed)", "CPU per 1k events/s", "wire B/player/s", "RSS per 1k players", "idle RSS", "stopped because"],
      data.runs.map((run) => [
        TARGET_NAMES[run.target],
        String(run.playersPerRoom),
        run.capacityPlayers === null ? (run.generatorBound ? "– (generator-bound)" : "none") : comparisonCapacity(run, " "),
        run.cpuPerThousandEventsPerSecond === null ? "–" : `${num(run.cpuPerThousandEventsPerSecond)} %`,
        num(run.wireBytesPerPlayerPerSecond, 0),
        run.rssPerThousandPlayersMiB === null ? "–" : `${num(run.rssPerThousandPlayersMiB)} MiB`,
        run.idleRssMiB === null ? "–" : `${num(run.idleRssMiB)} MiB`,
        run.stoppedBecause,
      ]),
    ),
    "",
    ...wireSettingsMarkdown(data),
    ...scaleOutMarkdown(data),
    "Every step:",
    "",
    table(
      [
        "server",
        "room",
        "players",
        "events/s in",
        "award ack p99 ms",
        "fan-out p99 ms",
        "broadcasts min Hz",
        "server CPU",
        "CPU per 1k events/s",
        "server RSS",
        "wire B/player/s",
        "generators CPU / loop p99",
        "verdict",
      ],
      data.runs.flatMap((run) =>
        run.steps.map((step) => [
          run.target,
          String(run.playersPerRoom),
          String(step.players),
          num(step.incomingEventsPerSecond, 0),
          step.ackMs ? num(step.ackMs.p99) + (step.crossProcess ? ` (cross ${num(step.crossProcess.ackMs.p99)})` : "") : "–",
          num(step.fanOutP99Ms) + (step.crossProcess ? ` (cross ${num(step.crossProcess.fanOutP99Ms)})` : ""),
          step.meterBroadcastHz ? num(step.meterBroadcastHz.min) : "–",
          step.serverCpuPercent === null
            ? "–"
            : `${step.serverCpuPercent} %` +
              (step.serverCpuPercentByProcess ? ` (${step.serverCpuPercentByProcess.join(" + ")}; redis ${num(step.redisCpuPercent)} %)` : ""),
          step.serverCpuPerThousandEventsPerSecond === null ? "–" : `${num(step.serverCpuPerThousandEventsPerSecond)} %`,
          step.serverRssMiB === null ? "–" : `${step.serverRssMiB} MiB`,
          num(step.wireBytesPerPlayerPerSecond, 0),
          `${step.generatorCpuPercent.join("+")} % / ${num(step.generatorLoopDelayP99Ms)} ms`,
          step.verdict,
        ]),
      ),
    ),
    "",
  ];
  return out;
}

function pagesMarkdown(data: PagesSectionData): string[] {
  const out: string[] = [];
  out.push(
    table(
      ["route", "first-load JS, build (gzip)", "files", "JS on the wire, browser", "scripts", "vision bytes?"],
      data.routes.map((route) => {
        const markers = [
          ...new Set([...(route.build?.visionMarkers ?? []), ...(route.browser?.visionMarkers ?? []), ...(route.browser?.visionRequests ?? [])]),
        ];
        return [
          route.route,
          route.build ? `${kib(route.build.gzipBytes)} (${kib(route.build.rawBytes)} raw)` : "–",
          route.build ? String(route.build.files) : "–",
          route.browser
            ? `${kib(route.browser.wireBytes)} (${kib(route.browser.decodedBytes)} decoded)`
            : route.error
              ? `failed: ${route.error.slice(0, 60)}`
              : "–",
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

/** One line per section with the figures the issue asks for first; the tables below have the rest. */
function headlines(report: BenchReport): string[] {
  const lines: string[] = [];
  const s = report.sections;
  const inference = s.inference?.data;
  const main = inference?.variants.find((variant) => variant.variant === "main")?.steady;
  if (inference && main) {
    const workers = Object.entries(inference.ratios)
      .map(
        ([variant, ratio]) =>
          `${variant} loop FPS ×${num(ratio.loopFps, 2)}, results/s ×${num(ratio.resultsPerSecond, 2)}, inference ×${num(ratio.inferenceMean, 2)}`,
      )
      .join("; ");
    lines.push(
      `- **Inference** (worker / main): ${workers} (published: FPS ×${num(inference.reference.worker.fps / inference.reference.main.fps, 2)}, inference ×${num(inference.reference.worker.inferenceMs / inference.reference.main.inferenceMs, 2)}). Main thread: ${num(main.loopFps)} FPS, ${ms(main.inferenceMs.mean)} per detection, page ${num(main.rafFps)} rAF FPS.`,
    );
  }
  for (const goal of inference?.planGoals ?? []) {
    const auto = inference?.plans?.find((row) => row.auto && row.cpuThrottle === goal.cpuThrottle);
    lines.push(
      `- **Inference plans** (${goal.cpuThrottle === 1 ? "unthrottled" : `CPU quota ÷${goal.cpuThrottle}`}): auto picked ${goal.autoPicked ?? "–"} (page ${num(auto?.pageFps)} fps, ${num(auto?.resultsPerSecond)} results/s); ` +
        `best fixed plan by the rule ${goal.bestFixed ?? "–"}; auto/best page fps ×${num(goal.pageFpsRatio, 2)}, results/s ×${num(goal.resultsRatio, 2)}` +
        (goal.cpuThrottle === 1 ? `, auto/ceiling page fps ×${num(goal.ceilingRatio, 2)}.` : "."),
    );
  }
  const lobby = s.lobby?.data;
  if (lobby) lines.push(`- **Lobby** (${lobby.players.length} players, \`${lobby.playlist}\`): Start → all ready ${ms(lobby.startToAllReadyMs)}.`);
  const server = s.server?.data;
  const idle = server?.idle;
  const app = idle?.app?.targets.at(-1);
  if (app) {
    lines.push(
      `- **Whole app idle** (\`${app.launch}\`): after the first pages ${num(app.fresh.pagesRssMiB)} MiB (new DATA_DIR) / ${num(app.existing.pagesRssMiB)} MiB (existing); ` +
        `ready in ${ms(app.fresh.readyMs)} / ${ms(app.existing.readyMs)}.`,
    );
  }
  if (idle) {
    lines.push(
      `- **Idle game server only** (no Next.js, embedded database): new DATA_DIR ${num(idle.fresh.rssMiB)} MiB, ready in ${ms(idle.fresh.startMs)}; existing DATA_DIR ${num(idle.existing.rssMiB)} MiB, ready in ${ms(idle.existing.startMs)}.`,
    );
  }
  if (server?.game && server.relay) {
    const players = (value: number | null) => (value === null ? "none" : `${value} players`);
    lines.push(
      `- **Server capacity** (each target's rule, no errors): game server ${players(server.game.capacityPlayers)}, bare relay ${players(server.relay.capacityPlayers)}, ratio ${num(server.capacityRatio, 2)}.`,
    );
  }
  if (server?.comparison) {
    lines.push(
      `- **Against the field** (party workload, players at the last step that passed, "≥" where the ladder found no breaking point, rooms of ${server.comparison.workload.roomSizes.join(" / ")}): ` +
        (["game", "colyseus", "relay"] as const)
          .filter((target) => server.comparison!.runs.some((run) => run.target === target))
          .map(
            (target) =>
              `${target} ${server
                .comparison!.runs.filter((run) => run.target === target)
                .map((run) => comparisonCapacity(run))
                .join(" / ")}`,
          )
          .join(", ") +
        ".",
    );
    for (const { redis, ratio, withRedisRatio } of scaleOutCosts(server.comparison)) {
      lines.push(
        `- **Scale-out, ${redis.target}** (2 processes behind Redis, rooms of ${redis.playersPerRoom}, ${comparisonCapacity(redis)} players): ${num(ratio, 2)}x the CPU per event of one process ` +
          `(${num(withRedisRatio, 2)}x with redis-server's)` +
          (redis.crossProcess
            ? `; cross-process p99: acks ${num(redis.crossProcess.ackP99Ms)} ms, fan-out ${num(redis.crossProcess.fanOutP99Ms)} ms beyond the tick.`
            : "."),
      );
    }
    // The wire settings only: the scale-out rows have their own lines above.
    const variants = server.comparison.runs.filter(
      (run) => Object.prototype.hasOwnProperty.call(GAME_VARIANTS, run.target) && run.target !== "game-redis" && run.target !== "game-redis-owner",
    );
    if (variants.length > 0) {
      lines.push(
        `- **Game server wire variants** (rooms of ${GAME_VARIANT_ROOM_SIZE}, players at the last step that passed, CPU per 1k events/s): ` +
          variants
            .map(
              (run) =>
                `${run.target} ${comparisonCapacity(run)}` +
                `${run.cpuPerThousandEventsPerSecond === null ? "" : ` (${num(run.cpuPerThousandEventsPerSecond)} %)`}`,
            )
            .join(", ") +
          ".",
      );
    }
  }
  const pages = s.pages?.data;
  if (pages) {
    const weights = pages.routes.flatMap((route) => (route.build ? [`${route.route} ${kib(route.build.gzipBytes)}`] : []));
    lines.push(`- **First-load JS** (gzip): ${weights.join(", ")}; vision bytes in any first load: ${pages.noVisionBytes ? "none" : "**YES**"}.`);
  }
  const busy = Object.entries(s)
    .filter(([, result]) => (result.cpuBusyBeforePercent ?? 0) >= 25)
    .map(([name, result]) => `${name} (${result.cpuBusyBeforePercent} %)`);
  if (lines.length > 0) lines.push(`- Machine busy with other work at a section's start: ${busy.length > 0 ? busy.join(", ") : "no section"}.`);
  return lines.length > 0 ? ["**Headlines**", "", ...lines, ""] : [];
}

export function toMarkdown(report: BenchReport): string {
  const out: string[] = [];
  const m = report.machine;
  out.push(
    `# PoseParty benchmarks (${report.mode})`,
    "",
    `${report.startedAt} · ${num(report.durationMs / 1000, 0)} s · ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB · Node ${m.node} · ${m.chromium ?? "Chromium ?"} · commit ${m.gitCommit ?? "?"}${m.gitDirty ? " + uncommitted changes" : ""}` +
      (report.build
        ? ` · Next build ${report.build.buildId}${report.build.built ? ` (built in ${num((report.build.buildMs ?? 0) / 1000, 0)} s)` : " (reused)"}`
        : ""),
    "",
    report.mode === "smoke" ? "_Smoke mode: tiny sizes to keep the harness working; the numbers are not meaningful._\n" : "",
  );
  out.push(...headlines(report));
  const s = report.sections;
  if (s.inference) out.push(...sectionHeader("Inference", s.inference), ...(s.inference.data ? inferenceMarkdown(s.inference.data) : []));
  if (s.lobby) out.push(...sectionHeader("Lobby", s.lobby), ...(s.lobby.data ? lobbyMarkdown(s.lobby.data) : []));
  if (s.server) out.push(...sectionHeader("Server capacity", s.server), ...(s.server.data ? serverMarkdown(s.server.data) : []));
  if (s.pages) out.push(...sectionHeader("Page weight", s.pages), ...(s.pages.data ? pagesMarkdown(s.pages.data) : []));
  if (s.network) out.push(...sectionHeader("Network (the call across the lab)", s.network), ...(s.network.data ? networkMarkdown(s.network.data) : []));
  return out.filter((line, index, all) => !(line === "" && all[index - 1] === "")).join("\n") + "\n";
}

function networkMarkdown(data: NetworkSectionData): string[] {
  const rows = data.cells.map((cell) => {
    const joins = cell.joinToFirstFrameMs.filter((value): value is number => value !== null);
    return [
      cell.profile,
      String(cell.members),
      joins.length > 0 ? `${ms(Math.min(...joins))} – ${ms(Math.max(...joins))}` : "–",
      `${num(cell.decodedFpsP50)} (min ${num(cell.decodedFpsMin)})`,
      `${cell.stillTiles}/${cell.tiles}`,
      `${num(cell.freezesPerMinute, 2)} (${num(cell.freezeSecondsPerMinute, 2)} s)`,
      ms(cell.rttMsP50),
      `${cell.sentKbps.length > 0 ? num(Math.max(...cell.sentKbps), 0) : "–"} / ${num(cell.uplinkKbps, 0)}`,
      cell.outboundHeightMin === null ? "–" : `${cell.outboundHeightMin}p`,
      String(cell.audioOnlyTiles),
      cell.clockErrorMsMax === null ? "–" : `${num(cell.clockErrorMsMax, 0)} ms (RTT ≤ ${num(cell.clockRoundTripMsMax, 0)} ms)`,
      Object.entries(cell.pairTypes)
        .map(([pair, count]) => `${pair} ×${count}`)
        .join(", ") || "–",
      cell.machineCpuBusyPercent === null ? "?" : `${cell.machineCpuBusyPercent} %`,
      cell.error ?? "",
    ];
  });
  return [
    `Every phone in its own home (\`home\` router) on one link profile, STUN and TURN configured; cameras move at ${data.cameraFps} fps. After ${num(data.settleMs / 1000, 0)} s of chatting, a ${num(data.windowMs / 1000, 0)} s window. Tiles: each friend on each phone. "Still": below 1 fps (frozen, or audio-only on purpose). Freezes as WebRTC counts them (\`freezeCount\`), per tile per minute, with the frozen seconds. Sent: the busiest phone's total against its uplink. Clock error: the game's clock estimate (\`clock:ping\`, core/clock.ts) made from each home during the window, while the call fills the link; server and homes share this machine's clock, so the estimate is its error. Machine CPU: the whole machine over the window (all browsers share it): near 100 %, tiles freeze and round trips grow for CPU, not for the network.`,
    "",
    table(
      [
        "profile",
        "members",
        "join → first frame",
        "decoded fps p50",
        "still tiles",
        "freezes / min",
        "RTT p50",
        "sent / uplink kbit/s",
        "lowest sent",
        "audio-only tiles",
        "clock error max",
        "selected pairs",
        "machine CPU",
        "error",
      ],
      rows,
    ),
    "",
  ];
}

/**
 * A comparison run's players at its last passing step; "≥" where that is not a breaking point: the
 * ladder ran out of time or steps before a step failed, or stopped on its own generators.
 */
function comparisonCapacity(run: ComparisonRun, gap = ""): string {
  if (run.capacityPlayers === null) return "none";
  return `${run.generatorBound || run.openEnded === true ? `≥${gap}` : ""}${run.capacityPlayers}`;
}
