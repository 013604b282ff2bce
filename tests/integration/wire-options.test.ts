// The bench-only wire settings (startPoseServer's `wire`, issue 22 part 2) reach Socket.IO: with
// socket.io-msgpack-parser and permessage-deflate, clients on the same parser join a room and see
// its state, over a compressed WebSocket. Production never sets them (server/app.ts).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import * as msgpackParser from "socket.io-msgpack-parser";
import { io as connect } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPoseServer, type RunningServer } from "@/server/app";
import { loadConfig } from "@/server/config";
import { expectOk, nextRoomState, send, type TestClient } from "./support";

let server: RunningServer;
let dataDir: string;
const clients: TestClient[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "poseparty-wire-"));
  const config = loadConfig({ NODE_ENV: "test", PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, LOG_LEVEL: "silent", SILENT_AFTER_MS: "0" });
  server = await startPoseServer({
    config,
    logger: pino({ level: "silent" }),
    withNext: false,
    wire: { parser: { Encoder: msgpackParser.Encoder, Decoder: msgpackParser.Decoder }, perMessageDeflate: true },
  });
});

afterAll(async () => {
  for (const client of clients) client.disconnect();
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function connectMsgpackClient(): Promise<TestClient> {
  const client: TestClient = connect(server.url, { transports: ["websocket"], forceNew: true, reconnection: false, parser: msgpackParser });
  clients.push(client);
  await new Promise<void>((resolve, reject) => {
    client.once("connect", () => resolve());
    client.once("connect_error", reject);
  });
  return client;
}

/** The WebSocket extensions the client's connection negotiated (ws's `extensions`, e.g. "permessage-deflate"). */
function negotiatedExtensions(client: TestClient): string {
  const transport = client.io.engine.transport as unknown as { ws?: { extensions?: string } };
  return transport.ws?.extensions ?? "";
}

describe("startPoseServer's wire options (bench only)", () => {
  it("speaks msgpack over a permessage-deflate WebSocket to clients on the same parser", async () => {
    const host = await connectMsgpackClient();
    const friend = await connectMsgpackClient();
    expect(negotiatedExtensions(host)).toContain("permessage-deflate");
    const created = expectOk(await send(host, "room:create", { nickname: "Mina" }));
    const bothIn = nextRoomState(host, (room) => room.members.length === 2);
    const joined = expectOk(await send(friend, "room:join", { roomCode: created.room.code, nickname: "Jun" }));
    expect(joined.room.code).toBe(created.room.code);
    expect((await bothIn).members.map((member) => member.nickname)).toEqual(["Mina", "Jun"]);
    // A payload the schemas refuse is still refused: validation does not depend on the parser.
    expect(await send(friend, "room:create", { nickname: 42 } as unknown as { nickname: string })).toMatchObject({ ok: false, code: "invalid_payload" });
  });
});
