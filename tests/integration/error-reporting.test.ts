// Error reporting (SENTRY_DSN) end to end, without sentry.io: the DSN points at a small HTTP
// server on loopback standing in for Sentry's ingest endpoint, which records the envelopes the
// real SDK client POSTs. The only fault injected on purpose is the failing socket handler.
import { createServer, type IncomingMessage, type Server } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { io as connect } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startPoseServer, type RunningServer } from "@/server/app";
import { loadConfig } from "@/server/config";
import { createLogger } from "@/server/logger";
import { createErrorReporter, errorTags } from "@/server/observability/errorReporting";
import { expectOk, send, type TestClient } from "./support";

const INGEST_PORT = 3401;

interface SentryEvent {
  tags?: Record<string, string>;
  exception?: { values?: { type?: string; value?: string }[] };
  release?: string;
}

describe("error reporting with SENTRY_DSN", () => {
  let ingest: Server;
  const envelopes: { path: string; events: SentryEvent[] }[] = [];
  let server: RunningServer;
  let dataDir: string;
  const logLines: Record<string, unknown>[] = [];
  const clients: TestClient[] = [];

  beforeAll(async () => {
    ingest = createServer((req, res) => {
      void readBody(req).then((body) => {
        // An envelope is newline-separated JSON: a header, then item header / item payload pairs.
        const lines = body.split("\n").filter((line) => line.length > 0);
        const events: SentryEvent[] = [];
        for (let index = 1; index + 1 < lines.length; index += 2) {
          const itemHeader = JSON.parse(lines[index]!) as { type?: string };
          if (itemHeader.type === "event") events.push(JSON.parse(lines[index + 1]!) as SentryEvent);
        }
        envelopes.push({ path: req.url ?? "", events });
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((resolve) => ingest.listen(INGEST_PORT, "127.0.0.1", resolve));

    dataDir = await mkdtemp(path.join(tmpdir(), "poseparty-it-sentry-"));
    const config = loadConfig({
      NODE_ENV: "test",
      PORT: "0",
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      LOG_LEVEL: "error",
      SENTRY_DSN: `http://publickey@127.0.0.1:${INGEST_PORT}/42`,
    });
    const reporter = await createErrorReporter({ dsn: config.SENTRY_DSN, release: "test", environment: "test" });
    expect(reporter).toBeDefined();
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split("\n")) if (line) logLines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const logger = createLogger(config, { reportError: reporter!.report, destination });
    server = await startPoseServer({ config, logger, withNext: false });
  });

  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await server?.close();
    await new Promise<void>((resolve) => ingest.close(() => resolve()));
    await rm(dataDir, { recursive: true, force: true });
  });

  async function connectClient(): Promise<TestClient> {
    const client: TestClient = connect(server.url, { transports: ["websocket"], forceNew: true, reconnection: false });
    clients.push(client);
    await new Promise<void>((resolve, reject) => {
      client.once("connect", () => resolve());
      client.once("connect_error", reject);
    });
    return client;
  }

  it("a socket handler that throws is reported with the room, player and socket of its log line", async () => {
    const host = await connectClient();
    const friend = await connectClient();
    const created = expectOk(await send(host, "room:create", { nickname: "Host" }));
    const joined = expectOk(await send(friend, "room:join", { roomCode: created.room.code, nickname: "Ana" }));

    // Injected fault: the room's event handling (here the signal relay) fails as a bug would.
    vi.spyOn(server.realtime.hub, "roomMessage").mockImplementation(() => {
      throw new Error("injected failure in the signal relay");
    });
    expect(await send(host, "rtc:signal", { to: joined.playerId, candidate: null })).toMatchObject({ ok: false, code: "internal_error" });

    await vi.waitFor(() => expect(envelopes.flatMap((envelope) => envelope.events)).toHaveLength(1), { timeout: 10_000, interval: 50 });
    const [envelope] = envelopes;
    // Project 42 of the DSN, authenticated with its public key.
    expect(envelope!.path.split("?")[0]).toBe("/api/42/envelope/");
    expect(envelope!.path).toContain("sentry_key=publickey");
    const [event] = envelope!.events;
    expect(event!.exception?.values?.[0]?.value).toBe("injected failure in the signal relay");
    expect(event!.release).toBe("poseparty@test");
    expect(event!.tags).toMatchObject({ roomCode: created.room.code, playerId: created.playerId, event: "rtc:signal" });

    // The tags find the log line.
    const line = logLines.find((candidate) => candidate.msg === "event handler failed");
    expect(line).toMatchObject({ roomCode: created.room.code, playerId: created.playerId, socketId: event!.tags?.socketId, event: "rtc:signal" });
  });
});

describe("error tags", () => {
  it("keep only the ids that lead to log lines, as strings", () => {
    expect(
      errorTags({ roomCode: "ABCDEFG", playerId: "p1", requestId: "req-1", socketId: "s1", event: "game:score", sessionToken: "secret", attempt: 2 }),
    ).toEqual({ roomCode: "ABCDEFG", playerId: "p1", requestId: "req-1", socketId: "s1", event: "game:score" });
  });

  it("without SENTRY_DSN nothing is created", async () => {
    expect(await createErrorReporter({ dsn: undefined, release: "test", environment: "test" })).toBeUndefined();
  });
});

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return (req.headers["content-encoding"] === "gzip" ? gunzipSync(body) : body).toString("utf8");
}
