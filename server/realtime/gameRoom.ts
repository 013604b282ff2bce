/**
 * One room, in the shape Colyseus made familiar: lifecycle hooks (create, join, leave, dispose),
 * a `messages` map where each client event's protocol entry (schema, limits) and its handler sit
 * together, a clock that owns every timer of the room and clears them all on dispose, and a live
 * lane for the meters. The rules stay pure in core/ (applyRoomIntent and friends): this class
 * calls them and carries out their effects.
 *
 * It reaches sockets only through RoomTransport (admit a socket, evict one, send to one,
 * broadcast), so Socket.IO, the Redis router and owner pinning stay outside it
 * (server/realtime/roomHub.ts) and it runs in unit tests without a server.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { applyRoomIntent, findMember, type RoomEffect, type RoomIntent, type RoomState, type TransitionResult } from "@/core/room";
import { isPlayableLeaderPose } from "@/core/game/copyRound";
import { rankPlayers, scoreWindowRefusal } from "@/core/game/match";
import { chooseGameSetup } from "@/core/game/setup";
import { TEST_PLAYLISTS } from "@/core/playlist";
import {
  clientEvents,
  liveEvents,
  type Ack,
  type ClientEventName,
  type ClientPayload,
  type ErrorAck,
  type ErrorCode,
  type JoinedRoom,
  type LiveEventName,
  type LivePayload,
  type RoomSnapshot,
  type ServerEventName,
  type ServerPayload,
} from "@/core/protocol";
import type { RealtimeMetrics } from "../observability/metrics";
import type { MatchWithId, SaveOutcome } from "../storage/pendingMatches";
import { LiveLane } from "./liveLane";
import { toGameSnapshot, toMatchRecord } from "./matchRecord";
import { RoomClock, type TimerHandle } from "./roomClock";
import { RoomMoments } from "./roomMoments";

/** A connection as the room knows it: its id (the transport knows the rest). */
export interface RoomClient {
  readonly id: string;
}

/** How a room reaches the sockets of its seats; Socket.IO (and Redis) live behind it. */
export interface RoomTransport<C extends RoomClient = RoomClient> {
  /** The connection now speaks for `playerId`: it joins the room's broadcasts. */
  admit(client: C, playerId: string): void;
  /** The socket no longer speaks for `playerId`: it leaves the broadcasts, told why if `removed` is set. */
  evict(socketId: string, playerId: string, removed?: ErrorCode): void;
  sendTo<E extends ServerEventName>(socketId: string, event: E, payload: ServerPayload<E>): void;
  broadcast<E extends ServerEventName>(event: E, payload: ServerPayload<E>): void;
}

/** A seat's life: its member's socket is connected, or the seat waits for it until a deadline. */
export type Seat =
  | { readonly status: "connected"; readonly sessionToken: string; readonly socketId: string }
  | { readonly status: "reconnecting"; readonly sessionToken: string; readonly until: number; readonly timer: TimerHandle };
// A member who left has no seat at all ("gone"): seatOf() answers undefined.

export interface MatchSaving {
  save(match: MatchWithId): Promise<SaveOutcome>;
  /** Hears every match that reached the database after save answered "saving". */
  onSaved(listener: (matchId: string) => void): unknown;
}

export interface RoomOptions {
  logger: Logger;
  leaveGraceMs: number;
  /**
   * During play, a member whose page said nothing this long (no meter, no heartbeat: the page sends
   * "game:alive" every second) has lost its link: friends see it reconnecting, its meter reads 0.
   * Its seat, score and role stay, and the first word from it brings it back. 0: no watch.
   */
  silentAfterMs: number;
  preloadTimeoutMs: number;
  allowTestPlaylists: boolean;
  matches: Pick<MatchSaving, "save">;
  metrics?: Pick<RealtimeMetrics, "scoreboardSent" | "awardRefused">;
  /** The room emptied (or was disposed): the hub forgets it. */
  onDispose(room: { readonly code: string }): void;
}

/** The client events a room handles for one of its members (the hub handles the rest). */
export type RoomEventName = Exclude<ClientEventName, "room:create" | "room:join" | "room:peek" | "room:leave" | "clock:ping">;
type MessageHandler<E extends RoomEventName> = (playerId: string, payload: ClientPayload<E>, log: Logger) => Ack<E>;
type RoomMessages = { [E in RoomEventName]: (typeof clientEvents)[E] & { handle: MessageHandler<E> } };
type LiveHandler<E extends LiveEventName> = (playerId: string, payload: LivePayload<E>) => { ok: true } | ErrorAck;
type LiveMessages = { [E in LiveEventName]: (typeof liveEvents)[E] & { handle: LiveHandler<E> } };

/** Each event's protocol entry (schema, limits) with the room's handler for it. */
function message<E extends RoomEventName>(event: E, handle: MessageHandler<E>): RoomMessages[E] {
  return { ...clientEvents[event], handle } as RoomMessages[E];
}

const ALL_READY_PAUSE_MS = 800;
const SILENCE_CHECK_MS = 1_000;

/** The room as every client sees it (meters aside: GameRoom.snapshot adds the live lane's). */
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
type Empty = Record<never, never>;
type Answer<T = Empty> = ({ ok: true } & T) | ErrorAck;

export class GameRoom<C extends RoomClient = RoomClient> {
  state: RoomState;
  readonly clock = new RoomClock();
  /** The players' live meters, broadcast at a fixed rate, and the evidence awards are judged by. */
  readonly lane: LiveLane;
  private readonly seats = new Map<string, Seat>();
  /** The all-ready pause before play, then the end of the match. */
  private phaseTimer: TimerHandle | null = null;
  /** Fires at the lobby's deadline (state.game.lobby.deadline), re-armed whenever it moves. */
  private preloadTimer: TimerHandle | null = null;
  private preloadTimerAt: number | null = null;
  /** While playing: when each member was last heard from, and who went quiet (still seated, shown reconnecting). */
  private readonly lastHeardAt = new Map<string, number>();
  private readonly silent = new Set<string>();
  private silenceTimer: TimerHandle | null = null;
  /** The results' best moments: in this object's memory only, never in the state or a record. */
  private readonly moments = new RoomMoments();
  private disposed = false;

  readonly messages: RoomMessages = {
    "game:start": message("game:start", (playerId, choice) => {
      if ("testPlaylist" in choice && !this.options.allowTestPlaylists) {
        return { ok: false, code: "test_playlists_disabled", message: "Test playlists are disabled on this server." };
      }
      const setup = chooseGameSetup(choice, randomBytes(4).readUInt32LE(0));
      const testPlaylist = setup.testPlaylistId ? TEST_PLAYLISTS[setup.testPlaylistId] : undefined;
      const preloadTimeoutMs = testPlaylist?.preloadTimeoutMs ?? this.options.preloadTimeoutMs;
      const lobbyOverrides = testPlaylist?.lobbyOverrides;
      return this.applied({ type: "startGame", playerId, setup, now: this.clock.now(), preloadTimeoutMs, ...(lobbyOverrides ? { lobbyOverrides } : {}) });
    }),
    "game:startEarly": message("game:startEarly", (playerId) => this.applied({ type: "startEarly", playerId, now: this.clock.now() })),
    "game:returnToChat": message("game:returnToChat", (playerId) => this.applied({ type: "returnToChat", playerId })),
    "preload:progress": message("preload:progress", (playerId, progress) =>
      this.applied({ type: "reportPreload", playerId, ...progress, now: this.clock.now() }),
    ),
    "rtc:signal": message("rtc:signal", (playerId, signal) => this.relaySignal(playerId, signal)),
    "call:media": message("call:media", (playerId, media) => this.applied({ type: "setMedia", playerId, ...media })),
    "game:score": message("game:score", (playerId, award, log) => this.award(playerId, award, log)),
    "game:leaderPose": message("game:leaderPose", (playerId, struck, log) => this.leaderPose(playerId, struck, log)),
    "game:visibility": message("game:visibility", (playerId, { hidden }) => this.applied({ type: "setVisibility", playerId, hidden })),
    "game:moment": message("game:moment", (playerId, { image }) => this.shareMoment(playerId, image)),
  };

  readonly live: LiveMessages = {
    "game:meter": { ...liveEvents["game:meter"], handle: (playerId, sample) => this.meter(playerId, sample) },
    // Hearing it is the point (heard() runs for every event); nothing else to do.
    "game:alive": { ...liveEvents["game:alive"], handle: () => ({ ok: true }) },
  };

  constructor(
    state: RoomState,
    private readonly transport: RoomTransport<C>,
    private readonly options: RoomOptions,
  ) {
    this.state = state;
    this.lane = new LiveLane(this.clock, (payload) => this.transport.broadcast("game:meters", payload));
  }

  get code(): string {
    return this.state.code;
  }

  /** How many best moments the room holds now (for tests: none outside the results). */
  get momentCount(): number {
    return this.moments.size;
  }

  seatOf(playerId: string): Seat | undefined {
    return this.seats.get(playerId);
  }

  /** The socket speaking for a member, if it is connected. */
  socketOf(playerId: string): string | undefined {
    const seat = this.seats.get(playerId);
    return seat?.status === "connected" ? seat.socketId : undefined;
  }

  /** Who holds this session token, if anyone (a reconnecting member still does). */
  memberForToken(sessionToken: string): string | undefined {
    for (const [playerId, seat] of this.seats) {
      if (sessionToken !== "" && seat.sessionToken === sessionToken && findMember(this.state, playerId)) return playerId;
    }
    return undefined;
  }

  snapshot(): RoomSnapshot {
    const snapshot = toRoomSnapshot(this.state);
    // Meters live in the lane, not in the room state: the snapshot shows their latest values.
    if (!snapshot.game || !this.lane.running) return snapshot;
    const scores = snapshot.game.scores.map((score) => ({ ...score, similarity: this.lane.similarityOf(score.playerId) }));
    return { ...snapshot, game: { ...snapshot.game, scores } };
  }

  // ------------------------------------------------------------------ lifecycle

  /** create: the host takes the first seat (the state was made by core's createRoom). */
  onCreate(client: C, hostId: string, effects: RoomEffect[], log: Logger): JoinedRoom {
    return this.seatNew(client, hostId, effects, log);
  }

  /** join: a new member, or (with its session token) a member taking its seat back. */
  onJoin(client: C, request: { nickname: string; sessionToken?: string }, log: Logger): Answer<JoinedRoom> {
    const resumedId = request.sessionToken ? this.memberForToken(request.sessionToken) : undefined;
    if (resumedId) return this.resume(client, resumedId, log);
    const playerId = randomUUID();
    const result = applyRoomIntent(this.state, { type: "join", playerId, nickname: request.nickname });
    if (!result.ok) return { ok: false, ...result.error };
    this.state = result.state;
    log.info({ roomCode: this.code, playerId }, "member joined");
    return { ok: true, ...this.seatNew(client, playerId, result.effects, log) };
  }

  /**
   * leave: `consented` (the member asked) frees the seat now; a dropped connection keeps it
   * for the grace period, so a reload or a short network loss is invisible.
   */
  onLeave(playerId: string, socketId: string, consented: boolean, log: Logger): Answer {
    const seat = this.seats.get(playerId);
    if (consented) return this.applied({ type: "leave", playerId }, log);
    // Only the socket that holds the seat can drop it (a newer tab may have taken it since).
    if (seat?.status !== "connected" || seat.socketId !== socketId) return { ok: true };
    this.silent.delete(playerId);
    this.holdSeat(playerId, seat.sessionToken);
    return this.applied({ type: "setConnected", playerId, connected: false }, log);
  }

  /**
   * Any event from a member, before its handler: the silence watch's evidence. A member that had
   * gone quiet is back (its seat never left).
   */
  heard(playerId: string): void {
    if (this.silenceTimer === null) return;
    this.lastHeardAt.set(playerId, this.clock.now());
    if (!this.silent.delete(playerId)) return;
    const log = this.taskLog("member:heard");
    log.info({ roomCode: this.code, playerId }, "member's link is back");
    this.applied({ type: "setConnected", playerId, connected: true }, log);
  }

  /** dispose: every timer stops and the hub forgets the room. Idempotent. */
  onDispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.moments.clear();
    this.lane.stop();
    this.clock.dispose();
    this.options.onDispose(this);
  }

  /** A room carried over a restart: every member is reconnecting, with its old token. */
  restoreSeats(sessionTokens: Record<string, string>): void {
    // Every member gets the grace period; one without a token can never reclaim it and leaves then.
    for (const member of this.state.members) this.holdSeat(member.id, sessionTokens[member.id] ?? "");
  }

  /** Seats' tokens, as a drain hands them to the next start (roomCarryOver.ts). */
  sessionTokens(): Record<string, string> {
    return Object.fromEntries([...this.seats].filter(([, seat]) => seat.sessionToken !== "").map(([playerId, seat]) => [playerId, seat.sessionToken]));
  }

  /** A match whose results showed "saving…" reached the database: the room shows "saved". */
  matchSaved(matchId: string): void {
    if (this.state.game?.results?.matchId !== matchId) return;
    this.applied({ type: "matchSaved", matchId }, this.taskLog("match:save").child({ matchId }));
  }

  // ------------------------------------------------------------------ messages

  /**
   * A player's award. The rules (core/game/match.ts) decide whether the round is open and not yet
   * scored; then the player's live meter must have shown the hold (core/game/awardEvidence.ts),
   * or the award is refused as implausible and scores nothing.
   */
  private award(playerId: string, event: ClientPayload<"game:score">, log: Logger): Answer {
    const now = this.clock.now();
    // Only the live lane is evidence: an award's own reading is not, or a client could build a
    // "hold" out of refused awards.
    const result = applyRoomIntent(this.state, { type: "score", playerId, ...event, now });
    if (!result.ok) return { ok: false, ...result.error };
    if (!this.lane.supports(playerId, event.roundIndex, event.award)) {
      this.options.metrics?.awardRefused();
      log.warn({ roomCode: this.code, playerId, roundIndex: event.roundIndex, award: event.award }, "implausible award refused");
      return { ok: false, code: "implausible_award", message: "Your meter did not show that pose being held: hold it in view of the camera." };
    }
    const arrivedAt = performance.now();
    this.state = result.state;
    this.carryOut(result.effects, log);
    // The award goes out at once, as what it changed (one scoreboard per award): the player's
    // score, and in a copy round its leader's too.
    const changed = result.effects.flatMap((effect) => (effect.type === "scoreChanged" ? [effect.playerId] : []));
    const entries = changed.flatMap((changedId) => {
      const score = result.state.game?.match?.scores[changedId];
      const round = score?.rounds[event.roundIndex];
      return score && round
        ? [{ playerId: changedId, total: score.total, round: { roundIndex: event.roundIndex, points: round.points, grade: round.grade } }]
        : [];
    });
    if (entries.length > 0) {
      this.transport.broadcast("game:scoreboard", { entries });
      this.options.metrics?.scoreboardSent([arrivedAt]);
    }
    return { ok: true };
  }

  /**
   * A copy round's leader struck its pose. The rules (core/game/match.ts) decide whether this
   * player leads this round and the strike is still on; the pose must be a whole framed body, and
   * the leader's meter (its steadiness) must have shown it held, or it is refused and the round
   * plays its library pose when the strike ends.
   */
  private leaderPose(playerId: string, { roundIndex, pose }: ClientPayload<"game:leaderPose">, log: Logger): Answer {
    if (!isPlayableLeaderPose(pose)) {
      return { ok: false, code: "implausible_pose", message: "That pose is not a whole body in view: step back so the camera sees you from head to feet." };
    }
    // The rules first (is this the leader, is the strike on), so a refusal says the real reason.
    const result = applyRoomIntent(this.state, { type: "leaderPose", playerId, roundIndex, pose, now: this.clock.now() });
    if (!result.ok) return { ok: false, ...result.error };
    if (!this.lane.supportsStrike(playerId, roundIndex)) {
      this.options.metrics?.awardRefused();
      log.warn({ roomCode: this.code, playerId, roundIndex }, "unsteady leader pose refused");
      return { ok: false, code: "implausible_pose", message: "Your meter did not show that pose held: hold still for a second." };
    }
    this.state = result.state;
    log.info({ roomCode: this.code, playerId, roundIndex }, "leader struck a pose");
    this.carryOut(result.effects, log);
    return { ok: true };
  }

  /** A best moment (or its withdrawal) goes to the whole room, the sender included (its podium shows it too). */
  private shareMoment(playerId: string, image: string | null): Answer {
    if (this.disposed) return { ok: false, code: "room_not_found", message: "There is no room with that code." };
    const answer = this.moments.accept(this.state, playerId, image);
    if (!answer.ok) return answer;
    this.transport.broadcast("game:moments", { matchId: answer.matchId, moments: [answer.moment] });
    return { ok: true };
  }

  /** A member who left takes its still along: friends' podiums show its figure instead. */
  private forgetMoment(playerId: string): void {
    const withdrawal = this.moments.forget(playerId);
    if (withdrawal) this.transport.broadcast("game:moments", withdrawal);
  }

  /** A member (re)joining during the results gets the moments shared so far. */
  private sendMoments(socketId: string): void {
    const all = this.state.phase === "results" ? this.moments.all() : null;
    if (all) this.transport.sendTo(socketId, "game:moments", all);
  }

  /** A live meter sample: the player's latest value, out with the next meter tick. Never acked. */
  private meter(playerId: string, sample: LivePayload<"game:meter">): { ok: true } | ErrorAck {
    const now = this.clock.now();
    const lane = this.meterLane(playerId, sample.roundIndex, now);
    if (lane === "strike") this.lane.recordStrike(playerId, sample.roundIndex, sample.similarity, now);
    else if (lane === "play") this.lane.record(playerId, sample.roundIndex, sample.similarity, now);
    else return lane;
    return { ok: true };
  }

  /**
   * Where the player's meter counts for that round now: a leader's steadiness during its strike,
   * a player's similarity while the round is scored; else why not.
   */
  private meterLane(playerId: string, roundIndex: number, now: number): "strike" | "play" | ErrorAck {
    const match = this.state.phase === "playing" ? this.state.game?.match : null;
    if (!match) return { ok: false, code: "wrong_phase", message: "No game is being played." };
    if (!(playerId in match.scores)) return { ok: false, code: "spectator", message: "Spectators do not score." };
    if (findMember(this.state, playerId)?.paused) return { ok: false, code: "wrong_phase", message: "Your game is paused." };
    const round = match.timeline.rounds[roundIndex];
    const closed: ErrorAck = { ok: false, code: "outside_window", message: "That round is not open." };
    if (round?.strikeEndsAt !== undefined && now >= round.startsAt && now < round.strikeEndsAt) {
      return round.leaderId === playerId ? "strike" : closed;
    }
    switch (scoreWindowRefusal(match, playerId, roundIndex, now)) {
      case null:
        return "play";
      case "leader_is_copied":
        return { ok: false, code: "is_leader", message: "You lead this round: your friends copy you." };
      default:
        return closed;
    }
  }

  /** Each copy round's strike ends on the server clock: then the round has a target, struck or not. */
  private scheduleStrikeEnds(): void {
    const rounds = this.state.game?.match?.timeline.rounds ?? [];
    for (const round of rounds) {
      if (round.strikeEndsAt === undefined) continue;
      this.clock.setTimeout(() => {
        const log = this.taskLog("strike:end");
        const answer = this.apply({ type: "closeStrike", roundIndex: round.index }, log);
        if (answer.ok && answer.state.game?.match?.copies[round.index]?.fallbackReason === "no_pose") {
          log.info({ roomCode: this.code, roundIndex: round.index, leaderId: round.leaderId }, "no pose from the leader: the round plays its library pose");
        }
      }, round.strikeEndsAt - this.clock.now());
    }
  }

  /** From the start of play: everyone counts as just heard, then each second the quiet ones are marked. */
  private watchSilence(): void {
    this.clock.clear(this.silenceTimer);
    if (this.options.silentAfterMs <= 0) return;
    const now = this.clock.now();
    for (const member of this.state.members) this.lastHeardAt.set(member.id, now);
    this.silenceTimer = this.clock.setRepeating(() => this.markSilent(), SILENCE_CHECK_MS);
  }

  private markSilent(): void {
    const now = this.clock.now();
    for (const member of this.state.members) {
      // A hidden page is paused (it says so before it goes); a dropped socket is already shown away.
      if (!member.connected || member.paused || this.silent.has(member.id) || this.seats.get(member.id)?.status !== "connected") continue;
      if (now - (this.lastHeardAt.get(member.id) ?? now) < this.options.silentAfterMs) continue;
      this.silent.add(member.id);
      const log = this.taskLog("member:silent");
      log.info({ roomCode: this.code, playerId: member.id, silentMs: now - (this.lastHeardAt.get(member.id) ?? now) }, "member's link went quiet");
      this.applied({ type: "setConnected", playerId: member.id, connected: false }, log);
    }
  }

  /** After play: a member still quiet is shown connected again; Socket.IO's heartbeat decides from here. */
  private stopSilenceWatch(log: Logger): void {
    this.clock.clear(this.silenceTimer);
    this.silenceTimer = null;
    this.lastHeardAt.clear();
    const quiet = [...this.silent];
    this.silent.clear();
    for (const playerId of quiet) this.applied({ type: "setConnected", playerId, connected: true }, log);
  }

  /**
   * Relays a WebRTC signal to one other member of this room, and only there: a socket can never
   * reach a stranger or another room through this.
   */
  private relaySignal(playerId: string, signal: ClientPayload<"rtc:signal">): Answer {
    const targetSocketId = findMember(this.state, signal.to) ? this.socketOf(signal.to) : undefined;
    if (!targetSocketId || signal.to === playerId) {
      return { ok: false, code: "not_in_room", message: "That player is not connected to your room." };
    }
    this.transport.sendTo(targetSocketId, "rtc:signal", {
      from: playerId,
      ...(signal.description ? { description: signal.description } : {}),
      ...(signal.candidate !== undefined ? { candidate: signal.candidate } : {}),
    });
    return { ok: true };
  }

  // ------------------------------------------------------------------ seats

  private seatNew(client: C, playerId: string, effects: RoomEffect[], log: Logger): JoinedRoom {
    const sessionToken = randomBytes(18).toString("base64url");
    this.connectSeat(playerId, client, sessionToken);
    this.carryOut(effects, log);
    this.sendMoments(client.id);
    return { playerId, sessionToken, room: this.snapshot() };
  }

  private resume(client: C, playerId: string, log: Logger): Answer<JoinedRoom> {
    const seat = this.seats.get(playerId);
    if (!seat) return { ok: false, code: "room_not_found", message: "There is no room with that code." };
    if (seat.status === "reconnecting") this.clock.clear(seat.timer);
    // A second tab (or a zombie connection) with the same seat loses it to the newest one.
    if (seat.status === "connected" && seat.socketId !== client.id) this.transport.evict(seat.socketId, playerId, "already_in_room");
    this.connectSeat(playerId, client, seat.sessionToken);
    this.silent.delete(playerId);
    this.lastHeardAt.set(playerId, this.clock.now());
    log.info({ roomCode: this.code, playerId }, "member resumed its seat");
    this.applied({ type: "setConnected", playerId, connected: true }, log);
    this.sendMoments(client.id);
    return { ok: true, playerId, sessionToken: seat.sessionToken, room: this.snapshot() };
  }

  private connectSeat(playerId: string, client: C, sessionToken: string): void {
    this.seats.set(playerId, { status: "connected", sessionToken, socketId: client.id });
    this.transport.admit(client, playerId);
  }

  /**
   * The seat waits for its member until the grace period ends; then the member leaves. In the
   * lobby it waits until the lobby ends, plus the grace period: loading and warming up models can
   * hold a slow phone's main thread long enough to miss Socket.IO's heartbeat, and a member who
   * lost its seat there came back as a newcomer, a spectator of the game it had loaded for. The
   * lobby's own deadline already bounds how long anyone is waited for (an away player's bar stops
   * moving), and when the lobby ends the seats still waiting get the usual grace from then.
   */
  private holdSeat(playerId: string, sessionToken: string): void {
    const previous = this.seats.get(playerId);
    if (previous?.status === "reconnecting") this.clock.clear(previous.timer);
    const now = this.clock.now();
    const lobby = this.state.phase === "preloading" ? this.state.game?.lobby : null;
    const until = Math.max(now, lobby?.hardCapAt ?? now) + this.options.leaveGraceMs;
    const timer = this.clock.setTimeout(() => {
      if (this.seats.get(playerId)?.status !== "reconnecting") return;
      const log = this.taskLog("seat:release").child({ playerId });
      log.info("seat released after grace period");
      this.applied({ type: "leave", playerId }, log);
    }, until - now);
    this.seats.set(playerId, { status: "reconnecting", sessionToken, until, timer });
  }

  /** The lobby is over: seats held through it wait the usual grace period from now. */
  private endLobbySeatHolds(): void {
    for (const [playerId, seat] of this.seats) if (seat.status === "reconnecting") this.holdSeat(playerId, seat.sessionToken);
  }

  /** The member is gone: its seat, its timer, and its socket's place in the room. */
  private releaseSeat(playerId: string): void {
    const seat = this.seats.get(playerId);
    if (!seat) return;
    this.seats.delete(playerId);
    if (seat.status === "reconnecting") this.clock.clear(seat.timer);
    else this.transport.evict(seat.socketId, playerId);
  }

  // ------------------------------------------------------------------ the machine

  /** Applies an intent through the pure rules and carries out its effects. */
  private applied(intent: RoomIntent, log: Logger = this.taskLog(intent.type)): Answer {
    const result = this.apply(intent, log);
    return result.ok ? { ok: true } : result;
  }

  private apply(intent: RoomIntent, log: Logger): Extract<TransitionResult, { ok: true }> | ErrorAck {
    if (this.disposed) return { ok: false, code: "room_not_found", message: "There is no room with that code." };
    const result = applyRoomIntent(this.state, intent);
    if (!result.ok) return { ok: false, ...result.error };
    this.state = result.state;
    this.carryOut(result.effects, log);
    return result;
  }

  private carryOut(effects: RoomEffect[], log: Logger): void {
    let broadcast = false;
    for (const effect of effects) {
      switch (effect.type) {
        case "stateChanged":
          broadcast = true;
          // A member who went away (hidden page, lost connection) reads 0 on the meters too.
          if (this.lane.running) {
            for (const member of this.state.members) if (member.paused || !member.connected) this.lane.zero(member.id);
          }
          break;
        case "memberJoined":
        case "scoreChanged":
          // Awards are broadcast by award(); meters travel on the live lane.
          break;
        case "preloadExtended":
          log.info({ roomCode: this.code, deadline: effect.deadline, reason: effect.reason, waitingFor: effect.waitingFor }, "preload deadline extended");
          break;
        case "gameCalledOff":
          log.info({ roomCode: this.code, reason: effect.reason }, "game called off: nobody ready at the lobby's hard cap");
          break;
        case "allReady":
          // A short pause on full bars: everyone sees that everyone made it, then the game starts.
          this.clock.clear(this.phaseTimer);
          this.phaseTimer = this.clock.setTimeout(
            () => this.apply({ type: "beginPlay", now: this.clock.now() }, this.taskLog("play:begin")),
            ALL_READY_PAUSE_MS,
          );
          break;
        case "memberLeft":
          this.releaseSeat(effect.playerId);
          this.forgetMoment(effect.playerId);
          break;
        case "hostChanged":
          log.info({ roomCode: this.code, hostId: effect.hostId }, "host handed over");
          break;
        case "phaseChanged":
          log.info({ roomCode: this.code, from: effect.from, to: effect.to }, "phase changed");
          if (effect.from === "results") this.moments.clear();
          if (effect.from === "preloading") this.endLobbySeatHolds();
          this.schedulePhaseTimer();
          if (effect.to === "playing" && this.state.game) {
            this.lane.start(this.state.game.settings.difficulty);
            this.watchSilence();
            this.scheduleStrikeEnds();
          } else if (effect.from === "playing") {
            this.lane.stop();
            this.stopSilenceWatch(log);
          }
          break;
        case "roomEmptied":
          log.info({ roomCode: this.code }, "room closed: last member left");
          this.onDispose();
          return;
      }
    }
    this.syncPreloadTimer();
    if (broadcast) this.transport.broadcast("room:state", this.snapshot());
  }

  /**
   * Keeps one timer on the lobby's current deadline. What a deadline does (play, wait longer,
   * call the game off) is the room machine's rule; this only wakes it up at the right time.
   */
  private syncPreloadTimer(): void {
    const deadline = this.state.phase === "preloading" ? (this.state.game?.lobby?.deadline ?? null) : null;
    if (deadline === this.preloadTimerAt) return;
    this.clock.clear(this.preloadTimer);
    this.preloadTimer = null;
    this.preloadTimerAt = deadline;
    if (deadline === null) return;
    this.preloadTimer = this.clock.setTimeout(() => {
      this.preloadTimer = null;
      // Cleared first, so the state after this check (a moved deadline, or the same one if this
      // fired a millisecond early) arms a fresh timer.
      this.preloadTimerAt = null;
      const log = this.taskLog("preload:deadline");
      const answer = this.apply({ type: "preloadTimedOut", now: this.clock.now() }, log);
      if (!answer.ok) log.warn({ code: answer.code }, "preload deadline check refused");
      this.syncPreloadTimer();
    }, deadline - this.clock.now());
  }

  private schedulePhaseTimer(): void {
    this.clock.clear(this.phaseTimer);
    this.phaseTimer = null;
    const match = this.state.phase === "playing" ? this.state.game?.match : null;
    if (match) this.phaseTimer = this.clock.setTimeout(() => void this.finishMatch(), match.timeline.endsAt - this.clock.now());
  }

  /**
   * Saves the match, then shows the results: a finished match is in the database, or durably
   * kept in DATA_DIR and being retried, before anyone sees a podium. In the second case the
   * results say "saving…" until the retry lands (matchSaved).
   */
  private async finishMatch(): Promise<void> {
    const { state } = this;
    const match = state.game?.match;
    if (state.phase !== "playing" || !state.game || !match) return;
    const ranking = rankPlayers(match);
    // The id is chosen here, once: every retry, in this run or the next, saves the same match.
    const matchId = randomUUID();
    const log = this.taskLog("match:finish").child({ matchId });
    this.lane.flush();
    const record = toMatchRecord(state, ranking, new Date(), (playerId, roundIndex) => this.lane.bestOf(playerId, roundIndex));
    const save = await this.options.matches.save({ ...record, id: matchId });
    if (this.disposed) return; // everyone left while saving
    log.info({ save }, "match finished");
    this.apply({ type: "finishGame", matchId, save, ranking }, log);
  }

  /**
   * The logger for work the room does on its own (timers, saves): the room's code and what the
   * work is, never the context of the socket event that happened to schedule it.
   */
  private taskLog(task: string): Logger {
    return this.options.logger.child({ roomCode: this.code, task });
  }
}
