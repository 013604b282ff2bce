/**
 * Server capacity: load generators in separate processes open R rooms x 4 players against the
 * game server, and during a round every player sends 10 live meter samples a second and one
 * award. R steps up until the game server's rule breaks (awards acked p99 <= 50 ms, every
 * player's screen getting its room's meter broadcasts at >= 8 Hz with the shown values' age p99
 * <= 200 ms, no errors). Then a
 * bare Socket.IO relay, the reference, with its own rule (re-broadcast p99 <= 50 ms). Loopback
 * only; every step and the whole section are bounded in time; every process started here is
 * stopped here.
 */
import { execFileSync, fork, type ChildProcess } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { bundleServer } from "../../scripts/build-server";
import { redisServerInstalled, startRedis, type RedisProcess } from "../../scripts/lib/redisProcess";
import { ProcSampler, REPO_ROOT, loadAverage, readProc, sleep, spawnNode, spawnTs, stopChild } from "../lib/proc";
import { mergeHistograms, round, summarize, summarizeHistogram, type Summary } from "../lib/stats";
import { productionTarget } from "./appIdle";
import { runServerIdle, type ServerIdleData } from "./idle";
import { askProfiler, type FromGenerator, type GeneratorReport, type LoadMode, type MemoryReport, type MemoryRequest, type ToGenerator } from "./protocol";

export const PLAYERS_PER_ROOM = 4;
export const EVENTS_PER_PLAYER_PER_SECOND = 10;
/** The relay's rule (re-broadcast p99) and the game server's rule for acked awards. */
export const P99_LIMIT_MS = 50;
/**
 * The game server's meters: each player's screen gets its room's broadcast of friends' meters at
 * least this often ... Counted per screen, not per (screen, friend) pair: a friend's meter
 * changes only on ticks with news from that friend, and the generator's 10 samples a second
 * beat against the room's 10 Hz tick (a sender whose samples reach the server near the tick's
 * phase puts two in one tick and none in the next on a few ms of jitter), so a pair's rate
 * measures that phase, not the server: 7.5 Hz and less on an idle server. The pairs' rates are
 * still reported (meterRefreshHz).
 */
export const METER_MIN_REFRESH_HZ = 8;
/** ... showing a value at most this old (p99): the room broadcasts every 100 ms by design. */
export const METER_AGE_P99_LIMIT_MS = 200;
/** The game's meter fan-out period (10 Hz): the game server's tick and the Colyseus room's patchRate. */
export const METER_TICK_MS = 100;
/** Comparison: a generator whose event loop lags more than this (p99) measures itself, not the server. */
export const GENERATOR_LAG_LIMIT_MS = 30;

export interface ServerOptions {
  smoke: boolean;
  /** `idle`: only the idle start-up and memory measurement (`--only server.idle`), no ladders; `comparison`: only the comparison (`--only server.comparison`). */
  parts: "all" | "idle" | "comparison";
  /** Time for the ladders of both targets (half each), not counting server start-up. */
  budgetMs: number;
  generators: number;
  ladder: number[];
  measureMs: number;
  secondsPerRound: number;
  log: (line: string) => void;
}

export function serverOptions(smoke: boolean, log: (line: string) => void, parts: ServerOptions["parts"] = "all"): ServerOptions {
  return smoke
    ? { smoke, parts, budgetMs: 90_000, generators: 2, ladder: [2, 5], measureMs: 2_000, secondsPerRound: 5, log }
    : { smoke, parts, budgetMs: 8 * 60_000, generators: 2, ladder: [10, 25, 50, 100, 150, 200, 300, 400, 500], measureMs: 10_000, secondsPerRound: 15, log };
}

export interface CapacityStep {
  rooms: number;
  /** 4 in the capacity ladder; 4 or 8 in the comparison. */
  playersPerRoom?: number;
  players: number;
  /** Events offered per second (players x 10; the game server also gets one award per player per round). */
  offeredEventsPerSecond: number;
  /** Events that arrived at the server per second within the window (what the generators sent). */
  incomingEventsPerSecond: number;
  /** Server CPU (% of one core) per 1,000 incoming events a second. */
  serverCpuPerThousandEventsPerSecond: number | null;
  /** game: meter updates per second each friend saw of each other player (min and median over the pairs; not judged, see METER_MIN_REFRESH_HZ). */
  meterRefreshHz: { min: number; p50: number } | null;
  /** game: the room's broadcasts carrying friends' meters that each player received per second (min and median over players; the rule). */
  meterBroadcastHz: { min: number; p50: number } | null;
  windowMs: number;
  sent: number;
  deliveredFraction: number | null;
  /** relay: re-broadcast latency. game: age of the meter values friends were shown. */
  latencyMs: Summary;
  /** game: award acks. */
  ackMs: Summary | null;
  errors: number;
  errorDetail: string[];
  serverCpuPercent: number | null;
  /** Of serverCpuPercent, the kernel's (stime): on loopback it includes much of both ends' TCP work. */
  serverSystemCpuPercent?: number | null;
  serverRssMiB: number | null;
  generatorCpuPercent: number[];
  generatorLoopDelayP99Ms: number;
  /** Comparison: TCP payload bytes both ways through the players' sockets in the window, per player per second (generator.ts, `wireBytes`). */
  wireBytesPerPlayerPerSecond?: number | null;
  /** Comparison: the meter fan-out's p99 beyond the 10 Hz tick's hold (ticked servers: shown value's age p99 - 100 ms; relay: re-broadcast p99). */
  fanOutP99Ms?: number | null;
  /** Comparison: a generator's event loop p99 passed GENERATOR_LAG_LIMIT_MS: the step measured the generators, not the server. */
  generatorBound?: boolean;
  /** game-redis: each server process's CPU (% of one core); serverCpuPercent is their sum. */
  serverCpuPercentByProcess?: (number | null)[];
  /** game-redis: the redis-server's CPU (% of one core), not in serverCpuPercent. */
  redisCpuPercent?: number | null;
  /** game-redis: what Redis handled in the window (INFO stats): commands (publishes, look-ups) and bytes in and out, per second. */
  redisTraffic?: { commandsPerSecond: number; inputBytesPerSecond: number; outputBytesPerSecond: number };
  /** game-redis: what crossed processes: acks of players not on their room's owner, and meter fan-out p99 (beyond the tick) where sender or receiver was not on it. */
  crossProcess?: { ackMs: Summary; fanOutP99Ms: number | null };
  setupMs: number;
  pass: boolean;
  verdict: string;
  /** Set when the step failed on latency alone and was measured once more (this is the second attempt). */
  firstAttempt?: { latencyMs: Summary; verdict: string };
}

export interface CapacityRun {
  target: "game" | "bare-relay";
  /** The p99 limit that drove the ladder (the issue's 50 ms for both targets). */
  p99LimitMs: number;
  steps: CapacityStep[];
  /** Players in the largest step that passed; null if none did. */
  capacityPlayers: number | null;
  stoppedBecause: string;
  idleRssMiB: number | null;
  /** The server's own view of its memory 1 s after start, then after forced full GCs (explains the RSS). */
  idleMemory: { atStart: MemoryMiB; afterFullGc: MemoryMiB } | null;
  error?: string;
}

/** `process.memoryUsage()` in MiB. `external` includes WebAssembly memories and ArrayBuffers. */
export interface MemoryMiB {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export interface ServerSectionData {
  /** Start-up time and memory of the idle game server, new and existing DATA_DIR (idle.ts). */
  idle: ServerIdleData | null;
  idleError?: string;
  generators: number;
  measureMs: number;
  secondsPerRound: number;
  /** Absent when only the idle measurement ran. */
  game?: CapacityRun;
  /** The game server, Colyseus and the bare relay on one party workload (runComparison). */
  comparison?: ComparisonData;
  comparisonError?: string;
  relay?: CapacityRun;
  /** game capacity / relay capacity (null when either is unknown). */
  capacityRatio: number | null;
  /** Players each target held under its rule, and their ratio (the issue's goal: >= 3). */
  capacity: { game: number | null; relay: number | null; ratio: number | null };
  reference: { note: string; relayP99ByPlayers: Record<number, number> };
}

const REFERENCE = {
  note: "bare relay measured by the issue's author: one generator process on the same 2 cores",
  relayP99ByPlayers: { 200: 40, 600: 36, 1200: 95, 2000: 348 },
};

export interface Generator {
  child: ChildProcess;
  inbox: FromGenerator[];
  waiters: ((message: FromGenerator) => void)[];
}

export function forkGenerator(index: number): Generator {
  const child = fork(path.join(REPO_ROOT, "bench/server/generator.ts"), [], {
    cwd: REPO_ROOT,
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, BENCH_GENERATOR: String(index) },
  });
  const generator: Generator = { child, inbox: [], waiters: [] };
  child.on("message", (message: FromGenerator) => {
    const waiter = generator.waiters.shift();
    if (waiter) waiter(message);
    else generator.inbox.push(message);
  });
  return generator;
}

function next(generator: Generator, timeoutMs: number, what: string): Promise<FromGenerator> {
  const queued = generator.inbox.shift();
  if (queued) return Promise.resolve(queued);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      generator.waiters.splice(generator.waiters.indexOf(onMessage), 1);
      reject(new Error(`generator did not answer ${what} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (message: FromGenerator) => {
      clearTimeout(timer);
      if (message.type === "error") reject(new Error(`generator: ${message.message}`));
      else resolve(message);
    };
    generator.waiters.push(onMessage);
  });
}

async function expect<T extends FromGenerator["type"]>(generator: Generator, type: T, timeoutMs: number): Promise<Extract<FromGenerator, { type: T }>> {
  const message = await next(generator, timeoutMs, type);
  if (message.type !== type) throw new Error(`generator answered ${message.type}, expected ${type}`);
  return message as Extract<FromGenerator, { type: T }>;
}

const tell = (generator: Generator, message: ToGenerator) => generator.child.send(message);

/** A started server's IPC "ready": its port, and (the game server) the wire settings it runs with. */
interface ReadyMessage {
  port: number;
  wire?: string;
}

/**
 * The port a started server reports over IPC (`{ type: "ready", port }`). Generous: the game
 * server's embedded database runs initdb in WASM (over a minute on a busy machine).
 */
function readyPort(child: ChildProcess & { output: string[] }, name: string): Promise<ReadyMessage> {
  return new Promise<ReadyMessage>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 240 s: ${child.output.join("").slice(-500)}`)), 240_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code}: ${child.output.join("").slice(-500)}`));
    });
    child.on("message", (message: { type?: string; port?: number; wire?: string }) => {
      if (message.type === "ready" && message.port) {
        clearTimeout(timer);
        resolve({ port: message.port, ...(message.wire ? { wire: message.wire } : {}) });
      }
    });
  });
}

export async function startTarget(target: LoadMode, log: (line: string) => void): Promise<{ child: ChildProcess; url: string }> {
  const file = target === "game" ? "bench/server/startGameServer.ts" : target === "colyseus" ? "bench/server/colyseus/server.ts" : "bench/server/bareRelay.ts";
  const began = Date.now();
  // --expose-gc only so the idle memory can be read after a full GC (see readMemory).
  const child = spawnTs(file, { ipc: true, nodeArgs: ["--expose-gc"], logPrefix: `[${target} server] ` });
  const { port } = await readyPort(child, file);
  log(`${target} server: pid ${child.pid}, http://127.0.0.1:${port}, started in ${Date.now() - began} ms`);
  return { child, url: `http://127.0.0.1:${port}` };
}

const mib = (bytes: number | null | undefined) => (bytes === null || bytes === undefined ? null : round(bytes / 2 ** 20, 1));

/** Asks the server under test for its memoryUsage (optionally after a full GC); null if it does not answer. */
function readMemory(child: ChildProcess, gc: boolean): Promise<MemoryMiB | null> {
  return new Promise((resolve) => {
    const onMessage = (message: MemoryReport | { type?: string }) => {
      if (message.type !== "memory" || !("usage" in message)) return;
      clearTimeout(timer);
      child.off("message", onMessage);
      const { rss, heapUsed, external, arrayBuffers } = message.usage;
      resolve({ rss: mib(rss) ?? 0, heapUsed: mib(heapUsed) ?? 0, external: mib(external) ?? 0, arrayBuffers: mib(arrayBuffers) ?? 0 });
    };
    const timer = setTimeout(() => {
      child.off("message", onMessage);
      resolve(null);
    }, 10_000);
    child.on("message", onMessage);
    const request: MemoryRequest = { type: "memory", gc };
    child.send(request);
  });
}

function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, index) => Math.floor(total / parts) + (index < total % parts ? 1 : 0));
}

/** The comparison's party workload for one step (PARTY_WORKLOAD); runStep without it runs the capacity ladder's. */
export interface PartyStep {
  playersPerRoom: number;
  roundMs: number;
  socketParser?: "msgpack";
  /** game-redis: every process's URL (the generators spread rooms and players over them). */
  urls?: string[];
  /** game-redis: the redis-server, whose CPU is read beside the servers' and its traffic from INFO stats. */
  redis?: { pid: number; url: string };
  /** game-redis-owner: every player on its room's owner. */
  playersOnOwner?: boolean;
}

/** What a redis-server's INFO stats counts since it started: commands and its network bytes. */
interface RedisCounters {
  commands: number;
  inputBytes: number;
  outputBytes: number;
}

/** INFO stats over one short-lived connection; null if it does not answer. */
async function readRedisCounters(url: string): Promise<RedisCounters | null> {
  const { Redis } = await import("ioredis");
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const info = await client.info("stats");
    const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)?.[1] ?? Number.NaN);
    return { commands: field("total_commands_processed"), inputBytes: field("total_net_input_bytes"), outputBytes: field("total_net_output_bytes") };
  } catch {
    return null;
  } finally {
    client.disconnect();
  }
}

export async function runStep(
  target: LoadMode,
  url: string,
  /** The server's process; game-redis: every process (CPU and RSS are summed). */
  serverPid: number | readonly number[],
  generators: Generator[],
  rooms: number,
  stepIndex: number,
  options: ServerOptions,
  p99LimitMs: number,
  /** Called as the measured window opens and closes (the profiler: bench/server/profile.ts). */
  windowHooks?: { opened(): Promise<void>; closed(): Promise<void> },
  /** The comparison's party workload (PARTY_WORKLOAD); absent: the capacity ladder's. */
  party?: PartyStep,
): Promise<CapacityStep> {
  const playersPerRoom = party?.playersPerRoom ?? PLAYERS_PER_ROOM;
  const shares = split(rooms, generators.length);
  const active = generators.filter((_, index) => (shares[index] ?? 0) > 0);
  const setupTimeout = 30_000 + rooms * 200;
  const errorDetail: string[] = [];
  let errors = 0;

  active.forEach((generator, index) =>
    tell(generator, {
      type: "setup",
      mode: target,
      url,
      rooms: shares[index]!,
      ...(party ? { playersPerRoom, workload: "party" as const, roundMs: party.roundMs } : {}),
      ...(party?.socketParser ? { socketParser: party.socketParser } : {}),
      ...(party?.urls ? { urls: party.urls, ...(party.playersOnOwner ? { playersOnOwner: true } : {}) } : {}),
      generatorIndex: index,
      step: stepIndex,
      secondsPerRound: options.secondsPerRound,
      concurrency: 25,
    }),
  );
  const staged = await Promise.all(active.map((generator) => expect(generator, "staged", setupTimeout)));
  const setupMs = Math.max(...staged.map((message) => message.setupMs));
  const failedRooms = rooms - staged.reduce((sum, message) => sum + message.rooms, 0);
  if (failedRooms > 0) {
    errors += failedRooms;
    errorDetail.push(`${failedRooms} rooms failed to set up`, ...staged.flatMap((message) => message.failures.map((failure) => `setup: ${failure}`)));
  }

  let from: number;
  let to: number;
  if (target !== "game") {
    const sendFrom = Date.now() + 300;
    from = sendFrom + 1_000;
    to = from + options.measureMs;
    for (const generator of active) tell(generator, { type: "go", sendFrom, sendTo: to + 500 });
  } else {
    for (const generator of active) tell(generator, { type: "go" });
    const playing = await Promise.all(active.map((generator) => expect(generator, "playing", 30_000)));
    for (const message of playing) {
      if (message.failures.length > 0) {
        errors += message.failures.length;
        errorDetail.push(...message.failures.map((failure) => `start: ${failure}`));
      }
    }
    const started = playing.filter((message) => message.rooms > 0);
    if (started.length === 0) throw new Error("no room started playing");
    const maxStart = Math.max(...started.map((message) => message.maxStart));
    const minEnd = Math.min(...started.map((message) => message.minEnd));
    from = maxStart + 1_000;
    to = Math.min(from + options.measureMs, minEnd - 300);
    if (to - from < Math.min(options.measureMs, 1_000)) errorDetail.push(`rounds too far apart: window only ${to - from} ms`);
  }
  for (const generator of active) tell(generator, { type: "window", from, to });

  await sleep(Math.max(0, from - Date.now()));
  await windowHooks?.opened();
  const serverPids = typeof serverPid === "number" ? [serverPid] : serverPid;
  const samplers = serverPids.map((pid) => new ProcSampler(pid, 250).start());
  const redisSampler = party?.redis ? new ProcSampler(party.redis.pid, 250).start() : null;
  const redisAtOpen = party?.redis ? await readRedisCounters(party.redis.url) : null;
  await sleep(Math.max(0, to - Date.now()));
  const byProcess = samplers.map((sampler) => sampler.stop());
  const redis = redisSampler?.stop() ?? null;
  const redisAtClose = party?.redis ? await readRedisCounters(party.redis.url) : null;
  const sumOf = (values: (number | null)[]) => (values.some((value) => value === null) ? null : values.reduce<number>((sum, value) => sum + value!, 0));
  const server = {
    cpuPercent: sumOf(byProcess.map((sample) => sample.cpuPercent)),
    systemCpuPercent: sumOf(byProcess.map((sample) => sample.systemCpuPercent)),
    rssMaxBytes: sumOf(byProcess.map((sample) => sample.rssMaxBytes)),
  };
  await windowHooks?.closed();
  // In-flight deliveries of events sent near the end of the window.
  await sleep(1_500);

  for (const generator of active) tell(generator, { type: "report" });
  const reports: GeneratorReport[] = await Promise.all(active.map((generator) => expect(generator, "report", 30_000)));
  for (const generator of active) tell(generator, { type: "teardown" });
  await Promise.all(active.map((generator) => expect(generator, "done", 60_000)));

  const sent = reports.reduce((sum, report) => sum + report.sent, 0);
  const expected = reports.reduce((sum, report) => sum + report.expectedDeliveries, 0);
  const delivered = reports.reduce((sum, report) => sum + report.delivered, 0);
  const ackErrors: Record<string, number> = {};
  for (const report of reports) for (const [code, count] of Object.entries(report.ackErrors)) ackErrors[code] = (ackErrors[code] ?? 0) + count;
  const unanswered = reports.reduce((sum, report) => sum + report.unanswered, 0);
  const disconnects = reports.reduce((sum, report) => sum + report.disconnects, 0);
  for (const [code, count] of Object.entries(ackErrors)) {
    errors += count;
    errorDetail.push(`${count} x ${code}`);
  }
  if (unanswered > 0) {
    errors += unanswered;
    errorDetail.push(`${unanswered} events unanswered`);
  }
  if (disconnects > 0) {
    errors += disconnects;
    errorDetail.push(`${disconnects} disconnects`);
  }
  // The relay must deliver everything; the game server sends the latest meter per tick by design.
  if (target === "relay" && expected > 0 && delivered < expected) {
    errors += expected - delivered;
    errorDetail.push(`${expected - delivered} of ${expected} relayed events not received`);
  }
  if (sent === 0) {
    errors += 1;
    errorDetail.push("no event was sent in the window");
  }

  const latencyMs = summarizeHistogram(mergeHistograms(reports.map((report) => report.latency)));
  const crossProcess =
    party?.urls && !party.playersOnOwner
      ? {
          ackMs: roundSummary(summarizeHistogram(mergeHistograms(reports.map((report) => report.crossAck)))),
          fanOutP99Ms: round(summarizeHistogram(mergeHistograms(reports.map((report) => report.crossLatency))).p99 - METER_TICK_MS, 1),
        }
      : null;
  const ackMs = target === "game" || party ? summarizeHistogram(mergeHistograms(reports.map((report) => report.ack))) : null;
  const refresh = target !== "relay" ? summarize(reports.flatMap((report) => report.meterRefreshHz)) : null;
  const meterRefreshHz =
    refresh && refresh.count > 0
      ? { min: round(Math.min(...reports.flatMap((report) => report.meterRefreshHz)), 2) ?? 0, p50: round(refresh.p50, 2) ?? 0 }
      : null;
  const broadcastRates = target !== "relay" ? reports.flatMap((report) => report.meterBroadcastHz) : [];
  const meterBroadcastHz =
    broadcastRates.length > 0 ? { min: round(Math.min(...broadcastRates), 2) ?? 0, p50: round(summarize(broadcastRates).p50, 2) ?? 0 } : null;
  const players = rooms * playersPerRoom;
  const failures: string[] = [];
  // The comparison's rule, the same for all three servers (PARTY_WORKLOAD): only the 10 Hz tick's hold is taken off the ticked servers' meter age.
  const tickHoldMs = target === "relay" ? 0 : METER_TICK_MS;
  const fanOutP99Ms = party ? latencyMs.p99 - tickHoldMs : null;
  const generatorLoopDelayP99Ms = round(Math.max(...reports.map((report) => report.loopDelayP99Ms)), 1) ?? 0;
  const generatorBound = party !== undefined && generatorLoopDelayP99Ms > GENERATOR_LAG_LIMIT_MS;
  if (party) {
    if (!ackMs || !(ackMs.p99 <= p99LimitMs)) failures.push(`award ack p99 ${round(ackMs?.p99 ?? Number.NaN)} ms > ${p99LimitMs} ms`);
    if (!(fanOutP99Ms !== null && fanOutP99Ms <= p99LimitMs))
      failures.push(`meter fan-out p99 ${round(fanOutP99Ms ?? Number.NaN)} ms${tickHoldMs ? ` beyond the ${tickHoldMs} ms tick` : ""} > ${p99LimitMs} ms`);
    if (target !== "relay" && (!meterBroadcastHz || meterBroadcastHz.min < METER_MIN_REFRESH_HZ))
      failures.push(`meter broadcasts min ${meterBroadcastHz?.min ?? 0} Hz < ${METER_MIN_REFRESH_HZ} Hz`);
    if (generatorBound) failures.push(`generator-bound: its event loop p99 ${generatorLoopDelayP99Ms} ms > ${GENERATOR_LAG_LIMIT_MS} ms`);
  } else if (target === "relay") {
    if (!(latencyMs.p99 <= p99LimitMs)) failures.push(`p99 ${round(latencyMs.p99)} ms > ${p99LimitMs} ms`);
  } else {
    if (!ackMs || !(ackMs.p99 <= p99LimitMs)) failures.push(`award ack p99 ${round(ackMs?.p99 ?? Number.NaN)} ms > ${p99LimitMs} ms`);
    if (!meterBroadcastHz || meterBroadcastHz.min < METER_MIN_REFRESH_HZ)
      failures.push(`meter broadcasts min ${meterBroadcastHz?.min ?? 0} Hz < ${METER_MIN_REFRESH_HZ} Hz`);
    if (!(latencyMs.p99 <= METER_AGE_P99_LIMIT_MS)) failures.push(`meter age p99 ${round(latencyMs.p99)} ms > ${METER_AGE_P99_LIMIT_MS} ms`);
  }
  const pass = failures.length === 0 && errors === 0;
  const wireBytes = reports.reduce((sum, report) => sum + report.wireBytes, 0);
  const verdict = pass ? "pass" : errors > 0 ? `errors (${errorDetail.slice(0, 3).join("; ")})` : failures.join("; ");
  const windowSeconds = (to - from) / 1000;
  const incomingEventsPerSecond = windowSeconds > 0 ? sent / windowSeconds : 0;
  const serverCpuPercent = round(server.cpuPercent, 0);
  const step: CapacityStep = {
    rooms,
    ...(party ? { playersPerRoom } : {}),
    players,
    offeredEventsPerSecond: players * EVENTS_PER_PLAYER_PER_SECOND,
    incomingEventsPerSecond: round(incomingEventsPerSecond, 0) ?? 0,
    serverCpuPerThousandEventsPerSecond:
      serverCpuPercent !== null && incomingEventsPerSecond > 0 ? round((serverCpuPercent / incomingEventsPerSecond) * 1000, 1) : null,
    meterRefreshHz,
    meterBroadcastHz,
    windowMs: to - from,
    sent,
    deliveredFraction: target === "relay" && expected > 0 ? round(delivered / expected, 3) : null,
    latencyMs: roundSummary(latencyMs),
    ackMs: ackMs && roundSummary(ackMs),
    errors,
    errorDetail: errorDetail.slice(0, 10),
    serverCpuPercent,
    serverSystemCpuPercent: round(server.systemCpuPercent, 0),
    serverRssMiB: mib(server.rssMaxBytes),
    generatorCpuPercent: reports.map((report) => round(report.cpuPercent, 0) ?? 0),
    generatorLoopDelayP99Ms,
    ...(party
      ? {
          wireBytesPerPlayerPerSecond: players > 0 && windowSeconds > 0 ? round(wireBytes / players / windowSeconds, 0) : null,
          fanOutP99Ms: round(fanOutP99Ms, 1),
          generatorBound,
        }
      : {}),
    ...(serverPids.length > 1 ? { serverCpuPercentByProcess: byProcess.map((sample) => round(sample.cpuPercent, 0)) } : {}),
    ...(redis ? { redisCpuPercent: round(redis.cpuPercent, 1) } : {}),
    ...(redisAtOpen && redisAtClose && windowSeconds > 0
      ? {
          redisTraffic: {
            commandsPerSecond: round((redisAtClose.commands - redisAtOpen.commands) / windowSeconds, 0) ?? 0,
            inputBytesPerSecond: round((redisAtClose.inputBytes - redisAtOpen.inputBytes) / windowSeconds, 0) ?? 0,
            outputBytesPerSecond: round((redisAtClose.outputBytes - redisAtOpen.outputBytes) / windowSeconds, 0) ?? 0,
          },
        }
      : {}),
    ...(crossProcess ? { crossProcess } : {}),
    setupMs: Math.round(setupMs),
    pass,
    verdict,
  };
  return step;
}

function roundSummary(summary: Summary): Summary {
  return {
    count: summary.count,
    mean: round(summary.mean, 1) ?? Number.NaN,
    p50: round(summary.p50, 1) ?? Number.NaN,
    p95: round(summary.p95, 1) ?? Number.NaN,
    p99: round(summary.p99, 1) ?? Number.NaN,
    max: round(summary.max, 1) ?? Number.NaN,
  };
}

/** `budgetMs` counts from the moment the target server is up (the game server's embedded database can take long to start on a busy machine). */
async function runLadder(target: LoadMode, options: ServerOptions, budgetMs: number): Promise<CapacityRun> {
  const label = target === "game" ? "game" : "bare-relay";
  const p99LimitMs = P99_LIMIT_MS;
  const run: CapacityRun = {
    target: label,
    p99LimitMs,
    steps: [],
    capacityPlayers: null,
    stoppedBecause: "ladder finished",
    idleRssMiB: null,
    idleMemory: null,
  };
  const generators: Generator[] = [];
  let server: { child: ChildProcess; url: string } | null = null;
  try {
    server = await startTarget(target, options.log);
    const deadline = Date.now() + budgetMs;
    for (let index = 0; index < options.generators; index++) generators.push(forkGenerator(index));
    await sleep(1_000);
    run.idleRssMiB = mib(readProc(server.child.pid!)?.rssBytes);
    // The game server's idle RSS is mostly its embedded database (bench/README.md, "Memory"):
    // record what the process itself sees, then the same after forced full GCs; before any load.
    const atStart = await readMemory(server.child, false);
    const afterFullGc = await readMemory(server.child, true);
    if (atStart && afterFullGc) run.idleMemory = { atStart, afterFullGc };
    for (const [stepIndex, rooms] of options.ladder.entries()) {
      // A step takes about setup + (game: 6 s to the round) + window + 3 s; do not start one that cannot finish.
      const estimateMs = (target === "game" ? 7_000 : 2_000) + options.measureMs + 4_000 + rooms * 15;
      if (Date.now() + estimateMs > deadline) {
        run.stoppedBecause = `time budget reached before ${rooms} rooms`;
        break;
      }
      options.log(`${label}: ${rooms} rooms x ${PLAYERS_PER_ROOM} players ...`);
      let step = await runStep(target, server.url, server.child.pid!, generators, rooms, stepIndex, options, p99LimitMs);
      if (!step.pass && step.errors === 0 && Date.now() + estimateMs <= deadline) {
        // Latency alone failed: on a shared 2-core machine one hiccup can do that. Measure once more;
        // the second attempt decides, the first stays in the report.
        options.log(`${label}: ${step.players} players: ${step.verdict}; measuring once more`);
        await sleep(1_000);
        const again = await runStep(target, server.url, server.child.pid!, generators, rooms, stepIndex + 100, options, p99LimitMs);
        again.firstAttempt = { latencyMs: step.latencyMs, verdict: step.verdict };
        step = again;
      }
      run.steps.push(step);
      options.log(
        `${label}: ${step.players} players: p50 ${step.latencyMs.p50} / p95 ${step.latencyMs.p95} / p99 ${step.latencyMs.p99} ms, ` +
          `server CPU ${step.serverCpuPercent}%, RSS ${step.serverRssMiB} MiB, generator loop p99 ${step.generatorLoopDelayP99Ms} ms` +
          (step.meterBroadcastHz && step.meterRefreshHz
            ? `, meter broadcasts min ${step.meterBroadcastHz.min} Hz, pairs min ${step.meterRefreshHz.min} / p50 ${step.meterRefreshHz.p50} Hz`
            : "") +
          `, load average ${loadAverage().join(" ")}: ${step.verdict}`,
      );
      if (!step.pass) {
        run.stoppedBecause = `${step.players} players: ${step.verdict}`;
        break;
      }
      run.capacityPlayers = step.players;
      if (server.child.exitCode !== null) throw new Error(`the ${label} server exited (code ${server.child.exitCode})`);
      await sleep(1_000);
    }
  } catch (error) {
    run.error = error instanceof Error ? error.message : String(error);
    run.stoppedBecause = `harness error: ${run.error}`;
  } finally {
    await Promise.all(generators.map((generator) => stopChild(generator.child, 3_000)));
    if (server) await stopChild(server.child, 8_000);
  }
  return run;
}

/** The comparison's ladders that failed to run (not a server breaking: a harness error), or undefined. */
function brokenLadders(comparison: ComparisonData): string | undefined {
  const broken = comparison.runs.filter((run) => run.error);
  return broken.length > 0 ? broken.map((run) => `${run.target} (rooms of ${run.playersPerRoom}): ${run.error}`).join("; ") : undefined;
}

export async function runServerSection(options: ServerOptions): Promise<ServerSectionData> {
  const common: Pick<ServerSectionData, "idle" | "idleError" | "generators" | "measureMs" | "secondsPerRound"> = {
    idle: null,
    generators: options.generators,
    measureMs: options.measureMs,
    secondsPerRound: options.secondsPerRound,
  };
  if (options.parts === "comparison") {
    // The comparison alone (`--only server.comparison`, with BENCH_COMPARISON to pick ladders).
    const comparison = await runComparison(options);
    const comparisonError = brokenLadders(comparison);
    return {
      ...common,
      comparison,
      ...(comparisonError ? { comparisonError } : {}),
      capacityRatio: null,
      capacity: { game: null, relay: null, ratio: null },
      reference: REFERENCE,
    };
  }
  try {
    common.idle = await runServerIdle(options);
  } catch (error) {
    common.idleError = error instanceof Error ? error.message : String(error);
    options.log(`server idle: FAILED ${common.idleError}`);
  }
  const { idle, idleError } = common;
  if (options.parts === "idle") {
    if (!idle) throw new Error(`server idle: ${idleError}`);
    return { ...common, capacityRatio: null, capacity: { game: null, relay: null, ratio: null }, reference: REFERENCE };
  }
  const game = await runLadder("game", options, options.budgetMs / 2);
  const relay = await runLadder("relay", options, options.budgetMs / 2);
  if (game.error && relay.error) throw new Error(`both targets failed: ${game.error}; ${relay.error}`);
  let comparison: ComparisonData | undefined;
  let comparisonError: string | undefined;
  try {
    comparison = await runComparison(options);
    comparisonError = brokenLadders(comparison);
  } catch (error) {
    comparisonError = error instanceof Error ? error.message : String(error);
    options.log(`comparison: FAILED ${comparisonError}`);
  }
  const ratio = (a: number | null | undefined, b: number | null | undefined) => (a && b ? round(a / b, 2) : null);
  const capacityRatio = ratio(game.capacityPlayers, relay.capacityPlayers);
  return {
    ...common,
    game,
    relay,
    capacityRatio,
    capacity: { game: game.capacityPlayers, relay: relay.capacityPlayers, ratio: capacityRatio },
    reference: REFERENCE,
    ...(comparison ? { comparison } : {}),
    ...(comparisonError ? { comparisonError } : {}),
  };
}

/**
 * The comparison's one workload, the same for all three servers (bench/README.md, "The game
 * server against the field"): rooms of 4 and of 8 (joined through each server's own join), each
 * player sends its live meter 10 times a second and one acked award per round after its hold;
 * the room sends the members' meters at 10 Hz (the relay: each sample at once); the round
 * changes every 20 s (the game server: its own round of `secondsPerRound` plus its screens in
 * between; Colyseus: `this.clock`; the relay has no rounds, its players award every 20 s).
 */
export const PARTY_WORKLOAD = {
  roomSizes: [4, 8],
  meterPerSecond: EVENTS_PER_PLAYER_PER_SECOND,
  fanOutHz: 1000 / METER_TICK_MS,
  roundMs: 20_000,
  awardsPerPlayerPerRound: 1,
  p99LimitMs: P99_LIMIT_MS,
} as const;

/**
 * The game server with one wire setting changed (issue 22, part 2), measured after the three
 * servers, on rooms of 8 only: the `game` rows are the server as production runs it (ws with
 * bufferutil's native masking, the JSON parser, no compression). Each is the same bundle with
 * `env` added to its process's environment only (startGameServer.ts reads the BENCH_* ones; ws
 * reads WS_NO_BUFFER_UTIL); `socketParser`: the generators' socket.io-client uses it too.
 */
export type GameVariant = "game-no-bufferutil" | "game-msgpack" | "game-deflate" | "game-redis" | "game-redis-owner";
export const GAME_VARIANTS: Readonly<
  Record<
    GameVariant,
    {
      env: Readonly<Record<string, string>>;
      socketParser?: "msgpack";
      /** game-redis: processes behind one Redis. */
      processes?: number;
      /** game-redis-owner: every player on its room's owner (generator.ts, setupGameRoom). */
      playersOnOwner?: boolean;
    }
  >
> = {
  "game-no-bufferutil": { env: { WS_NO_BUFFER_UTIL: "1" } },
  "game-msgpack": { env: { BENCH_SOCKET_PARSER: "msgpack" }, socketParser: "msgpack" },
  "game-deflate": { env: { BENCH_PER_MESSAGE_DEFLATE: "1" } },
  // Issue 22, part 3: what scale-out costs. Two processes with REDIS_URL (BENCH_REDIS_URL), both
  // on the server's core, the redis-server on the generators'; rooms owned by each in turn, half
  // of every room's players on the other process (generator.ts, setupGameRoom).
  "game-redis": { env: {}, processes: 2 },
  // The same two processes with every player on its room's owner, as a balancer that routes by
  // room code would place them: what the adapter's broadcasts cost when nothing is forwarded.
  "game-redis-owner": { env: {}, processes: 2, playersOnOwner: true },
};
const GAME_VARIANT_NAMES = Object.keys(GAME_VARIANTS) as GameVariant[];
/** The variants' room size: the larger party's, where the wire carries the most per player. */
export const GAME_VARIANT_ROOM_SIZE = 8;

export type ComparisonTarget = "game" | "colyseus" | "relay" | GameVariant;

const isGameVariant = (target: ComparisonTarget): target is GameVariant => Object.prototype.hasOwnProperty.call(GAME_VARIANTS, target);
/** The generators' client for a target: a game variant is driven as the game server. */
const loadModeOf = (target: ComparisonTarget): LoadMode => (isGameVariant(target) ? "game" : target);

export interface ComparisonRun {
  target: ComparisonTarget;
  playersPerRoom: number;
  /** How the server ran (variants: the environment added, bundle and node flags). */
  launch: string;
  /** The game server and its variants: the wire settings it reported (startGameServer.ts, describeWire). */
  wire?: string;
  steps: CapacityStep[];
  /** Players in the largest step that passed the rule; null if none did. */
  capacityPlayers: number | null;
  /** The ladder ended on the generators (their event loop), not the server: capacity is at least capacityPlayers. */
  generatorBound: boolean;
  /**
   * The ladder ended before any step failed (its time budget, or its last step passed): no
   * breaking point was found, capacity is at least capacityPlayers.
   */
  openEnded?: boolean;
  stoppedBecause: string;
  idleRssMiB: number | null;
  /** At the largest passing step: server CPU (% of one core) per 1,000 events/s the players sent. */
  cpuPerThousandEventsPerSecond: number | null;
  /** At the largest passing step: TCP payload bytes per player per second, both ways. */
  wireBytesPerPlayerPerSecond: number | null;
  /** At the largest passing step: (RSS - idle RSS) per 1,000 players, MiB. */
  rssPerThousandPlayersMiB: number | null;
  /** game-redis, at the largest passing step: the redis-server's CPU per 1,000 events/s (not in cpuPerThousandEventsPerSecond). */
  redisCpuPerThousandEventsPerSecond?: number | null;
  /** game-redis, at the largest passing step: p99 of what crossed processes (award acks; meter fan-out beyond the tick). */
  crossProcess?: { ackP99Ms: number; fanOutP99Ms: number | null };
  /** game-redis, at the largest passing step: Redis's commands and bytes per second, per 1,000 events/s the players sent (the scale-out projection's input). */
  redisTrafficPerThousandEventsPerSecond?: { commandsPerSecond: number; inputBytesPerSecond: number; outputBytesPerSecond: number };
  error?: string;
}

export interface ComparisonData {
  workload: typeof PARTY_WORKLOAD & { roundMsThisRun: number; gameSecondsPerRound: number };
  /** `taskset` placement of the server under test and of the generators, or why there was none. */
  pinning: string;
  generators: number;
  measureMs: number;
  playerLadder: number[];
  runs: ComparisonRun[];
}

const COMPARISON_BUNDLES: Record<Exclude<ComparisonTarget, GameVariant>, { entry: string; bundle: string }> = {
  game: { entry: "bench/server/startGameServer.ts", bundle: "dist/bench/game-server.mjs" },
  colyseus: { entry: "bench/server/colyseus/server.ts", bundle: "dist/bench/colyseus-server.mjs" },
  relay: { entry: "bench/server/bareRelay.ts", bundle: "dist/bench/bare-relay.mjs" },
};
const SERVER_CPU = 0;
const GENERATOR_CPU = 1;

/** Whether `taskset` can place processes on CPUs 0 and 1; why not, otherwise. */
function pinningAvailable(): string | null {
  if (os.cpus().length < 2) return "not pinned: fewer than 2 CPUs";
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore", timeout: 5_000 });
  } catch {
    return "not pinned: taskset (util-linux) not available";
  }
  return null;
}

/** Every thread of `pid` on `cpu` (threads it starts later inherit it). */
function pin(pid: number, cpu: number): void {
  execFileSync("taskset", ["-a", "-p", "-c", String(cpu), String(pid)], { stdio: "ignore", timeout: 5_000 });
}

/** A comparison target as started: its (first) process and URL; game-redis: every process and the redis-server too. */
interface StartedTarget {
  child: ChildProcess;
  url: string;
  launch: string;
  wire?: string;
  /** Every server process (one, or game-redis's two). */
  children: ChildProcess[];
  urls: string[];
  redis?: RedisProcess;
}

/** A free loopback TCP port (for the redis-server). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function startComparisonTarget(target: ComparisonTarget, roundMs: number, pinned: boolean, log: (line: string) => void): Promise<StartedTarget> {
  const { bundle } = COMPARISON_BUNDLES[isGameVariant(target) ? "game" : target];
  const variant = isGameVariant(target) ? GAME_VARIANTS[target] : null;
  const processes = variant?.processes ?? 1;
  let redis: RedisProcess | undefined;
  if (processes > 1) {
    if (!redisServerInstalled()) throw new Error("redis-server is not installed: `apt-get install -y redis-server` (.ci/run installs it)");
    redis = await startRedis(await freePort());
    if (pinned) pin(redis.pid, GENERATOR_CPU);
    log(`comparison: ${target}: redis-server pid ${redis.pid} at ${redis.url}`);
  }
  const variantEnv = { ...(variant?.env ?? {}), ...(redis ? { BENCH_REDIS_URL: redis.url } : {}) };
  // The node flags production runs with (package.json "serve"), --expose-gc for the memory probe.
  const nodeArgs = ["--expose-gc", ...productionTarget().nodeArgs];
  const children: ChildProcess[] = [];
  try {
    const started = await Promise.all(
      Array.from({ length: processes }, async (_, index) => {
        const began = Date.now();
        const child = spawnNode(path.join(REPO_ROOT, bundle), {
          ipc: true,
          nodeArgs,
          env: { BENCH_ROUND_MS: String(roundMs), ...variantEnv },
          logPrefix: `[${target} server${processes > 1 ? ` ${index + 1}` : ""}] `,
        });
        children.push(child);
        if (pinned) pin(child.pid!, SERVER_CPU);
        const ready = await readyPort(child, bundle);
        // Threads started before the first pin landed.
        if (pinned) pin(child.pid!, SERVER_CPU);
        log(`comparison: ${target} server pid ${child.pid}, port ${ready.port}, started in ${Date.now() - began} ms${ready.wire ? `; ${ready.wire}` : ""}`);
        return { child, ...ready };
      }),
    );
    const envWords = Object.entries(variantEnv).map(([name, value]) => `${name}=${value}`);
    const first = started[0]!;
    return {
      child: first.child,
      url: `http://127.0.0.1:${first.port}`,
      launch: `${processes > 1 ? `${processes} x ` : ""}${[...envWords, "node", ...nodeArgs, bundle].join(" ")}`,
      ...(first.wire ? { wire: first.wire } : {}),
      children: started.map((process) => process.child),
      urls: started.map((process) => `http://127.0.0.1:${process.port}`),
      ...(redis ? { redis } : {}),
    };
  } catch (error) {
    await Promise.all(children.map((child) => stopChild(child, 8_000)));
    await redis?.stop();
    throw error;
  }
}

async function stopComparisonTarget(target: StartedTarget): Promise<void> {
  await Promise.all(target.children.map((child) => stopChild(child, 8_000)));
  await target.redis?.stop();
}

/**
 * BENCH_SERVER_CPU_PROF=DIR: V8's CPU profile of every server process during each step's
 * measured window (not start-up or set-up), as DIR/<target>-<room>-<players>-p<process>.cpuprofile;
 * read them with bench/server/profile.ts's summary or DevTools.
 */
function profileWindow(children: ChildProcess[], name: string): { opened(): Promise<void>; closed(): Promise<void> } | undefined {
  const dir = process.env.BENCH_SERVER_CPU_PROF;
  if (!dir) return undefined;
  mkdirSync(dir, { recursive: true });
  return {
    opened: async () => {
      await Promise.all(children.map((child) => askProfiler(child, { type: "profile", action: "start", intervalUs: 500 }, "started")));
    },
    closed: async () => {
      await Promise.all(
        children.map((child, index) =>
          askProfiler(child, { type: "profile", action: "stop", file: path.join(dir, `${name}-p${index + 1}.cpuprofile`) }, "written"),
        ),
      );
    },
  };
}

async function runComparisonLadder(
  target: ComparisonTarget,
  playersPerRoom: number,
  options: ServerOptions,
  playerLadder: number[],
  roundMs: number,
  pinned: boolean,
  budgetMs: number,
): Promise<ComparisonRun> {
  const label = `${target}, rooms of ${playersPerRoom}`;
  const run: ComparisonRun = {
    target,
    playersPerRoom,
    launch: "",
    steps: [],
    capacityPlayers: null,
    generatorBound: false,
    openEnded: true,
    stoppedBecause: "ladder finished",
    idleRssMiB: null,
    cpuPerThousandEventsPerSecond: null,
    wireBytesPerPlayerPerSecond: null,
    rssPerThousandPlayersMiB: null,
  };
  const generators: Generator[] = [];
  let server: StartedTarget | null = null;
  const mode = loadModeOf(target);
  const socketParser = isGameVariant(target) ? GAME_VARIANTS[target].socketParser : undefined;
  try {
    server = await startComparisonTarget(target, roundMs, pinned, options.log);
    run.launch = server.launch;
    if (server.wire) run.wire = server.wire;
    const deadline = Date.now() + budgetMs;
    for (let index = 0; index < options.generators; index++) {
      const generator = forkGenerator(index);
      if (pinned) pin(generator.child.pid!, GENERATOR_CPU);
      generators.push(generator);
    }
    await sleep(1_000);
    const idleRss = server.children.map((child) => readProc(child.pid!)?.rssBytes ?? null);
    run.idleRssMiB = idleRss.includes(null) ? null : mib(idleRss.reduce<number>((sum, bytes) => sum + bytes!, 0));
    let passed: CapacityStep | null = null;
    for (const [stepIndex, players] of playerLadder.entries()) {
      const rooms = Math.max(1, Math.round(players / playersPerRoom));
      const estimateMs = (mode === "game" ? 7_000 : 2_000) + options.measureMs + 4_000 + rooms * 15 * playersPerRoom;
      if (Date.now() + estimateMs > deadline) {
        run.stoppedBecause = `time budget reached before ${players} players`;
        break;
      }
      options.log(`comparison ${label}: ${rooms} rooms = ${rooms * playersPerRoom} players ...`);
      const serverPids = server.children.map((child) => child.pid!);
      const step = await runStep(
        mode,
        server.url,
        serverPids,
        generators,
        rooms,
        stepIndex,
        options,
        P99_LIMIT_MS,
        profileWindow(server.children, `${target}-${playersPerRoom}-${players}`),
        {
          playersPerRoom,
          roundMs,
          ...(socketParser ? { socketParser } : {}),
          ...(server.redis ? { urls: server.urls, redis: { pid: server.redis.pid, url: server.redis.url } } : {}),
          ...(isGameVariant(target) && GAME_VARIANTS[target].playersOnOwner ? { playersOnOwner: true } : {}),
        },
      );
      run.steps.push(step);
      const crossed = step.crossProcess
        ? `cross-process ack p99 ${step.crossProcess.ackMs.p99} ms, fan-out p99 ${step.crossProcess.fanOutP99Ms} ms, ` +
          `servers ${step.serverCpuPercentByProcess?.join("+")}% and redis ${step.redisCpuPercent}% CPU, `
        : "";
      options.log(
        `comparison ${label}: ${step.players} players: ack p99 ${step.ackMs?.p99} ms, fan-out p99 ${step.fanOutP99Ms} ms, ${crossed}` +
          `server CPU ${step.serverCpuPercent}% (kernel ${step.serverSystemCpuPercent}%), RSS ${step.serverRssMiB} MiB, ${step.wireBytesPerPlayerPerSecond} B/player/s, ` +
          `generator loop p99 ${step.generatorLoopDelayP99Ms} ms, load average ${loadAverage().join(" ")}: ${step.verdict}`,
      );
      if (!step.pass) {
        run.generatorBound = step.generatorBound === true;
        run.openEnded = false;
        run.stoppedBecause = `${step.players} players: ${step.verdict}`;
        break;
      }
      passed = step;
      run.capacityPlayers = step.players;
      const exited = server.children.find((child) => child.exitCode !== null);
      if (exited) throw new Error(`the ${target} server exited (code ${exited.exitCode})`);
      await sleep(1_000);
    }
    if (passed) {
      run.cpuPerThousandEventsPerSecond = passed.serverCpuPerThousandEventsPerSecond;
      if (passed.redisCpuPercent !== undefined && passed.redisCpuPercent !== null && passed.incomingEventsPerSecond > 0) {
        run.redisCpuPerThousandEventsPerSecond = round((passed.redisCpuPercent / passed.incomingEventsPerSecond) * 1000, 2);
      }
      if (passed.crossProcess) run.crossProcess = { ackP99Ms: passed.crossProcess.ackMs.p99, fanOutP99Ms: passed.crossProcess.fanOutP99Ms };
      if (passed.redisTraffic && passed.incomingEventsPerSecond > 0) {
        const perThousand = (value: number) => round((value / passed.incomingEventsPerSecond) * 1000, 0) ?? 0;
        run.redisTrafficPerThousandEventsPerSecond = {
          commandsPerSecond: perThousand(passed.redisTraffic.commandsPerSecond),
          inputBytesPerSecond: perThousand(passed.redisTraffic.inputBytesPerSecond),
          outputBytesPerSecond: perThousand(passed.redisTraffic.outputBytesPerSecond),
        };
      }
      run.wireBytesPerPlayerPerSecond = passed.wireBytesPerPlayerPerSecond ?? null;
      run.rssPerThousandPlayersMiB =
        passed.serverRssMiB !== null && run.idleRssMiB !== null ? round(((passed.serverRssMiB - run.idleRssMiB) / passed.players) * 1000, 1) : null;
    }
  } catch (error) {
    run.error = error instanceof Error ? error.message : String(error);
    run.stoppedBecause = `harness error: ${run.error}`;
  } finally {
    await Promise.all(generators.map((generator) => stopChild(generator.child, 3_000)));
    if (server) await stopComparisonTarget(server);
  }
  return run;
}

export interface ComparisonOptions {
  playerLadder: number[];
  /** Per ladder (target x room size), not counting server start-up. */
  ladderBudgetMs: number;
  /** Rounds for Colyseus and the relay's awards (the workload's 20 s; shorter in smoke mode). */
  roundMs: number;
  /** Default: all three. */
  targets?: Exclude<ComparisonTarget, GameVariant>[];
  roomSizes?: number[];
  /** Run after the targets, on rooms of GAME_VARIANT_ROOM_SIZE. Default: all of GAME_VARIANTS. */
  gameVariants?: GameVariant[];
  /** Only these ladders, in this order (BENCH_COMPARISON); replaces targets, roomSizes and gameVariants. */
  ladders?: { target: ComparisonTarget; playersPerRoom: number }[];
}

const COMPARISON_TARGETS: readonly ComparisonTarget[] = ["game", "colyseus", "relay", ...GAME_VARIANT_NAMES];

/**
 * BENCH_COMPARISON="game:8,game-redis": only those ladders (a target, or target:room size; a
 * target alone: its default sizes). For measuring one change against its baseline in one run.
 */
export function parseComparisonLadders(value: string): { target: ComparisonTarget; playersPerRoom: number }[] {
  return value
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean)
    .flatMap((entry) => {
      const [name, size] = entry.split(":");
      const target = COMPARISON_TARGETS.find((known) => known === name);
      if (!target) throw new Error(`BENCH_COMPARISON: unknown target "${name}" (known: ${COMPARISON_TARGETS.join(", ")})`);
      const sizes = size !== undefined ? [Number(size)] : isGameVariant(target) ? [GAME_VARIANT_ROOM_SIZE] : [...PARTY_WORKLOAD.roomSizes];
      if (sizes.some((players) => !Number.isInteger(players) || players < 2 || players > 8))
        throw new Error(`BENCH_COMPARISON: bad room size in "${entry}" (2 to 8)`);
      return sizes.map((playersPerRoom) => ({ target, playersPerRoom }));
    });
}

/**
 * BENCH_COMPARISON picks ladders (parseComparisonLadders); BENCH_COMPARISON_PLAYERS="320,640"
 * replaces the steps of players (to look at one size, with BENCH_SERVER_CPU_PROF say).
 */
export function comparisonOptions(smoke: boolean, env: NodeJS.ProcessEnv = process.env): ComparisonOptions {
  const ladders = env.BENCH_COMPARISON ? { ladders: parseComparisonLadders(env.BENCH_COMPARISON) } : {};
  const players = env.BENCH_COMPARISON_PLAYERS?.split(",").map(Number);
  if (players?.some((count) => !Number.isInteger(count) || count < 1))
    throw new Error(`BENCH_COMPARISON_PLAYERS=${env.BENCH_COMPARISON_PLAYERS}: players, comma-separated`);
  const steps = players ? { playerLadder: players } : {};
  return smoke
    ? // game-redis-owner differs from game-redis by one flag: CI's smoke run keeps its ~40 s.
      {
        playerLadder: [16],
        ladderBudgetMs: 30_000,
        roundMs: 5_000,
        gameVariants: GAME_VARIANT_NAMES.filter((name) => name !== "game-redis-owner"),
        ...ladders,
        ...steps,
      }
    : {
        playerLadder: [40, 80, 160, 320, 480, 640, 800, 960, 1200, 1600, 2000, 2400],
        ladderBudgetMs: 150_000,
        roundMs: PARTY_WORKLOAD.roundMs,
        ...ladders,
        ...steps,
      };
}

/**
 * The game server, Colyseus and the bare relay on the party workload, rooms of 4 then 8, then
 * the game server's wire variants (GAME_VARIANTS) on rooms of 8; each server freshly started per ladder.
 */
export async function runComparison(options: ServerOptions, comparison: ComparisonOptions = comparisonOptions(options.smoke)): Promise<ComparisonData> {
  const notPinned = pinningAvailable();
  const pinned = notPinned === null;
  for (const { entry, bundle } of Object.values(COMPARISON_BUNDLES)) await bundleServer(entry, bundle);
  const ladders = comparison.ladders ?? [
    ...(comparison.targets ?? (["game", "colyseus", "relay"] as const)).flatMap((target) =>
      (comparison.roomSizes ?? PARTY_WORKLOAD.roomSizes).map((playersPerRoom) => ({ target, playersPerRoom })),
    ),
    ...(comparison.gameVariants ?? GAME_VARIANT_NAMES).map((target) => ({ target, playersPerRoom: GAME_VARIANT_ROOM_SIZE })),
  ];
  const runs: ComparisonRun[] = [];
  for (const { target, playersPerRoom } of ladders) {
    runs.push(await runComparisonLadder(target, playersPerRoom, options, comparison.playerLadder, comparison.roundMs, pinned, comparison.ladderBudgetMs));
  }
  return {
    workload: { ...PARTY_WORKLOAD, roundMsThisRun: comparison.roundMs, gameSecondsPerRound: options.secondsPerRound },
    pinning: notPinned ?? `server under test on CPU ${SERVER_CPU}, load generators on CPU ${GENERATOR_CPU} (taskset -a)`,
    generators: options.generators,
    measureMs: options.measureMs,
    playerLadder: comparison.playerLadder,
    runs,
  };
}
