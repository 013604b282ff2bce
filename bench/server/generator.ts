/**
 * One load generator process for the capacity bench (forked by server/section.ts). It opens its
 * share of rooms x 4 players with socket.io-client against a loopback server, and during a
 * round makes every player send 10 events a second: live meter samples (`game:meter`, no ack)
 * to the game server, holding a PERFECT pose all round, plus one acked award per player at a
 * random moment; `score` events to the bare relay. Each sample carries a unique similarity
 * (METER_BASE + sequence / SEQ_SCALE), so a receiving client finds the send time of what it sees
 * in a `game:meters` entry (game) or a relayed `score` (bare relay): all four players of a room
 * live in this process, so one clock measures both ends.
 *
 * The comparison's party workload (protocol.ts, `Workload`) is the same with rooms of 4 or 8, an
 * acked award per player per round against all three servers (the relay acks `award` too), and
 * a third server: a Colyseus 0.18 room (bench/server/colyseus/server.ts) driven with the Colyseus
 * SDK: `client.create` / `client.joinById`, `room.send("meter")`, `room.request("award")`, and
 * the members' meters read from the synchronized state after each patch.
 *
 * The game server's msgpack variant (section.ts, GAME_VARIANTS) has every socket.io-client here
 * use socket.io-msgpack-parser too (setup's `socketParser`): client and server must speak the same.
 * Its Redis variant (game-redis) gives several process URLs (setup's `urls`): rooms are owned by
 * each in turn and half of every room's players connect to another process; what crosses
 * processes is also measured on its own (`crossLatency`, `crossAck`).
 *
 * Wire bytes: every TCP socket this process opens is collected (diagnostics channel
 * `net.client.socket`, whichever client library opens it) and its bytesRead + bytesWritten
 * summed at the window's open and close.
 *
 * It only talks to the URLs it is given (127.0.0.1), sends nothing on its own, and exits when
 * its parent goes away.
 */
import diagnosticsChannel from "node:diagnostics_channel";
import type { Socket as NetSocket } from "node:net";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Client as ColyseusClient, type Room as ColyseusRoom } from "@colyseus/sdk";
import { io, type Socket } from "socket.io-client";
import type { RoomSnapshot } from "../../core/protocol";
import { LatencyHistogram } from "../lib/stats";
import type { FromGenerator, LoadMode, ToGenerator, Workload } from "./protocol";

/** The Colyseus room's synchronized state as the SDK decodes it (bench/server/colyseus/server.ts). */
interface PartyStateView {
  round: number;
  members: { forEach(callback: (member: { meter: number }, sessionId: string) => void): void };
}
const SEND_INTERVAL_MS = 100;
/** similarity = METER_BASE + seq / SEQ_SCALE: unique per player, within 0..1, always a PERFECT (easy: 0.88). */
const SEQ_SCALE = 100_000;
const METER_BASE = 0.95;
/** Events per player per step: a 15 s round at 10/s is 150. */
const MAX_SEQ = 4_095;
const ACK_TIMEOUT_MS = 10_000;

interface Player {
  index: number;
  /** game, relay. */
  socket?: Socket;
  /** colyseus. */
  party?: ColyseusRoom<unknown, PartyStateView>;
  /** colyseus: the room was left or dropped. */
  partyClosed?: boolean;
  /** colyseus: the meter last shown for each other member. */
  shownMeters?: Map<string, number>;
  playerId: string;
  seq: number;
  /** performance.now() of each send, by sequence number (0 = not sent). */
  sentAt: Float64Array;
  timer?: NodeJS.Timeout;
  awardTimer?: NodeJS.Timeout;
  roundTimer?: NodeJS.Timeout;
  /** game: meter updates received about each other player within the window. */
  meterUpdates: Map<string, number>;
  /** game: broadcasts received within the window that carried another player's meter. */
  meterBroadcasts: number;
  /** game-redis: connected to a process that does not own its room. */
  remote?: boolean;
}

interface Room {
  players: Player[];
  byPlayerId: Map<string, Player>;
  round0?: { startsAt: number; endsAt: number };
}

const send = (message: FromGenerator) => process.send?.(message);
const epochNow = () => performance.timeOrigin + performance.now();

let mode: LoadMode = "game";
let workload: Workload = "capacity";
let playersPerRoom = 4;
let roundMs = 20_000;
/** Every TCP socket opened since setup, and the wire bytes counted at the window's open. */
let netSockets: NetSocket[] = [];
let wireBytesAtFrom: number | null = null;
let wireBytes = 0;
let wireTimers: NodeJS.Timeout[] = [];
diagnosticsChannel.subscribe("net.client.socket", (message) => {
  netSockets.push((message as { socket: NetSocket }).socket);
});
const socketBytes = () => netSockets.reduce((sum, socket) => sum + socket.bytesRead + socket.bytesWritten, 0);
let rooms: Room[] = [];
let windowFrom = Number.POSITIVE_INFINITY;
let windowTo = Number.NEGATIVE_INFINITY;
let secondsPerRound = 15;
let latency = new LatencyHistogram();
let ack = new LatencyHistogram();
let crossLatency = new LatencyHistogram();
let crossAck = new LatencyHistogram();
let meterRefreshHz: number[] = [];
let meterBroadcastHz: number[] = [];
let ackErrors: Record<string, number> = {};
/** Awards sent within the window and not answered yet. */
let pendingAcks = 0;
let sent = 0;
/** Meter samples (relay: `score` events) sent within the window: the ones the others should receive. */
let meterSent = 0;
let delivered = 0;
let disconnects = 0;
let tearingDown = false;
let loopDelay = monitorEventLoopDelay({ resolution: 10 });
let cpuAtGo = process.cpuUsage();
let goAt = performance.now();

const inWindow = (performanceTime: number) => {
  const epoch = performance.timeOrigin + performanceTime;
  return epoch >= windowFrom && epoch < windowTo;
};

/** The Socket.IO parser the server under test speaks (setup's `socketParser`); null: the default JSON one. */
let socketParser: typeof import("socket.io-msgpack-parser") | null = null;

function connect(url: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = io(url, {
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
      timeout: 15_000,
      ...(socketParser ? { parser: socketParser } : {}),
    });
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (error) => {
      socket.close();
      reject(error);
    });
  });
}

async function emitAck<T>(socket: Socket, event: string, payload: unknown): Promise<T> {
  return (await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload)) as T;
}

const isConnected = (player: Player) => (player.socket ? player.socket.connected : player.party !== undefined && !player.partyClosed);

function watchDisconnect(player: Player): void {
  const lost = () => {
    if (!tearingDown) disconnects += 1;
    clearTimeout(player.timer);
    clearTimeout(player.awardTimer);
  };
  player.socket?.on("disconnect", lost);
  if (player.party) {
    const closed = () => {
      if (player.partyClosed) return;
      player.partyClosed = true;
      lost();
    };
    player.party.onLeave(closed);
    player.party.onDrop(closed);
  }
}

/** Records deliveries of other players' events seen by `receiver`. */
function deliver(room: Room, receiver: Player, fromPlayerId: string, similarity: number, now: number): void {
  const sender = room.byPlayerId.get(fromPlayerId);
  if (!sender || sender === receiver) return;
  const seq = Math.round((mode !== "relay" ? similarity - METER_BASE : similarity) * SEQ_SCALE);
  const sentAt = sender.sentAt[seq] ?? 0;
  if (mode !== "relay") {
    // The meter: how old the shown value is, and how often the friend's view changed.
    if (!inWindow(now)) return;
    receiver.meterUpdates.set(fromPlayerId, (receiver.meterUpdates.get(fromPlayerId) ?? 0) + 1);
    if (sentAt !== 0) {
      latency.record(now - sentAt);
      if (sender.remote || receiver.remote) crossLatency.record(now - sentAt);
    }
    delivered += 1;
    return;
  }
  if (sentAt === 0 || !inWindow(sentAt)) return;
  latency.record(now - sentAt);
  delivered += 1;
}

/**
 * game: one room. With several processes (`urls`, game-redis) the room is created on
 * urls[roomIndex % n], which owns it (roomIndex is offset by the generator's index, so that
 * generators with one room each do not put every room on the first process), and its players
 * alternate between the owner and the next process (the host on the owner), or all stay on the
 * owner (`playersOnOwner`).
 */
async function setupGameRoom(urls: string[], roomIndex: number, label: string, playersOnOwner: boolean): Promise<Room> {
  const room: Room = { players: [], byPlayerId: new Map() };
  const sockets: Socket[] = [];
  const ownerIndex = roomIndex % urls.length;
  const processOf = (player: number) => (playersOnOwner || player % 2 === 0 ? ownerIndex : (ownerIndex + 1) % urls.length);
  try {
    const host = await connect(urls[ownerIndex]!);
    sockets.push(host);
    type Joined = { ok: true; playerId: string; room: RoomSnapshot } | { ok: false; code: string; message: string };
    const created = await emitAck<Joined>(host, "room:create", { nickname: `${label}a` });
    if (!created.ok) throw new Error(`room:create: ${created.code}`);
    const code = created.room.code;
    const joined: { socket: Socket; playerId: string }[] = [{ socket: host, playerId: created.playerId }];
    for (let i = 1; i < playersPerRoom; i++) {
      const socket = await connect(urls[processOf(i)]!);
      sockets.push(socket);
      const answer = await emitAck<Joined>(socket, "room:join", { roomCode: code, nickname: `${label}${"abcdefgh"[i]}` });
      if (!answer.ok) throw new Error(`room:join: ${answer.code}`);
      joined.push({ socket, playerId: answer.playerId });
    }
    const started = await emitAck<{ ok: boolean; code?: string }>(host, "game:start", {
      playlist: { rounds: 3, secondsPerRound, difficulty: "easy", roundKinds: ["pose"], poseQuality: "lite" },
    });
    if (!started.ok) throw new Error(`game:start: ${started.code}`);
    for (const [index, { socket, playerId }] of joined.entries()) {
      const player: Player = { index, socket, playerId, seq: 0, sentAt: new Float64Array(MAX_SEQ + 1), meterUpdates: new Map(), meterBroadcasts: 0 };
      if (processOf(index) !== ownerIndex) player.remote = true;
      room.players.push(player);
      room.byPlayerId.set(playerId, player);
      watchDisconnect(player);
      socket.on("game:meters", (payload: { meters: { playerId: string; similarity: number }[] }) => {
        const now = performance.now();
        if (inWindow(now) && payload.meters.some((meter) => meter.playerId !== playerId)) player.meterBroadcasts += 1;
        for (const meter of payload.meters) deliver(room, player, meter.playerId, meter.similarity, now);
      });
    }
    return room;
  } catch (error) {
    for (const socket of sockets) socket.close();
    throw error;
  }
}

async function setupRelayRoom(url: string, label: string): Promise<Room> {
  const room: Room = { players: [], byPlayerId: new Map() };
  const sockets: Socket[] = [];
  try {
    for (let index = 0; index < playersPerRoom; index++) {
      const socket = await connect(url);
      sockets.push(socket);
      const playerId = `${label}-${index}`;
      await emitAck<unknown>(socket, "join", { room: label, member: playerId });
      const player: Player = { index, socket, playerId, seq: 0, sentAt: new Float64Array(MAX_SEQ + 1), meterUpdates: new Map(), meterBroadcasts: 0 };
      room.players.push(player);
      room.byPlayerId.set(playerId, player);
      watchDisconnect(player);
      socket.on("score", (message: { from: string; payload: { similarity: number } }) => {
        deliver(room, player, message.from, message.payload.similarity, performance.now());
      });
    }
    return room;
  } catch (error) {
    for (const socket of sockets) socket.close();
    throw error;
  }
}

/**
 * colyseus: the host creates the room (its size in the options), the others join it by id. Each
 * patch the SDK applies fires onStateChange; a friend's meter that changed since the last patch
 * is a delivery (its age measured as for the game server), and a patch with any is a broadcast.
 */
async function setupColyseusRoom(client: ColyseusClient): Promise<Room> {
  const room: Room = { players: [], byPlayerId: new Map() };
  const joined: ColyseusRoom<unknown, PartyStateView>[] = [];
  try {
    joined.push(await client.create<PartyStateView>("party", { size: playersPerRoom }));
    for (let index = 1; index < playersPerRoom; index++) joined.push(await client.joinById<PartyStateView>(joined[0]!.roomId));
    for (const [index, party] of joined.entries()) {
      const player: Player = {
        index,
        party,
        playerId: party.sessionId,
        seq: 0,
        sentAt: new Float64Array(MAX_SEQ + 1),
        meterUpdates: new Map(),
        meterBroadcasts: 0,
        shownMeters: new Map(),
      };
      room.players.push(player);
      room.byPlayerId.set(party.sessionId, player);
      watchDisconnect(player);
      party.onStateChange((state) => {
        const now = performance.now();
        let news = false;
        state.members.forEach((member, sessionId) => {
          if (sessionId === party.sessionId || player.shownMeters!.get(sessionId) === member.meter) return;
          player.shownMeters!.set(sessionId, member.meter);
          news = true;
          deliver(room, player, sessionId, member.meter, now);
        });
        if (news && inWindow(now)) player.meterBroadcasts += 1;
      });
    }
    return room;
  } catch (error) {
    for (const party of joined) void party.leave().catch(() => undefined);
    throw error;
  }
}

/** 10 events a second from `from` to `to` (performance time), skipping (not bunching) late ticks. */
function startSending(player: Player, from: number, to: number): void {
  const offset = Math.random() * SEND_INTERVAL_MS;
  const start = from + offset;
  // Tick k is due at start + k x interval. Timers may fire a little early by performance.now()
  // (libuv's cached loop time), so k only moves forward: never two events for one tick.
  let k = 0;
  const tick = () => {
    const now = performance.now();
    if (now >= to || player.seq >= MAX_SEQ || !isConnected(player)) return;
    player.seq += 1;
    const seq = player.seq;
    player.sentAt[seq] = now;
    const counted = inWindow(now);
    if (counted) {
      sent += 1;
      meterSent += 1;
    }
    if (mode === "game") {
      // Presence: no ack, the room broadcasts the latest value at its own rate.
      player.socket!.emit("game:meter", { roundIndex: 0, similarity: METER_BASE + seq / SEQ_SCALE });
    } else if (mode === "colyseus") {
      // Into the room's state; the next patch carries the latest value to the others.
      player.party!.send("meter", { similarity: METER_BASE + seq / SEQ_SCALE });
    } else {
      player.socket!.emit("score", { roundIndex: 0, similarity: seq / SEQ_SCALE });
    }
    k = Math.max(k + 1, Math.floor((performance.now() - start) / SEND_INTERVAL_MS) + 1);
    player.timer = setTimeout(tick, Math.max(0, start + k * SEND_INTERVAL_MS - performance.now()));
  };
  player.timer = setTimeout(tick, Math.max(0, start - performance.now()));
}

async function runLimited<T>(count: number, concurrency: number, work: (index: number) => Promise<T>): Promise<PromiseSettledResult<T>[]> {
  const results = new Array<PromiseSettledResult<T>>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      try {
        results[index] = { status: "fulfilled", value: await work(index) };
      } catch (reason) {
        results[index] = { status: "rejected", reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

/**
 * game: the player's award, acked, at `at` (performance time): its meter has shown a PERFECT
 * since the round opened, so the server believes it. Every award counts towards the ack
 * latency (there are few: one per player per round).
 */
function scheduleAward(player: Player, at: number): void {
  player.awardTimer = setTimeout(
    () => {
      if (!isConnected(player)) return;
      const sentAt = performance.now();
      // Awards go on after the window closes (until a second before the round ends), so one
      // sent just before the report is in flight then: only the window's own count as unanswered.
      const counted = inWindow(sentAt);
      if (counted) {
        sent += 1;
        pendingAcks += 1;
      }
      const answered = (error: Error | null, answer?: { ok: boolean; code?: string }) => {
        if (counted) pendingAcks -= 1;
        if (error) ackErrors.timeout = (ackErrors.timeout ?? 0) + 1;
        else if (!answer?.ok) ackErrors[answer?.code ?? "unknown"] = (ackErrors[answer?.code ?? "unknown"] ?? 0) + 1;
        else {
          ack.record(performance.now() - sentAt);
          if (player.remote) crossAck.record(performance.now() - sentAt);
        }
      };
      if (mode === "colyseus") {
        const party = player.party!;
        party.request<{ roundIndex: number }, { ok: boolean; code?: string }>("award", { roundIndex: party.state.round }, { timeout: ACK_TIMEOUT_MS }).then(
          (answer) => answered(null, answer),
          (error: unknown) => answered(error instanceof Error ? error : new Error(String(error))),
        );
      } else {
        player.socket!.timeout(ACK_TIMEOUT_MS).emit(mode === "game" ? "game:score" : "award", { roundIndex: 0, similarity: 0.99, award: "perfect" }, answered);
      }
    },
    Math.max(0, at - performance.now()),
  );
}

/** relay and colyseus, party workload: one award per player per round (the rounds counted from `from`), after the hold, not in a round's last second. */
function scheduleAwards(player: Player, from: number, to: number): void {
  const schedule = (roundStart: number) => {
    if (roundStart >= to) return;
    scheduleAward(player, roundStart + 1_000 + Math.random() * Math.max(0, roundMs - 2_000));
    // The next round's award, once this one is out (one timer per player).
    const next = setTimeout(() => schedule(roundStart + roundMs), Math.max(0, roundStart + roundMs - performance.now()));
    player.roundTimer = next;
  };
  schedule(from);
}

function resetCounters(): void {
  latency = new LatencyHistogram();
  ack = new LatencyHistogram();
  crossLatency = new LatencyHistogram();
  crossAck = new LatencyHistogram();
  meterRefreshHz = [];
  meterBroadcastHz = [];
  ackErrors = {};
  pendingAcks = 0;
  sent = 0;
  meterSent = 0;
  delivered = 0;
  disconnects = 0;
  for (const timer of wireTimers) clearTimeout(timer);
  wireTimers = [];
  wireBytesAtFrom = null;
  wireBytes = 0;
  windowFrom = Number.POSITIVE_INFINITY;
  windowTo = Number.NEGATIVE_INFINITY;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function handle(message: ToGenerator): Promise<void> {
  switch (message.type) {
    case "setup": {
      resetCounters();
      tearingDown = false;
      mode = message.mode;
      workload = message.workload ?? "capacity";
      playersPerRoom = message.playersPerRoom ?? 4;
      roundMs = message.roundMs ?? 20_000;
      secondsPerRound = message.secondsPerRound;
      socketParser = message.socketParser === "msgpack" ? await import("socket.io-msgpack-parser") : null;
      netSockets = [];
      const began = performance.now();
      const colyseus = mode === "colyseus" ? new ColyseusClient(message.url) : null;
      const gameUrls = message.urls ?? [message.url];
      const setupRoom = (index: number, label: string) =>
        colyseus
          ? setupColyseusRoom(colyseus)
          : mode === "game"
            ? setupGameRoom(gameUrls, index + message.generatorIndex, label, message.playersOnOwner === true)
            : setupRelayRoom(message.url, label);
      const results = await runLimited(message.rooms, message.concurrency, (index) => setupRoom(index, `s${message.step}g${message.generatorIndex}r${index}`));
      rooms = results.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
      const failures = results.flatMap((result) => (result.status === "rejected" ? [describe(result.reason)] : []));
      send({
        type: "staged",
        rooms: rooms.length,
        sockets: rooms.length * playersPerRoom,
        setupMs: performance.now() - began,
        failures: failures.slice(0, 5).concat(failures.length > 5 ? [`... ${failures.length} in all`] : []),
      });
      return;
    }
    case "go": {
      loopDelay.disable();
      loopDelay = monitorEventLoopDelay({ resolution: 10 });
      loopDelay.enable();
      cpuAtGo = process.cpuUsage();
      goAt = performance.now();
      if (mode !== "game") {
        const from = (message.sendFrom ?? epochNow()) - performance.timeOrigin;
        const to = (message.sendTo ?? epochNow() + 5_000) - performance.timeOrigin;
        for (const room of rooms) {
          for (const player of room.players) {
            startSending(player, from, to);
            if (workload === "party") scheduleAwards(player, from, to);
          }
        }
        return;
      }
      const failures: string[] = [];
      const playing = rooms.map(
        (room) =>
          new Promise<void>((resolve) => {
            const host = room.players[0]!;
            const onState = (state: RoomSnapshot) => {
              const round = state.game?.timeline?.rounds[0];
              if (state.phase !== "playing" || !round) return;
              host.socket!.off("room:state", onState);
              room.round0 = { startsAt: round.startsAt, endsAt: round.endsAt };
              const from = round.startsAt - performance.timeOrigin + 50;
              const to = round.endsAt - performance.timeOrigin - 200;
              for (const player of room.players) {
                startSending(player, from, to);
                // After the hold, anywhere in the round but its last second.
                scheduleAward(player, from + 1_000 + Math.random() * Math.max(0, to - from - 2_000));
              }
              resolve();
            };
            host.socket!.on("room:state", onState);
          }),
      );
      await Promise.all(
        rooms.flatMap((room) =>
          room.players.map(async (player) => {
            try {
              const answer = await emitAck<{ ok: boolean; code?: string }>(player.socket!, "preload:progress", { percent: 100, status: "ready" });
              if (!answer.ok) failures.push(`preload:progress: ${answer.code}`);
            } catch (error) {
              failures.push(`preload:progress: ${describe(error)}`);
            }
          }),
        ),
      );
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, 20_000));
      await Promise.race([Promise.all(playing), timeout]);
      const rounds = rooms.flatMap((room) => (room.round0 ? [room.round0] : []));
      if (rounds.length < rooms.length) failures.push(`${rooms.length - rounds.length} rooms never started playing`);
      send({
        type: "playing",
        rooms: rounds.length,
        minStart: Math.min(...rounds.map((round) => round.startsAt)),
        maxStart: Math.max(...rounds.map((round) => round.startsAt)),
        minEnd: Math.min(...rounds.map((round) => round.endsAt)),
        maxEnd: Math.max(...rounds.map((round) => round.endsAt)),
        failures: failures.slice(0, 5),
      });
      return;
    }
    case "window":
      windowFrom = message.from;
      windowTo = message.to;
      wireTimers.push(
        setTimeout(() => (wireBytesAtFrom = socketBytes()), Math.max(0, message.from - epochNow())),
        setTimeout(() => (wireBytes = wireBytesAtFrom === null ? 0 : socketBytes() - wireBytesAtFrom), Math.max(0, message.to - epochNow())),
      );
      return;
    case "report": {
      const cpu = process.cpuUsage(cpuAtGo);
      const elapsedMs = performance.now() - goAt;
      if (mode !== "relay" && windowTo > windowFrom) {
        const seconds = (windowTo - windowFrom) / 1000;
        for (const room of rooms) {
          for (const receiver of room.players) {
            meterBroadcastHz.push(receiver.meterBroadcasts / seconds);
            for (const sender of room.players) {
              if (sender !== receiver) meterRefreshHz.push((receiver.meterUpdates.get(sender.playerId) ?? 0) / seconds);
            }
          }
        }
      }
      send({
        type: "report",
        sent,
        // Awards are answered to their sender only.
        expectedDeliveries: meterSent * (playersPerRoom - 1),
        delivered,
        latency: latency.toJSON(),
        ack: ack.toJSON(),
        crossLatency: crossLatency.toJSON(),
        crossAck: crossAck.toJSON(),
        meterRefreshHz,
        meterBroadcastHz,
        ackErrors,
        unanswered: pendingAcks,
        disconnects,
        wireBytes,
        loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
        loopDelayMaxMs: loopDelay.max / 1e6,
        cpuPercent: elapsedMs > 0 ? ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100 : 0,
      });
      return;
    }
    case "teardown": {
      tearingDown = true;
      const leaving: Promise<number>[] = [];
      for (const room of rooms) {
        for (const player of room.players) {
          clearTimeout(player.timer);
          clearTimeout(player.awardTimer);
          clearTimeout(player.roundTimer);
          player.socket?.removeAllListeners();
          player.socket?.close();
          if (player.party) {
            player.partyClosed = true;
            player.party.removeAllListeners();
            leaving.push(player.party.leave().catch(() => 0));
          }
        }
      }
      await Promise.race([Promise.all(leaving), new Promise((resolve) => setTimeout(resolve, 10_000))]);
      rooms = [];
      loopDelay.disable();
      send({ type: "done" });
      return;
    }
  }
}

process.on("message", (message: ToGenerator) => {
  handle(message).catch((error: unknown) => send({ type: "error", message: describe(error) }));
});
// The orchestrator owns our lifetime: never outlive it.
process.on("disconnect", () => process.exit(0));
