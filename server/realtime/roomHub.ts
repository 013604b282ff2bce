/**
 * Holds the live rooms of this process and is the only code that applies
 * room intents: it runs the pure machine, stores the new state and carries
 * out the effects (broadcasts, timers, forgetting empty rooms).
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { Server, Socket } from "socket.io";
import type { Logger } from "pino";
import {
  applyRoomIntent,
  createRoom,
  findMember,
  type RoomEffect,
  type RoomIntent,
  type RoomState,
  type TransitionResult,
} from "@/core/room";
import { generateRoomCode, normalizeRoomCode } from "@/core/roomCode";
import { TEST_PLAYLISTS, type PlaylistSettings, type TestPlaylistId } from "@/core/playlist";
import { chooseGameSetup } from "@/core/game/setup";
import { rankPlayers, SCORE_GRACE_MS } from "@/core/game/match";
import type { Award } from "@/core/scoring/points";
import type { MatchWithId, SaveOutcome } from "../storage/pendingMatches";
import type { RealtimeMetrics } from "../observability/metrics";
import { toMatchRecord, toGameSnapshot } from "./matchRecord";
import { RoomClock, type TimerHandle } from "./roomClock";
import { LiveLane } from "./liveLane";
import type {
  ClientToServerEvents,
  ErrorAck,
  JoinedRoom,
  RoomSnapshot,
  ServerPayload,
  ServerToClientEvents,
} from "@/core/protocol";

export interface SocketData {
  roomCode?: string;
  playerId?: string;
}
export type PoseServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type PoseSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
/** What the hub needs of a socket; with REDIS_URL it may live in another process (see roomRouter.ts). */
export type SeatSocket = Pick<PoseSocket, "id" | "data" | "join" | "leave">;

export interface RoomHubOptions {
  io: PoseServer;
  logger: Logger;
  maxMembers: number;
  leaveGraceMs: number;
  preloadTimeoutMs: number;
  allowTestPlaylists: boolean;
  /** Saves finished matches; "saving" when the database refused and it is kept and retried (pendingMatches.ts). */
  matches: MatchSaving;
  /** Scoreboard latency; omitted in tests that do not look at metrics. */
  metrics?: Pick<RealtimeMetrics, "scoreboardSent" | "awardRefused">;
}

export interface MatchSaving {
  save(match: MatchWithId): Promise<SaveOutcome>;
  /** Hears every match that reached the database after save answered "saving". */
  onSaved(listener: (matchId: string) => void): unknown;
}

interface RoomEntry {
  state: RoomState;
  /** Owns every timer below; disposed with the room. */
  clock: RoomClock;
  /** The players' live meters, broadcast at a fixed rate, and the evidence awards are judged by. */
  lane: LiveLane;
  /** Secret per member: proves a reconnecting socket owns the seat. */
  sessionTokens: Map<string, string>;
  /** The socket currently speaking for each member. */
  socketIds: Map<string, string>;
  leaveTimers: Map<string, TimerHandle>;
  /** The all-ready pause before play, then the end of the match. */
  phaseTimer?: TimerHandle;
  /** Fires at the lobby's deadline (state.game.lobby.deadline), re-armed whenever it moves. */
  preloadTimer?: TimerHandle;
  /** The deadline preloadTimer is armed for; null when none is. */
  preloadTimerAt: number | null;
}

export type HubAnswer<T> = ({ ok: true } & T) | ErrorAck;
type Empty = Record<never, never>;

const ALL_READY_PAUSE_MS = 800;

export function roomChannel(code: string): string {
  return `room:${code}`;
}

export function toRoomSnapshot(state: RoomState): RoomSnapshot {
  return {
    code: state.code,
    phase: state.phase,
    hostId: state.hostId,
    maxMembers: state.maxMembers,
    members: state.members.map((member) => ({
      id: member.id,
      nickname: member.nickname,
      connected: member.connected,
      preload: member.preload,
      role: member.role,
      paused: member.paused,
      isHost: member.id === state.hostId,
      media: member.media,
    })),
    game: state.game && toGameSnapshot(state),
    calledOff: state.calledOff && { reason: state.calledOff.reason, at: state.calledOff.at },
  };
}

function snapshotOf(entry: RoomEntry): RoomSnapshot {
  const snapshot = toRoomSnapshot(entry.state);
  // Meters live in the lane, not in the room state: the snapshot shows their latest values.
  if (!snapshot.game || !entry.lane.running) return snapshot;
  const scores = snapshot.game.scores.map((score) => ({ ...score, similarity: entry.lane.similarityOf(score.playerId) }));
  return { ...snapshot, game: { ...snapshot.game, scores } };
}

export class RoomHub {
  private readonly rooms = new Map<string, RoomEntry>();

  constructor(private readonly options: RoomHubOptions) {
    options.matches.onSaved((matchId) => this.markMatchSaved(matchId));
  }

  get roomCount(): number {
    return this.rooms.size;
  }

  get memberCount(): number {
    let count = 0;
    for (const entry of this.rooms.values()) count += entry.state.members.length;
    return count;
  }

  snapshot(code: string): RoomSnapshot | null {
    const entry = this.rooms.get(code);
    return entry ? snapshotOf(entry) : null;
  }

  peekRoom(roomCode: string): HubAnswer<{ code: string; memberCount: number; maxMembers: number }> {
    const code = normalizeRoomCode(roomCode);
    const entry = code ? this.rooms.get(code) : undefined;
    if (!entry) return roomNotFound();
    return { ok: true, code: entry.state.code, memberCount: entry.state.members.length, maxMembers: entry.state.maxMembers };
  }

  createRoom(socket: SeatSocket, nickname: string, log: Logger): HubAnswer<JoinedRoom> {
    if (socket.data.roomCode) return alreadyInRoom();
    let code = generateRoomCode();
    while (this.rooms.has(code)) code = generateRoomCode();
    const playerId = randomUUID();
    const created = createRoom({ code, maxMembers: this.options.maxMembers, host: { playerId, nickname } });
    if (!created.ok) return { ok: false, ...created.error };
    const entry = this.newRoomEntry(created.state);
    this.rooms.set(code, entry);
    log.info({ roomCode: code, playerId }, "room created");
    return this.seat(entry, socket, playerId, created.effects, log);
  }

  joinRoom(
    socket: SeatSocket,
    request: { roomCode: string; nickname: string; sessionToken?: string },
    log: Logger,
  ): HubAnswer<JoinedRoom> {
    const code = normalizeRoomCode(request.roomCode);
    const entry = code ? this.rooms.get(code) : undefined;
    if (!code || !entry) return roomNotFound();

    const resumedId = request.sessionToken ? this.memberForToken(entry, request.sessionToken) : undefined;
    if (resumedId) return this.resume(entry, socket, resumedId, log);
    if (socket.data.roomCode) return alreadyInRoom();

    const playerId = randomUUID();
    const result = applyRoomIntent(entry.state, { type: "join", playerId, nickname: request.nickname });
    if (!result.ok) return { ok: false, ...result.error };
    entry.state = result.state;
    log.info({ roomCode: code, playerId }, "member joined");
    return this.seat(entry, socket, playerId, result.effects, log);
  }

  leaveRoom(socket: SeatSocket, log: Logger): HubAnswer<Empty> {
    const { roomCode, playerId } = socket.data;
    const entry = roomCode ? this.rooms.get(roomCode) : undefined;
    if (!entry || !playerId) return notInRoom();
    void socket.leave(roomChannel(entry.state.code));
    socket.data = {};
    const answer = this.apply(entry, { type: "leave", playerId }, log);
    return answer.ok ? { ok: true } : answer;
  }

  /** Host: start loading a game with a playlist (or, in development and tests, a fixed test playlist). */
  startGame(
    socket: SeatSocket,
    choice: { playlist: PlaylistSettings } | { testPlaylist: TestPlaylistId },
    log: Logger,
  ): HubAnswer<Empty> {
    if ("testPlaylist" in choice && !this.options.allowTestPlaylists) {
      return { ok: false, code: "test_playlists_disabled", message: "Test playlists are disabled on this server." };
    }
    const setup = chooseGameSetup(choice, randomBytes(4).readUInt32LE(0));
    const testPlaylist = setup.testPlaylistId ? TEST_PLAYLISTS[setup.testPlaylistId] : undefined;
    const preloadTimeoutMs = testPlaylist?.preloadTimeoutMs ?? this.options.preloadTimeoutMs;
    return this.applyMemberIntent(socket, (playerId) => ({ type: "startGame", playerId, setup, now: Date.now(), preloadTimeoutMs }), log);
  }

  /**
   * A player's award. The rules (core/game/match.ts) decide whether the round is open and not yet
   * scored; then the player's live meter must have shown the hold (core/game/awardEvidence.ts),
   * or the award is refused as implausible and scores nothing.
   */
  score(socket: SeatSocket, event: { roundIndex: number; similarity: number; award: Award }, log: Logger): HubAnswer<Empty> {
    const { roomCode, playerId } = socket.data;
    const entry = roomCode ? this.rooms.get(roomCode) : undefined;
    if (!entry || !playerId) return notInRoom();
    const now = entry.clock.now();
    // The award's own reading is the last sample of the hold.
    if (this.meterOpen(entry, playerId, event.roundIndex, now) === null) entry.lane.record(playerId, event.roundIndex, event.similarity, now);
    const result = applyRoomIntent(entry.state, { type: "score", playerId, ...event, now });
    if (!result.ok) return { ok: false, ...result.error };
    if (!entry.lane.supports(playerId, event.roundIndex, event.award)) {
      this.options.metrics?.awardRefused();
      log.warn({ roomCode: entry.state.code, playerId, roundIndex: event.roundIndex, award: event.award }, "implausible award refused");
      return {
        ok: false,
        code: "implausible_award",
        message: "Your meter did not show that pose being held: hold it in view of the camera.",
      };
    }
    const arrivedAt = performance.now();
    entry.state = result.state;
    this.carryOut(entry, result.effects, log);
    // The award goes out at once, as what it changed (scoreboards are rare: one per award).
    const score = result.state.game?.match?.scores[playerId];
    const round = score?.rounds[event.roundIndex];
    if (score && round) {
      this.options.io.to(roomChannel(entry.state.code)).emit("game:scoreboard", {
        entries: [{ playerId, total: score.total, round: { roundIndex: event.roundIndex, points: round.points, grade: round.grade } }],
      });
      this.options.metrics?.scoreboardSent([arrivedAt]);
    }
    return { ok: true };
  }

  /**
   * A live meter sample: kept as the player's latest value and broadcast with the room's next
   * meter tick. Never acked, never run through the room machine.
   */
  meter(socket: SeatSocket, sample: { roundIndex: number; similarity: number }): HubAnswer<Empty> {
    const { roomCode, playerId } = socket.data;
    const entry = roomCode ? this.rooms.get(roomCode) : undefined;
    if (!entry || !playerId) return notInRoom();
    const now = entry.clock.now();
    const refused = this.meterOpen(entry, playerId, sample.roundIndex, now);
    if (refused) return refused;
    entry.lane.record(playerId, sample.roundIndex, sample.similarity, now);
    return { ok: true };
  }

  /** Null when the player's meter counts for that round now; else why not. */
  private meterOpen(entry: RoomEntry, playerId: string, roundIndex: number, now: number): ErrorAck | null {
    const match = entry.state.phase === "playing" ? entry.state.game?.match : null;
    if (!match) return { ok: false, code: "wrong_phase", message: "No game is being played." };
    if (!(playerId in match.scores)) return { ok: false, code: "spectator", message: "Spectators do not score." };
    const round = match.timeline.rounds[roundIndex];
    if (!round || now < round.startsAt || now > round.endsAt + SCORE_GRACE_MS) {
      return { ok: false, code: "outside_window", message: "That round is not open." };
    }
    if (findMember(entry.state, playerId)?.paused) return { ok: false, code: "wrong_phase", message: "Your game is paused." };
    return null;
  }

  /** An intent on behalf of the socket's own member (ready, early start, ...). */
  applyMemberIntent(
    socket: SeatSocket,
    build: (playerId: string) => RoomIntent,
    log: Logger,
  ): HubAnswer<Empty> {
    const { roomCode, playerId } = socket.data;
    const entry = roomCode ? this.rooms.get(roomCode) : undefined;
    if (!entry || !playerId) return notInRoom();
    const answer = this.apply(entry, build(playerId), log);
    return answer.ok ? { ok: true } : answer;
  }

  /** A dropped connection keeps its seat for the grace period, so a reload or a short network loss is invisible. */
  handleDisconnect(socket: SeatSocket, log: Logger): void {
    const { roomCode, playerId } = socket.data;
    const entry = roomCode ? this.rooms.get(roomCode) : undefined;
    if (!entry || !playerId || entry.socketIds.get(playerId) !== socket.id) return;
    entry.socketIds.delete(playerId);
    this.apply(entry, { type: "setConnected", playerId, connected: false }, log);
    this.releaseSeatLater(entry, playerId);
  }

  /** The seat stays for the grace period; if nobody reclaims it by then, the member leaves. */
  private releaseSeatLater(entry: RoomEntry, playerId: string): void {
    entry.clock.clear(entry.leaveTimers.get(playerId));
    entry.leaveTimers.set(
      playerId,
      entry.clock.setTimeout(() => {
        entry.leaveTimers.delete(playerId);
        if (this.rooms.get(entry.state.code) !== entry || entry.socketIds.has(playerId)) return;
        const log = this.roomLog(entry, "seat:release").child({ playerId });
        log.info("seat released after grace period");
        this.apply(entry, { type: "leave", playerId }, log);
      }, this.options.leaveGraceMs),
    );
  }

  /**
   * The logger for work the room does on its own (timers, saves): the room's code and what the
   * work is, never the context of the socket event that happened to schedule it (the failed
   * save once logged `event: preload:progress`, the lobby event that had started the match).
   */
  private roomLog(entry: RoomEntry, task: string): Logger {
    return this.options.logger.child({ roomCode: entry.state.code, task });
  }

  /** A match whose results showed "saving…" reached the database: its room shows "saved". */
  private markMatchSaved(matchId: string): void {
    for (const entry of this.rooms.values()) {
      if (entry.state.game?.results?.matchId !== matchId) continue;
      this.apply(entry, { type: "matchSaved", matchId }, this.roomLog(entry, "match:save").child({ matchId }));
    }
  }

  /**
   * Relays a WebRTC signal to one other member of the sender's room, and only there:
   * a socket can never reach a stranger or another room through this.
   */
  relaySignal(
    socket: SeatSocket,
    signal: { to: string; description?: ServerPayload<"rtc:signal">["description"]; candidate?: ServerPayload<"rtc:signal">["candidate"] },
  ): HubAnswer<Empty> {
    const { roomCode, playerId } = socket.data;
    const entry = roomCode ? this.rooms.get(roomCode) : undefined;
    if (!entry || !playerId) return notInRoom();
    const targetSocketId = findMember(entry.state, signal.to) ? entry.socketIds.get(signal.to) : undefined;
    if (!targetSocketId || signal.to === playerId) {
      return { ok: false, code: "not_in_room", message: "That player is not connected to your room." };
    }
    this.options.io.to(targetSocketId).emit("rtc:signal", {
      from: playerId,
      ...(signal.description ? { description: signal.description } : {}),
      ...(signal.candidate !== undefined ? { candidate: signal.candidate } : {}),
    });
    return { ok: true };
  }

  /**
   * Who holds this session token in this room, if anyone: HTTP routes (the LiveKit token)
   * use it to prove membership without a socket. Disconnected members within their grace
   * period still count.
   */
  memberForSession(roomCode: string, sessionToken: string): { playerId: string; roomCode: string; nickname: string } | null {
    const code = normalizeRoomCode(roomCode);
    const entry = code ? this.rooms.get(code) : undefined;
    const playerId = entry ? this.memberForToken(entry, sessionToken) : undefined;
    const member = entry && playerId ? findMember(entry.state, playerId) : undefined;
    return entry && playerId && member ? { playerId, roomCode: entry.state.code, nickname: member.nickname } : null;
  }

  /** The socket currently speaking for a member, if connected. */
  memberSocketId(roomCode: string, playerId: string): string | undefined {
    return this.rooms.get(roomCode)?.socketIds.get(playerId);
  }

  /** Every room with its seats' tokens, as a drain hands them to the next start (roomCarryOver.ts). */
  exportRooms(): { state: RoomState; sessionTokens: Record<string, string> }[] {
    return [...this.rooms.values()].map((entry) => ({ state: entry.state, sessionTokens: Object.fromEntries(entry.sessionTokens) }));
  }

  /**
   * A room carried over a restart: every member is disconnected and keeps the seat for the
   * grace period, to be reclaimed with the same session token as after a network drop.
   */
  restoreRoom(state: RoomState, sessionTokens: Record<string, string>): void {
    if (this.rooms.has(state.code)) return;
    const entry = this.newRoomEntry(state);
    for (const member of state.members) {
      const token = sessionTokens[member.id];
      if (token) entry.sessionTokens.set(member.id, token);
      this.releaseSeatLater(entry, member.id);
    }
    this.rooms.set(state.code, entry);
  }

  /** Stops every timer; used on shutdown so the process can exit. */
  dispose(): void {
    for (const entry of this.rooms.values()) this.clearTimers(entry);
    this.rooms.clear();
  }

  private seat(
    entry: RoomEntry,
    socket: SeatSocket,
    playerId: string,
    effects: RoomEffect[],
    log: Logger,
  ): HubAnswer<JoinedRoom> {
    const sessionToken = randomBytes(18).toString("base64url");
    entry.sessionTokens.set(playerId, sessionToken);
    this.bindSocket(entry, socket, playerId);
    this.carryOut(entry, effects, log);
    return { ok: true, playerId, sessionToken, room: snapshotOf(entry) };
  }

  private resume(entry: RoomEntry, socket: SeatSocket, playerId: string, log: Logger): HubAnswer<JoinedRoom> {
    if (socket.data.roomCode && socket.data.playerId !== playerId) return alreadyInRoom();
    entry.clock.clear(entry.leaveTimers.get(playerId));
    entry.leaveTimers.delete(playerId);
    // A second tab (or a zombie connection) with the same seat loses it to the newest one.
    const previousSocketId = entry.socketIds.get(playerId);
    if (previousSocketId && previousSocketId !== socket.id) {
      const previous = this.options.io.sockets.sockets.get(previousSocketId);
      if (previous) {
        previous.data = {};
        void previous.leave(roomChannel(entry.state.code));
        previous.emit("room:removed", { code: "already_in_room" });
      } else {
        // On another process (REDIS_URL): its stale seat is refused there by the router.
        this.options.io.in(previousSocketId).socketsLeave(roomChannel(entry.state.code));
        this.options.io.to(previousSocketId).emit("room:removed", { code: "already_in_room" });
      }
    }
    this.bindSocket(entry, socket, playerId);
    log.info({ roomCode: entry.state.code, playerId }, "member resumed its seat");
    this.apply(entry, { type: "setConnected", playerId, connected: true }, log);
    const sessionToken = entry.sessionTokens.get(playerId) ?? "";
    return { ok: true, playerId, sessionToken, room: snapshotOf(entry) };
  }

  private bindSocket(entry: RoomEntry, socket: SeatSocket, playerId: string): void {
    entry.socketIds.set(playerId, socket.id);
    socket.data = { roomCode: entry.state.code, playerId };
    void socket.join(roomChannel(entry.state.code));
  }

  private memberForToken(entry: RoomEntry, token: string): string | undefined {
    for (const [playerId, candidate] of entry.sessionTokens) {
      if (candidate === token && findMember(entry.state, playerId)) return playerId;
    }
    return undefined;
  }

  private apply(entry: RoomEntry, intent: RoomIntent, log: Logger): Extract<TransitionResult, { ok: true }> | ErrorAck {
    const result = applyRoomIntent(entry.state, intent);
    if (!result.ok) return { ok: false, ...result.error };
    entry.state = result.state;
    this.carryOut(entry, result.effects, log);
    return result;
  }

  private carryOut(entry: RoomEntry, effects: RoomEffect[], log: Logger): void {
    let broadcast = false;
    for (const effect of effects) {
      switch (effect.type) {
        case "stateChanged":
          broadcast = true;
          // A member who went away (hidden page, lost connection) reads 0 on the meters too.
          if (entry.lane.running) {
            for (const member of entry.state.members) if (member.paused || !member.connected) entry.lane.zero(member.id);
          }
          break;
        case "memberJoined":
          break;
        case "preloadExtended":
          log.info({ roomCode: entry.state.code, deadline: effect.deadline, reason: effect.reason, waitingFor: effect.waitingFor }, "preload deadline extended");
          break;
        case "gameCalledOff":
          log.info({ roomCode: entry.state.code, reason: effect.reason }, "game called off: nobody ready at the lobby's hard cap");
          break;
        case "allReady":
          // A short pause on full bars: everyone sees that everyone made it, then the game starts.
          entry.clock.clear(entry.phaseTimer);
          entry.phaseTimer = entry.clock.setTimeout(
            () => this.apply(entry, { type: "beginPlay", now: Date.now() }, this.roomLog(entry, "play:begin")),
            ALL_READY_PAUSE_MS,
          );
          break;
        case "scoreChanged":
          // Awards are broadcast by score(); meters travel on the live lane.
          break;
        case "memberLeft":
          this.forgetMember(entry, effect.playerId);
          break;
        case "hostChanged":
          log.info({ roomCode: entry.state.code, hostId: effect.hostId }, "host handed over");
          break;
        case "phaseChanged":
          log.info({ roomCode: entry.state.code, from: effect.from, to: effect.to }, "phase changed");
          this.schedulePhaseTimer(entry);
          if (effect.to === "playing" && entry.state.game) entry.lane.start(entry.state.game.settings.difficulty);
          else if (effect.from === "playing") entry.lane.stop();
          break;
        case "roomEmptied":
          this.clearTimers(entry);
          this.rooms.delete(entry.state.code);
          log.info({ roomCode: entry.state.code }, "room closed: last member left");
          return;
      }
    }
    this.syncPreloadTimer(entry);
    if (broadcast) this.options.io.to(roomChannel(entry.state.code)).emit("room:state", snapshotOf(entry));
  }

  /**
   * Keeps one timer on the lobby's current deadline. What a deadline does (play, wait longer,
   * call the game off) is the room machine's rule; this only wakes it up at the right time.
   */
  private syncPreloadTimer(entry: RoomEntry): void {
    const deadline = entry.state.phase === "preloading" ? (entry.state.game?.lobby?.deadline ?? null) : null;
    if (deadline === entry.preloadTimerAt) return;
    entry.clock.clear(entry.preloadTimer);
    entry.preloadTimer = undefined;
    entry.preloadTimerAt = deadline;
    if (deadline === null) return;
    entry.preloadTimer = entry.clock.setTimeout(() => {
      entry.preloadTimer = undefined;
      // Cleared first, so the state after this check (a moved deadline, or the same one if this
      // fired a millisecond early) arms a fresh timer.
      entry.preloadTimerAt = null;
      if (this.rooms.get(entry.state.code) !== entry) return;
      const log = this.roomLog(entry, "preload:deadline");
      const answer = this.apply(entry, { type: "preloadTimedOut", now: Date.now() }, log);
      if (!answer.ok) log.warn({ code: answer.code }, "preload deadline check refused");
      this.syncPreloadTimer(entry);
    }, deadline - entry.clock.now());
  }

  private schedulePhaseTimer(entry: RoomEntry): void {
    entry.clock.clear(entry.phaseTimer);
    entry.phaseTimer = undefined;
    const match = entry.state.phase === "playing" ? entry.state.game?.match : null;
    if (match) {
      entry.phaseTimer = entry.clock.setTimeout(() => void this.finishMatch(entry), match.timeline.endsAt - entry.clock.now());
    }
  }

  /**
   * Saves the match, then shows the results: a finished match is in the database, or durably
   * kept in DATA_DIR and being retried, before anyone sees a podium. In the second case the
   * results say "saving…" until the retry lands (markMatchSaved).
   */
  private async finishMatch(entry: RoomEntry): Promise<void> {
    const { state } = entry;
    const match = state.game?.match;
    if (state.phase !== "playing" || !state.game || !match) return;
    const ranking = rankPlayers(match);
    // The id is chosen here, once: every retry, in this run or the next, saves the same match.
    const matchId = randomUUID();
    const log = this.roomLog(entry, "match:finish").child({ matchId });
    entry.lane.flush();
    const record = toMatchRecord(state, ranking, new Date(), (playerId, roundIndex) => entry.lane.bestOf(playerId, roundIndex));
    const save = await this.options.matches.save({ ...record, id: matchId });
    if (this.rooms.get(state.code) !== entry) return; // everyone left while saving
    log.info({ save }, "match finished");
    this.apply(entry, { type: "finishGame", matchId, save, ranking }, log);
  }

  private forgetMember(entry: RoomEntry, playerId: string): void {
    entry.sessionTokens.delete(playerId);
    entry.clock.clear(entry.leaveTimers.get(playerId));
    entry.leaveTimers.delete(playerId);
    const socketId = entry.socketIds.get(playerId);
    entry.socketIds.delete(playerId);
    const socket = socketId ? this.options.io.sockets.sockets.get(socketId) : undefined;
    if (socket && socket.data.playerId === playerId) {
      socket.data = {};
      void socket.leave(roomChannel(entry.state.code));
    }
  }

  private clearTimers(entry: RoomEntry): void {
    entry.lane.stop();
    entry.clock.dispose();
    entry.preloadTimerAt = null;
    entry.leaveTimers.clear();
  }

  private newRoomEntry(state: RoomState): RoomEntry {
    const clock = new RoomClock();
    const channel = roomChannel(state.code);
    return {
      state,
      clock,
      lane: new LiveLane(clock, (payload) => this.options.io.to(channel).emit("game:meters", payload)),
      sessionTokens: new Map(),
    socketIds: new Map(),
    leaveTimers: new Map(),
    preloadTimerAt: null,
    };
  }
}

function alreadyInRoom(): ErrorAck {
  return { ok: false, code: "already_in_room", message: "This connection is already in a room: leave it first." };
}

function roomNotFound(): ErrorAck {
  return { ok: false, code: "room_not_found", message: "There is no room with that code." };
}

function notInRoom(): ErrorAck {
  return { ok: false, code: "not_in_room", message: "Join a room first." };
}
