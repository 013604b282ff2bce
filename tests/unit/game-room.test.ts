// The Room object without a server: a recording transport stands in for Socket.IO, fake timers
// for the clock. Joining, leaving, the reconnect deadline, and every timer gone on dispose.
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createRoom } from "@/core/room";
import type { ErrorCode, ServerEventName } from "@/core/protocol";
import { GameRoom, type RoomClient, type RoomTransport } from "@/server/realtime/gameRoom";
import { toGameSnapshot, toMatchRecord } from "@/server/realtime/matchRecord";

const GRACE_MS = 30_000;
const SILENT_AFTER_MS = 5_000;
const log = pino({ level: "silent" });

interface Recorded {
  admitted: { socketId: string; playerId: string }[];
  evicted: { socketId: string; playerId: string; removed?: ErrorCode }[];
  broadcasts: { event: ServerEventName; payload: unknown }[];
  sent: { socketId: string; event: ServerEventName; payload: unknown }[];
}

function recordingTransport(): RoomTransport & Recorded {
  const recorded: Recorded = { admitted: [], evicted: [], broadcasts: [], sent: [] };
  return {
    ...recorded,
    admit: (client, playerId) => recorded.admitted.push({ socketId: client.id, playerId }),
    evict: (socketId, playerId, removed) => recorded.evicted.push({ socketId, playerId, ...(removed ? { removed } : {}) }),
    sendTo: (socketId, event, payload) => recorded.sent.push({ socketId, event, payload }),
    broadcast: (event, payload) => recorded.broadcasts.push({ event, payload }),
  };
}

function openRoom() {
  const transport = recordingTransport();
  const disposed: string[] = [];
  const created = createRoom({ code: "ABCDEFG", maxMembers: 8, host: { playerId: "host", nickname: "Host" } });
  if (!created.ok) throw new Error(created.error.message);
  const room = new GameRoom(created.state, transport, {
    logger: log,
    leaveGraceMs: GRACE_MS,
    silentAfterMs: SILENT_AFTER_MS,
    preloadTimeoutMs: 45_000,
    allowTestPlaylists: true,
    matches: { save: async () => "saved" },
    onDispose: (gone) => disposed.push(gone.code),
  });
  const host = room.onCreate({ id: "socket-host" }, "host", created.effects, log);
  return { room, transport, disposed, host };
}

function join(room: GameRoom, client: RoomClient, nickname: string, sessionToken?: string) {
  const answer = room.onJoin(client, { nickname, ...(sessionToken ? { sessionToken } : {}) }, log);
  if (!answer.ok) throw new Error(answer.message);
  return answer;
}

describe("a Room without a server", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("seats joining members, tells the room, and frees a seat on leave", () => {
    const { room, transport, host } = openRoom();
    expect(host.room.members.map((member) => member.nickname)).toEqual(["Host"]);
    const ana = join(room, { id: "socket-ana" }, "Ana");
    expect(ana.room.members.map((member) => member.nickname)).toEqual(["Host", "Ana"]);
    expect(transport.admitted).toEqual([
      { socketId: "socket-host", playerId: "host" },
      { socketId: "socket-ana", playerId: ana.playerId },
    ]);
    expect(room.seatOf(ana.playerId)).toMatchObject({ status: "connected", socketId: "socket-ana", sessionToken: ana.sessionToken });
    const lastState = () => transport.broadcasts.filter((sent) => sent.event === "room:state").at(-1)?.payload as { members: { id: string }[] };
    expect(lastState().members).toHaveLength(2);

    expect(room.onLeave(ana.playerId, "socket-ana", true, log)).toEqual({ ok: true });
    expect(room.seatOf(ana.playerId)).toBeUndefined();
    expect(room.state.members.map((member) => member.id)).toEqual(["host"]);
    expect(transport.evicted).toEqual([{ socketId: "socket-ana", playerId: ana.playerId }]);
    expect(lastState().members).toHaveLength(1);
  });

  it("holds a dropped seat until its deadline, gives it back with the token, and frees it after", () => {
    const { room, transport } = openRoom();
    const ana = join(room, { id: "socket-ana" }, "Ana");

    room.onLeave(ana.playerId, "socket-ana", false, log);
    const held = room.seatOf(ana.playerId);
    expect(held).toMatchObject({ status: "reconnecting", sessionToken: ana.sessionToken, until: Date.now() + GRACE_MS });
    expect(room.state.members.find((member) => member.id === ana.playerId)?.connected).toBe(false);

    // Back just before the deadline, from a new connection, with a different nickname typed.
    vi.advanceTimersByTime(GRACE_MS - 1);
    const back = join(room, { id: "socket-ana-2" }, "someone else", ana.sessionToken);
    expect(back).toMatchObject({ playerId: ana.playerId, sessionToken: ana.sessionToken });
    expect(room.seatOf(ana.playerId)).toMatchObject({ status: "connected", socketId: "socket-ana-2" });
    expect(room.state.members.find((member) => member.id === ana.playerId)).toMatchObject({ nickname: "Ana", connected: true });
    // The old deadline does not fire into the resumed seat.
    vi.advanceTimersByTime(GRACE_MS);
    expect(room.state.members).toHaveLength(2);

    // A stale socket's drop does not touch the seat; the holder's drop, left to run out, frees it.
    room.onLeave(ana.playerId, "socket-ana", false, log);
    expect(room.seatOf(ana.playerId)?.status).toBe("connected");
    room.onLeave(ana.playerId, "socket-ana-2", false, log);
    vi.advanceTimersByTime(GRACE_MS);
    expect(room.seatOf(ana.playerId)).toBeUndefined();
    expect(room.state.members.map((member) => member.id)).toEqual(["host"]);
    expect(room.memberForToken(ana.sessionToken)).toBeUndefined();
    expect(transport.evicted).toEqual([]);
  });

  it("gives a seat to the newest tab and tells the older one", () => {
    const { room, transport } = openRoom();
    const ana = join(room, { id: "tab-1" }, "Ana");
    join(room, { id: "tab-2" }, "Ana", ana.sessionToken);
    expect(transport.evicted).toEqual([{ socketId: "tab-1", playerId: ana.playerId, removed: "already_in_room" }]);
    expect(room.socketOf(ana.playerId)).toBe("tab-2");
    expect(room.state.members).toHaveLength(2);
  });

  it("clears every timer on dispose: grace periods, the lobby, the match and the meter ticks", async () => {
    const { room, transport, disposed } = openRoom();
    const ana = join(room, { id: "socket-ana" }, "Ana");
    const bo = join(room, { id: "socket-bo" }, "Bo");
    expect(room.messages["game:start"].handle("host", { testPlaylist: "pose-only" }, log)).toEqual({ ok: true });
    for (const playerId of ["host", ana.playerId]) {
      expect(room.messages["preload:progress"].handle(playerId, { percent: 100, status: "ready" }, log)).toEqual({ ok: true });
    }
    // Bo drops mid-lobby: his seat's grace period runs too.
    room.onLeave(bo.playerId, "socket-bo", false, log);
    expect(room.messages["preload:progress"].handle(bo.playerId, { percent: 100, status: "ready" }, log)).toEqual({ ok: true });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(room.state.phase).toBe("playing");
    expect(room.lane.running).toBe(true);
    room.live["game:meter"].handle(ana.playerId, { roundIndex: 0, similarity: 0.5 });
    // Armed now: the match end, the meter ticker, the silence watch and Bo's grace period.
    expect(room.clock.pending).toBe(4);

    room.onDispose();
    expect(room.clock.pending).toBe(0);
    expect(room.lane.running).toBe(false);
    expect(disposed).toEqual(["ABCDEFG"]);
    const sentBefore = transport.broadcasts.length;
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(transport.broadcasts.length).toBe(sentBefore);
    expect(room.state.members).toHaveLength(3);
  });

  it("shows a member whose link went quiet during play as reconnecting, seat and score kept, until it is heard again", async () => {
    const { room, transport } = openRoom();
    const ana = join(room, { id: "socket-ana" }, "Ana");
    const bo = join(room, { id: "socket-bo" }, "Bo");
    expect(room.messages["game:start"].handle("host", { testPlaylist: "messi-long" }, log)).toEqual({ ok: true });
    for (const playerId of ["host", ana.playerId, bo.playerId]) room.messages["preload:progress"].handle(playerId, { percent: 100, status: "ready" }, log);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(room.state.phase).toBe("playing");
    const member = (playerId: string) => room.state.members.find((candidate) => candidate.id === playerId)!;
    const lastState = () =>
      transport.broadcasts.filter((sent) => sent.event === "room:state").at(-1)?.payload as { members: { id: string; connected: boolean }[] };

    // Host and Ana keep beating (as the page does every second); Bo hides his page (paused, not gone); Ana's link then goes.
    room.messages["game:visibility"].handle(bo.playerId, { hidden: true }, log);
    const beat = (playerId: string) => {
      room.heard(playerId);
      room.live["game:alive"].handle(playerId, {});
    };
    for (let second = 0; second < SILENT_AFTER_MS / 1000 - 1; second++) {
      beat("host");
      beat(ana.playerId);
      await vi.advanceTimersByTimeAsync(1_000);
    }
    expect(member(ana.playerId).connected).toBe(true);
    for (let second = 0; second < SILENT_AFTER_MS / 1000 + 1; second++) {
      beat("host");
      await vi.advanceTimersByTimeAsync(1_000);
    }
    expect(member(ana.playerId)).toMatchObject({ connected: false, role: "player" });
    expect(lastState().members.find((candidate) => candidate.id === ana.playerId)?.connected).toBe(false);
    // Paused is its own state, and the host who kept beating is fine.
    expect(member(bo.playerId)).toMatchObject({ connected: true, paused: true });
    expect(member("host").connected).toBe(true);
    // Still seated on the same socket: no grace period runs, nothing is evicted.
    expect(room.seatOf(ana.playerId)).toMatchObject({ status: "connected", socketId: "socket-ana" });
    expect(transport.evicted).toEqual([]);

    // Her link is back: the first word from her (a meter sample buffered through the gap) brings her back.
    room.heard(ana.playerId);
    expect(member(ana.playerId).connected).toBe(true);
    expect(lastState().members.find((candidate) => candidate.id === ana.playerId)?.connected).toBe(true);
    expect(room.state.members).toHaveLength(3);

    // Quiet again until the match ends: the results show her connected (Socket.IO's heartbeat decides from there).
    await vi.advanceTimersByTimeAsync(SILENT_AFTER_MS + 1_000);
    expect(member(ana.playerId).connected).toBe(false);
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(room.state.phase).toBe("results");
    expect(member(ana.playerId).connected).toBe(true);
  });

  it("plays a relaxed game on the server clock for everyone and records its pace", async () => {
    const { room } = openRoom();
    const ana = join(room, { id: "socket-ana" }, "Ana");
    expect(room.messages["game:start"].handle("host", { testPlaylist: "pose-only", timeScale: 2 }, log)).toEqual({ ok: true });
    expect(room.state.game?.timeScale).toBe(2);
    for (const playerId of ["host", ana.playerId]) {
      expect(room.messages["preload:progress"].handle(playerId, { percent: 100, status: "ready" }, log)).toEqual({ ok: true });
    }
    await vi.advanceTimersByTimeAsync(1_000);
    expect(room.state.phase).toBe("playing");
    const timeline = room.state.game?.match?.timeline;
    // pose-only plays 5 s rounds: twice that, for every player alike (one timeline for the room).
    expect(timeline?.rounds.map((round) => round.endsAt - round.startsAt)).toEqual([10_000, 10_000]);
    expect(toGameSnapshot(room.state)?.timeScale).toBe(2);
    expect(toMatchRecord(room.state, [], new Date()).timeScale).toBe(2);
    room.onDispose();
  });

  it("closes itself when the last member leaves", () => {
    const { room, disposed } = openRoom();
    room.onLeave("host", "socket-host", true, log);
    expect(disposed).toEqual(["ABCDEFG"]);
    expect(room.clock.pending).toBe(0);
  });
});
