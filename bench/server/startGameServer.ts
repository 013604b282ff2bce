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
 * Tells the parent `{ type: "ready", port }` over IPC and answers its memory requests (protocol.ts);
 * stops on SIGTERM or when the parent goes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startPoseServer } from "../../server/app";
import { loadConfig } from "../../server/config";
import { createLogger } from "../../server/logger";
import { answerMemoryRequests } from "./protocol";

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
});
const logger = createLogger(config);
const server = await startPoseServer({ config, logger, withNext: false });

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
process.send?.({ type: "ready", port: server.port });
