/**
 * The game server for the capacity bench: the real `startPoseServer` (Socket.IO, rate limits,
 * schemas, room machine, scoreboard coalescing) without Next.js, in its own process so its CPU
 * and memory can be read from /proc. Loopback only, a temporary DATA_DIR, and limits raised so
 * one address (the load generator) may hold thousands of sockets: JOIN_RATE_PER_MINUTE,
 * EVENT_RATE_PER_SECOND and MAX_SOCKETS_PER_ADDRESS raised far above any real use. The
 * per-event score limit (12/s) is untouched.
 *
 * Also the idle measurement's server (idle.ts), bundled like the production server.
 *
 * The comparison's game-server variants (section.ts, GAME_VARIANTS) change one wire setting
 * through the environment, which production never reads: BENCH_SOCKET_PARSER=msgpack
 * (socket.io-msgpack-parser), BENCH_PER_MESSAGE_DEFLATE=1 (WebSocket compression on), and ws's
 * own WS_NO_BUFFER_UTIL=1 (ws masks and unmasks frames in JavaScript, not with bufferutil).
 * The Redis variant (game-redis) starts two of these with BENCH_REDIS_URL, which becomes their
 * REDIS_URL: production's scale-out (docs/scale-out.md), each process with its own DATA_DIR.
 *
 * Tells the parent `{ type: "ready", port, wire }` over IPC (`wire`: the settings in effect, see
 * describeWire) and answers its memory requests (protocol.ts); stops on SIGTERM or when the
 * parent goes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { startPoseServer } from "../../server/app";
import { loadConfig } from "../../server/config";
import { createLogger } from "../../server/logger";
import type { RealtimeWireOptions } from "../../server/realtime/socketServer";
import { answerMemoryRequests } from "./protocol";

/** The variant's wire settings from BENCH_SOCKET_PARSER and BENCH_PER_MESSAGE_DEFLATE; unset: Socket.IO's defaults. */
async function benchWireOptions(): Promise<RealtimeWireOptions> {
  const parserName = process.env.BENCH_SOCKET_PARSER || undefined;
  const deflate = process.env.BENCH_PER_MESSAGE_DEFLATE || undefined;
  // A typo must not quietly measure the default server under a variant's name.
  if (parserName !== undefined && parserName !== "msgpack") throw new Error(`BENCH_SOCKET_PARSER=${parserName}: only "msgpack" is known`);
  if (deflate !== undefined && deflate !== "1") throw new Error(`BENCH_PER_MESSAGE_DEFLATE=${deflate}: only "1" is known`);
  // Loaded only when asked for: the idle measurement (idle.ts) runs this file too.
  const msgpack = parserName === "msgpack" ? await import("socket.io-msgpack-parser") : null;
  return {
    ...(msgpack ? { parser: { Encoder: msgpack.Encoder, Decoder: msgpack.Decoder } } : {}),
    ...(deflate ? { perMessageDeflate: true } : {}),
  };
}

/**
 * The wire settings this server runs with, for the report: a variant that did not take effect
 * (bufferutil's prebuilt binary missing, say) shows there instead of passing as measured.
 */
function describeWire(wire: RealtimeWireOptions): string {
  // ws's own test (ws/lib/buffer-util.js): any non-empty value turns bufferutil off.
  const bufferUtil = process.env.WS_NO_BUFFER_UTIL ? "off (WS_NO_BUFFER_UTIL=1)" : bufferUtilKind();
  const redis = process.env.BENCH_REDIS_URL ? "; Redis adapter and presence (REDIS_URL)" : "";
  return `ws bufferutil ${bufferUtil}; parser ${wire.parser ? "socket.io-msgpack-parser" : "JSON (default)"}; permessage-deflate ${wire.perMessageDeflate ? "on" : "off (default)"}${redis}`;
}

/** What `require("bufferutil")` gives ws here: its native binary, or the JavaScript fallback it falls back to when that does not load. */
function bufferUtilKind(): string {
  try {
    const { mask } = createRequire(import.meta.url)("bufferutil") as { mask: () => void };
    return mask.toString().includes("[native code]") ? "native" : "JavaScript fallback";
  } catch {
    return "not installed";
  }
}

// BENCH_DATA_DIR: the idle measurement's own data dir, kept (it starts the server twice on it).
const keptDataDir = process.env.BENCH_DATA_DIR;
const dataDir = keptDataDir ?? mkdtempSync(path.join(os.tmpdir(), "poseparty-bench-data-"));
// Only these settings, not the caller's environment: the bench measures the default single-process
// server (embedded database, no external services), whatever CI or a shell has exported.
const config = loadConfig({
  NODE_ENV: "production",
  HOST: "127.0.0.1",
  PORT: "0",
  DATA_DIR: dataDir,
  LOG_LEVEL: process.env.BENCH_SERVER_LOG_LEVEL ?? "error",
  JOIN_RATE_PER_MINUTE: "10000",
  EVENT_RATE_PER_SECOND: "1000",
  MAX_SOCKETS_PER_ADDRESS: "1000000",
  ROOM_MAX_MEMBERS: "8",
  LEAVE_GRACE_MS: "0",
  // A real deployment's setting, not a test playlist: the generator picks a normal playlist.
  ALLOW_TEST_PLAYLISTS: "false",
  DATABASE_URL: "",
  LIVEKIT_URL: "",
  LIVEKIT_API_KEY: "",
  LIVEKIT_API_SECRET: "",
  ...(process.env.BENCH_REDIS_URL ? { REDIS_URL: process.env.BENCH_REDIS_URL } : {}),
});
const logger = createLogger(config);
const wire = await benchWireOptions();
const server = await startPoseServer({ config, logger, withNext: false, wire });

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  const hardStop = setTimeout(() => process.exit(0), 5_000);
  hardStop.unref();
  try {
    await server.close("shutdown");
  } finally {
    if (!keptDataDir) rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  }
}
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
process.on("disconnect", () => void stop());
answerMemoryRequests();
process.send?.({ type: "ready", port: server.port, wire: describeWire(wire) });
