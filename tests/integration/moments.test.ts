// Best moments (issue 24) over the real server (Socket.IO on loopback, embedded database): a
// still is taken only from a player of the match, only while its results are shown, only as a
// small JPEG or WebP data URL; it reaches every member, a member who comes back gets the set,
// it leaves with a player who leaves the room, and it is never written anywhere: not the saved
// match, not DATA_DIR, not a log line (the server logs at debug here). Leaving the results drops them.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { io as connect } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_MOMENT_IMAGE_CHARS, type ServerPayload } from "@/core/protocol";
import { startPoseServer, type RunningServer } from "@/server/app";
import { loadConfig } from "@/server/config";
import { expectOk, holdPose, nextRoomState, send, sendRaw, type TestClient } from "./support";

// Valid base64 that no real picture, log field or database page would hold by chance.
const MARKER = "BestMomentMarkerZ9q";
const still = (who: string) => `data:image/jpeg;base64,/9j/${MARKER}${who}${"A".repeat(4_000)}`;

let server: RunningServer;
let dataDir: string;
let logText = "";
const clients: TestClient[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "poseparty-moments-"));
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logText += chunk.toString("utf8");
      done();
    },
  });
  const config = loadConfig({
    NODE_ENV: "test",
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    LOG_LEVEL: "debug",
    SILENT_AFTER_MS: "0",
    ALLOW_TEST_PLAYLISTS: "true",
  });
  server = await startPoseServer({ config, logger: pino({ level: "debug" }, destination), withNext: false });
});

afterAll(async () => {
  for (const client of clients) client.disconnect();
  await server?.close();
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

/** Resolves with the next "game:moments" that satisfies the predicate. */
function nextMoments(client: TestClient, predicate: (payload: ServerPayload<"game:moments">) => boolean = () => true, timeoutMs = 4000) {
  return new Promise<ServerPayload<"game:moments">>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off("game:moments", listener);
      reject(new Error("timed out waiting for game:moments"));
    }, timeoutMs);
    const listener = (payload: ServerPayload<"game:moments">) => {
      if (!predicate(payload)) return;
      clearTimeout(timer);
      client.off("game:moments", listener);
      resolve(payload);
    };
    client.on("game:moments", listener);
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

describe("best moments", () => {
  it("are shared with the room during the results only, never stored or logged, and dropped after", { timeout: 90_000 }, async () => {
    const [ana, bo, cy, dee, stranger] = [await connectClient(), await connectClient(), await connectClient(), await connectClient(), await connectClient()];
    const created = expectOk(await send(ana, "room:create", { nickname: "Ana" }));
    const code = created.room.code;
    const boJoined = expectOk(await send(bo, "room:join", { roomCode: code, nickname: "Bo" }));
    const cyJoined = expectOk(await send(cy, "room:join", { roomCode: code, nickname: "Cy" }));
    const playing = nextRoomState(ana, (room) => room.phase === "playing", 10_000);
    expectOk(await send(ana, "game:start", { testPlaylist: "pose-only" }));
    for (const client of [ana, bo, cy]) expectOk(await send(client, "preload:progress", { percent: 100, status: "ready" }));
    const started = await playing;

    // During play: no moments yet, and a member who joins now only watches.
    expect(await send(ana, "game:moment", { image: still("Ana") })).toMatchObject({ ok: false, code: "wrong_phase" });
    const deeJoined = expectOk(await send(dee, "room:join", { roomCode: code, nickname: "Dee" }));
    expect(deeJoined.room.members.find((member) => member.id === deeJoined.playerId)?.role).toBe("spectator");
    expect(await send(stranger, "game:moment", { image: still("X") })).toMatchObject({ ok: false, code: "not_in_room" });

    // Bo scores round 1, so the saved match has something in it.
    const round0 = started.game!.timeline!.rounds[0]!;
    await pause(Math.max(0, round0.startsAt - Date.now()) + 100);
    await holdPose(bo, 0, 0.96);
    expectOk(await send(bo, "game:score", { roundIndex: 0, similarity: 0.95, award: "perfect" }));
    const ended = await nextRoomState(ana, (room) => room.phase === "results", Math.max(0, started.game!.timeline!.endsAt - Date.now()) + 20_000);
    const { matchId } = ended.game!.results!;

    // Refused: too large (at the boundary, before parsing), not an image data URL, a spectator's.
    expect(await sendRaw(ana, "game:moment", { image: `data:image/jpeg;base64,${"A".repeat(MAX_MOMENT_IMAGE_CHARS + 500)}` })).toMatchObject({
      ok: false,
      code: "payload_too_large",
    });
    const notAnImage = await sendRaw(ana, "game:moment", { image: `data:image/svg+xml;base64,${MARKER}` });
    expect(notAnImage).toMatchObject({ ok: false, code: "invalid_payload" });
    expect((notAnImage as { message: string }).message).toMatch(/JPEG or WebP data URL/);
    expect(await send(dee, "game:moment", { image: still("Dee") })).toMatchObject({ ok: false, code: "spectator" });

    // Ana's still reaches every member, herself and the spectator included (after a second: the
    // refusals above spent her budget of two a second).
    await pause(1_100);
    const seen = [ana, bo, cy, dee].map((client) => nextMoments(client, ({ moments }) => moments.some((moment) => moment.playerId === created.playerId)));
    expectOk(await send(ana, "game:moment", { image: still("Ana") }));
    for (const payload of await Promise.all(seen)) {
      expect(payload).toEqual({ matchId, moments: [{ playerId: created.playerId, image: still("Ana") }] });
    }
    const boSeen = nextMoments(cy, ({ moments }) => moments.some((moment) => moment.playerId === boJoined.playerId));
    expectOk(await send(bo, "game:moment", { image: still("Bo") }));
    await boSeen;

    // Cy shares nothing (setting off). Its phone drops and comes back: it gets the set with its seat.
    cy.disconnect();
    const cyAgain = await connectClient();
    const set = nextMoments(cyAgain);
    expectOk(await send(cyAgain, "room:join", { roomCode: code, nickname: "Cy", sessionToken: cyJoined.sessionToken }));
    const rejoined = await set;
    expect(rejoined.matchId).toBe(matchId);
    expect(rejoined.moments).toHaveLength(2);
    expect(new Map(rejoined.moments.map((moment) => [moment.playerId, moment.image]))).toEqual(
      new Map([
        [created.playerId, still("Ana")],
        [boJoined.playerId, still("Bo")],
      ]),
    );

    // Ana withdraws hers (she turned sharing off on the results screen).
    await pause(1_100);
    const withdrawn = nextMoments(bo, ({ moments }) => moments.some((moment) => moment.image === null));
    expectOk(await send(ana, "game:moment", { image: null }));
    expect((await withdrawn).moments).toEqual([{ playerId: created.playerId, image: null }]);
    expect(server.realtime.hub.room(code)?.momentCount).toBe(1);

    // Bo leaves the room: his still leaves with him.
    const boGone = nextMoments(cyAgain, ({ moments }) => moments.some((moment) => moment.playerId === boJoined.playerId && moment.image === null));
    expectOk(await send(bo, "room:leave", {}));
    await boGone;
    expect(server.realtime.hub.room(code)?.momentCount).toBe(0);
    await pause(1_100);
    expectOk(await send(ana, "game:moment", { image: still("Ana") }));
    expect(server.realtime.hub.room(code)?.momentCount).toBe(1);

    // Never written: the saved match, every file in DATA_DIR (database included), the log.
    expect(ended.game?.results?.save).toBe("saved");
    const saved = await server.store.getMatch(matchId);
    expect(saved).not.toBeNull();
    expect(JSON.stringify(saved)).not.toContain(MARKER);
    const files = await filesUnder(dataDir);
    expect(files.some((file) => file.includes(`${path.sep}pglite${path.sep}`))).toBe(true);
    for (const file of files) {
      expect((await readFile(file)).includes(MARKER), file).toBe(false);
    }
    expect(logText).toContain("event rejected"); // the log was written, at debug
    expect(logText).not.toContain(MARKER);
    expect(logText).not.toContain("data:image");

    // Back in the room: the moments are gone, and none is taken any more.
    const chatting = nextRoomState(cyAgain, (room) => room.phase === "chatting");
    expectOk(await send(ana, "game:returnToChat", {}));
    await chatting;
    expect(server.realtime.hub.room(code)?.momentCount).toBe(0);
    expect(await send(cyAgain, "game:moment", { image: still("Cy") })).toMatchObject({ ok: false, code: "wrong_phase" });
  });
});
