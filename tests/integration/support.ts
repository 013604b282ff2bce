/** Starts the real server (Socket.IO + database, without Next.js) on a random loopback port. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { io as connect, type Socket } from "socket.io-client";
import pino from "pino";
import { afterAll, beforeAll } from "vitest";
import type { FramingStatus } from "@/core/framing";
import { DEFAULT_PLAYLIST } from "@/core/playlist";
import { startPoseServer, type RunningServer } from "@/server/app";
import { loadConfig } from "@/server/config";
import type { Ack, ClientEventName, ClientPayload, ClientToServerEvents, RoomSnapshot, ServerToClientEvents } from "@/core/protocol";

export type TestClient = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface TestServer {
  server: RunningServer;
  url: string;
  clients: TestClient[];
  connectClient(options?: { headers?: Record<string, string> }): Promise<TestClient>;
  stop(): Promise<void>;
}

export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "poseparty-it-"));
  // SILENT_AFTER_MS=0: these clients are not pages and send no heartbeat ("game:alive"), so the
  // room's silence watch would show them reconnecting; it has its own tests (unit: game-room,
  // end to end: network-game). A test may turn it on with its env.
  const config = loadConfig({ NODE_ENV: "test", PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "silent", SILENT_AFTER_MS: "0", ...env });
  const server = await startPoseServer({ config, logger: pino({ level: "silent" }), withNext: false });
  const clients: TestClient[] = [];
  return {
    server,
    url: server.url,
    clients,
    async connectClient(options = {}) {
      const client: TestClient = connect(server.url, {
        transports: ["websocket"],
        forceNew: true,
        reconnection: false,
        extraHeaders: options.headers,
      });
      clients.push(client);
      await new Promise<void>((resolve, reject) => {
        client.once("connect", () => resolve());
        client.once("connect_error", reject);
      });
      return client;
    },
    async stop() {
      for (const client of clients) client.disconnect();
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A test server for the enclosing `describe`: started before its tests, stopped after them.
 * Returns a getter for use inside the tests.
 */
export function useTestServer(env: Record<string, string> = {}): () => TestServer {
  let harness: TestServer | undefined;
  beforeAll(async () => {
    harness = await startTestServer(env);
  });
  afterAll(async () => {
    await harness?.stop();
  });
  return () => {
    if (!harness) throw new Error("the test server runs only during this describe block's tests");
    return harness;
  };
}

export function send<E extends ClientEventName>(client: TestClient, event: E, payload: ClientPayload<E>): Promise<Ack<E>> {
  const emit = client.timeout(3000).emitWithAck as (name: E, data: ClientPayload<E>) => Promise<Ack<E>>;
  return emit.call(client.timeout(3000), event, payload);
}

/** Sends anything at all, bypassing the typed API: for malformed input. */
export function sendRaw(client: TestClient, event: string, ...args: unknown[]): Promise<unknown> {
  const untyped = client as unknown as { timeout(ms: number): { emitWithAck(event: string, ...args: unknown[]): Promise<unknown> } };
  return untyped.timeout(3000).emitWithAck(event, ...args);
}

/** Fire-and-forget emit of anything, with no acknowledgement callback. */
export function emitRaw(client: TestClient, event: string, ...args: unknown[]): void {
  (client as unknown as { emit(event: string, ...args: unknown[]): void }).emit(event, ...args);
}

/** Resolves with the next room:state that satisfies the predicate. */
export function nextRoomState(client: TestClient, predicate: (room: RoomSnapshot) => boolean, timeoutMs = 4000): Promise<RoomSnapshot> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off("room:state", listener);
      reject(new Error("timed out waiting for room:state"));
    }, timeoutMs);
    const listener = (room: RoomSnapshot) => {
      if (!predicate(room)) return;
      clearTimeout(timer);
      client.off("room:state", listener);
      resolve(room);
    };
    client.on("room:state", listener);
  });
}

export function expectOk<T extends { ok: boolean }>(answer: T): Extract<T, { ok: true }> {
  if (!answer.ok) throw new Error(`expected ok, got ${JSON.stringify(answer)}`);
  return answer as Extract<T, { ok: true }>;
}

/** The host starts a game (the default playlist unless told); resolves with the lobby's first state as `seenBy` gets it. */
export async function startLobby(
  host: TestClient,
  choice: ClientPayload<"game:start"> = { playlist: DEFAULT_PLAYLIST },
  seenBy: TestClient = host,
): Promise<RoomSnapshot> {
  const lobby = nextRoomState(seenBy, (room) => room.phase === "preloading");
  expectOk(await send(host, "game:start", choice));
  return lobby;
}

/** This player's lobby has loaded everything, with the framing check's outcome when given. */
export async function reportReady(client: TestClient, framing?: FramingStatus): Promise<void> {
  expectOk(await send(client, "preload:progress", { percent: 100, status: "ready", ...(framing ? { framing } : {}) }));
}

/**
 * What a real phone sends while holding a pose: live meter samples (no ack) at `similarity`,
 * enough of them and long enough for the server to believe an award that follows
 * (core/game/awardEvidence.ts asks for 5 samples over at least 300 ms). Ends with a round trip
 * so every sample has arrived before the caller's award.
 */
export async function holdPose(client: TestClient, roundIndex: number, similarity: number, { samples = 7, everyMs = 60 } = {}): Promise<void> {
  for (let sample = 0; sample < samples; sample++) {
    if (sample > 0) await new Promise((resolve) => setTimeout(resolve, everyMs));
    client.emit("game:meter", { roundIndex, similarity });
  }
  await send(client, "clock:ping", {});
}
