/**
 * The room as a pure state machine: (state, intent) -> (state, effects).
 * No timers, sockets or randomness here: the server's Room object
 * (server/realtime/gameRoom.ts) supplies ids and clocks, applies the intent,
 * then carries out the effects.
 */
import { checkNickname, makeNicknameUnique } from "./nickname";
import { assignLeaders, type LeaderPose } from "./game/copyRound";
import {
  applyScoreEvent,
  clearLiveSimilarity,
  closeStrike,
  planTimeline,
  setLeaderPose,
  startMatch,
  type LeaderPoseRejection,
  type MatchState,
  type RankedPlayer,
  type ScoreRejection,
} from "./game/match";
import type { Grade } from "./scoring/points";
import type { GameSetup } from "./playlist";
import type { CalledOffReason, ErrorCode, InferenceReport, MediaState, MemberRole, PreloadStatus, RoomPhase } from "./protocol";
import { decideAtDeadline, lobbyTiming, type LobbyTiming, type LobbyTimingOverrides } from "./lobbyDeadline";
import type { FramingStatus } from "./framing";

export type { MemberRole, PreloadStatus, RoomPhase };

export interface MemberPreload {
  /** 0..100, as reported by the player's lobby. */
  readonly percent: number;
  readonly status: PreloadStatus;
  /** The framing check once ready; "adjusting" holds the all-ready start (never the deadline). */
  readonly framing?: FramingStatus;
  /** The inference plan the player's lobby chose (shown on lobby rows; the rules ignore it). */
  readonly inference?: InferenceReport;
}

const IDLE_PRELOAD: MemberPreload = { percent: 0, status: "idle" };
const LOADING_PRELOAD: MemberPreload = { percent: 0, status: "loading" };
const MEDIA_ON = { audio: true, video: true } as const;

export interface Member {
  readonly id: string;
  readonly nickname: string;
  /** Monotonic join position: the earliest remaining member inherits the host seat. */
  readonly joinOrder: number;
  readonly connected: boolean;
  /** This member's lobby: models loaded and warmed up when status is "ready". */
  readonly preload: MemberPreload;
  readonly role: MemberRole;
  /** Its page is hidden during the game (screen locked, another app): inference is paused. */
  readonly paused: boolean;
  /** Microphone and camera switched on, as shown on the member's call tile. */
  readonly media: Readonly<MediaState>;
}

export interface RoomState {
  readonly code: string;
  readonly phase: RoomPhase;
  readonly hostId: string;
  readonly members: readonly Member[];
  readonly maxMembers: number;
  readonly nextJoinOrder: number;
  /** The game being loaded, played or shown; null while chatting. */
  readonly game: GameState | null;
  /** Why the last lobby ended without a game; shown while chatting, cleared by the next start. */
  readonly calledOff: CalledOff | null;
}

/** A lobby that ended without a game: the reason the clients show, and when (server clock). */
export interface CalledOff {
  readonly reason: CalledOffReason;
  readonly at: number;
}
export type { CalledOffReason };

/**
 * The lobby's clock, kept in the state rather than in the hub: whether a deadline starts the game,
 * waits longer or calls it off is a game rule (core/lobbyDeadline.ts), and it needs each player's
 * last progress time to decide. Keeping those times here makes the rule a pure function of state
 * and `now`, replayable in unit tests, and the snapshot's deadline comes from the same place the
 * rule reads; the hub only turns `deadline` into a timer.
 */
export interface LobbyClock {
  readonly openedAt: number;
  /** Server time of the next deadline check: the base deadline, or an extension of it. */
  readonly deadline: number;
  /** The last possible check: whoever is ready then plays; if nobody is, the game is called off. */
  readonly hardCapAt: number;
  readonly timing: LobbyTiming;
  /** When each player's reported progress last moved (a higher percent, a new status or a later step). */
  readonly progressAt: Readonly<Record<string, number>>;
  /**
   * Each player's last reported step: a count of the lobby's stages its page has finished. Not in
   * the snapshot (friends see the percent); only the deadline rule needs to know the page moved.
   */
  readonly steps: Readonly<Record<string, number>>;
}

export interface GameState extends GameSetup {
  /** The lobby's deadline and progress times while preloading; null once play begins. */
  readonly lobby: LobbyClock | null;
  /** Set when play begins: the timeline and the scores. */
  readonly match: MatchState | null;
  /**
   * Set when the match is over. Its record has the id `matchId` from the start; `save` says
   * whether it is in the database yet ("saving": kept on disk and retried until it lands).
   */
  readonly results: {
    readonly matchId: string;
    readonly save: MatchSaveStatus;
    readonly ranking: readonly RankedPlayer[];
  } | null;
}

export type MatchSaveStatus = "saving" | "saved";

export type RoomIntent =
  | { type: "join"; playerId: string; nickname: string }
  | { type: "leave"; playerId: string }
  | { type: "setConnected"; playerId: string; connected: boolean }
  /** During the game: the member's page was hidden (inference paused) or shown again. */
  | { type: "setVisibility"; playerId: string; hidden: boolean }
  /** Host: chatting -> preloading, with the chosen playlist; the first deadline is `preloadTimeoutMs` after `now`. */
  | { type: "startGame"; playerId: string; setup: GameSetup; now: number; preloadTimeoutMs: number; lobbyOverrides?: LobbyTimingOverrides }
  /** A player's lobby reports its progress: loading, ready, or failed (and loading again on retry). */
  | {
      type: "reportPreload";
      playerId: string;
      percent: number;
      status: Exclude<PreloadStatus, "idle">;
      framing?: FramingStatus;
      inference?: InferenceReport;
      /**
       * Stages the page has finished so far (each bar's stage moving on: a download done, a model
       * created or warmed up; each phase of the plan trial). The percent sits at 99 through the CPU work after the
       * downloads; a later step tells the deadline that this page is still working, not stalled.
       */
      step?: number;
      now: number;
    }
  /** Host starts early with whoever is ready; the rest watch. */
  | { type: "startEarly"; playerId: string; now: number }
  /**
   * Server: the preload deadline passed. Plays with those ready, or moves the deadline on while
   * nobody is ready or someone is still making progress, or calls the game off at the hard cap
   * when nobody is ready (core/lobbyDeadline.ts).
   */
  | { type: "preloadTimedOut"; now: number }
  /** Server: everyone was ready and has seen it for a moment; play. */
  | { type: "beginPlay"; now: number }
  /** A player's live similarity, and its award once the pose was held. `now` is the server clock. */
  | { type: "score"; playerId: string; roundIndex: number; similarity: number; award?: Grade; now: number }
  /** A copy round's leader struck its pose (already checked playable and held, by the adapter). */
  | { type: "leaderPose"; playerId: string; roundIndex: number; pose: LeaderPose; now: number }
  /** Server: a copy round's strike is over; without the leader's pose it plays its library pose. */
  | { type: "closeStrike"; roundIndex: number }
  /** The member switched its microphone or camera on or off. */
  | { type: "setMedia"; playerId: string; audio: boolean; video: boolean; slowUplink?: boolean }
  /** Server: the last round ended; the match record `matchId` is saved, or still being saved. */
  | { type: "finishGame"; matchId: string; save: MatchSaveStatus; ranking: RankedPlayer[] }
  /** Server: a match that was still being saved when its results showed is in the database now. */
  | { type: "matchSaved"; matchId: string }
  /** Host: results -> chatting. */
  | { type: "returnToChat"; playerId: string };

export type RoomEffect =
  | { type: "stateChanged" }
  | { type: "phaseChanged"; from: RoomPhase; to: RoomPhase }
  | { type: "hostChanged"; hostId: string }
  | { type: "memberJoined"; playerId: string }
  | { type: "memberLeft"; playerId: string }
  /** Every player is ready (a disconnected one too): the Room starts play after a short pause, so all see the full bars. */
  | { type: "allReady" }
  /** The deadline passed and moved on to `deadline` (for the log; the snapshot carries it). */
  | { type: "preloadExtended"; deadline: number; reason: "nobody_ready" | "progress"; waitingFor: string[] }
  /** The lobby ended without a game and the room is chatting again. */
  | { type: "gameCalledOff"; reason: CalledOffReason }
  /** A player's score changed: the adapter batches these into scoreboard updates (not full snapshots). */
  | { type: "scoreChanged"; playerId: string }
  /** The last member left: the adapter forgets the room. */
  | { type: "roomEmptied" };

export interface RoomError {
  readonly code: ErrorCode;
  readonly message: string;
}

export type TransitionResult = { ok: true; state: RoomState; effects: RoomEffect[] } | { ok: false; error: RoomError };

export interface CreateRoomInput {
  code: string;
  maxMembers: number;
  host: { playerId: string; nickname: string };
}

export function createRoom(input: CreateRoomInput): TransitionResult {
  const nickname = checkNickname(input.host.nickname);
  if (!nickname.ok) return fail(nickname.code, nicknameMessage(nickname.code));
  const host: Member = {
    id: input.host.playerId,
    nickname: nickname.nickname,
    joinOrder: 0,
    connected: true,
    preload: IDLE_PRELOAD,
    role: "player",
    paused: false,
    media: MEDIA_ON,
  };
  const state: RoomState = {
    code: input.code,
    phase: "chatting",
    hostId: host.id,
    members: [host],
    maxMembers: input.maxMembers,
    nextJoinOrder: 1,
    game: null,
    calledOff: null,
  };
  return { ok: true, state, effects: [{ type: "memberJoined", playerId: host.id }, { type: "stateChanged" }] };
}

export function applyRoomIntent(state: RoomState, intent: RoomIntent): TransitionResult {
  switch (intent.type) {
    case "join":
      return join(state, intent.playerId, intent.nickname);
    case "leave":
      return leave(state, intent.playerId);
    case "setConnected":
      return setConnected(state, intent.playerId, intent.connected);
    case "setVisibility":
      return setVisibility(state, intent.playerId, intent.hidden);
    case "setMedia":
      return setMedia(state, intent.playerId, { audio: intent.audio, video: intent.video, ...(intent.slowUplink ? { slowUplink: true } : {}) });
    case "startGame":
      return startGame(state, intent);
    case "reportPreload":
      return reportPreload(
        state,
        intent.playerId,
        {
          percent: intent.percent,
          status: intent.status,
          ...(intent.framing ? { framing: intent.framing } : {}),
          ...(intent.inference ? { inference: intent.inference } : {}),
        },
        intent.now,
        intent.step,
      );
    case "startEarly":
      return startEarly(state, intent.playerId, intent.now);
    case "preloadTimedOut":
      return preloadTimedOut(state, intent.now);
    case "beginPlay":
      return state.phase === "preloading" ? beginPlaying(state, intent.now) : fail("wrong_phase", "The lobby is not loading.");
    case "score":
      return score(state, intent);
    case "leaderPose":
      return leaderPose(state, intent);
    case "closeStrike":
      return updateMatch(state, (match) => closeStrike(match, intent.roundIndex));
    case "finishGame":
      return state.phase === "playing" && state.game
        ? changePhase(
            {
              ...state,
              // Pausing only means something while playing: the results screen starts everyone unpaused.
              members: state.members.map((member) => (member.paused ? { ...member, paused: false } : member)),
              game: { ...state.game, results: { matchId: intent.matchId, save: intent.save, ranking: intent.ranking } },
            },
            "results",
          )
        : fail("wrong_phase", "No game is being played.");
    case "matchSaved":
      return markMatchSaved(state, intent.matchId);
    case "returnToChat":
      return returnToChat(state, intent.playerId);
  }
}

/** Only the results of that very match change (the room may have moved on, even to another match). */
function markMatchSaved(state: RoomState, matchId: string): TransitionResult {
  const results = state.game?.results;
  if (!state.game || !results || results.matchId !== matchId) return fail("wrong_phase", "Those results are not shown.");
  if (results.save === "saved") return { ok: true, state, effects: [] };
  return {
    ok: true,
    state: { ...state, game: { ...state.game, results: { ...results, save: "saved" } } },
    effects: [{ type: "stateChanged" }],
  };
}

export function findMember(state: RoomState, playerId: string): Member | undefined {
  return state.members.find((member) => member.id === playerId);
}

function join(state: RoomState, playerId: string, rawNickname: string): TransitionResult {
  if (findMember(state, playerId)) return fail("already_in_room", "You are already in this room.");
  if (state.members.length >= state.maxMembers) {
    return fail("room_full", `This room is full (${state.maxMembers} players).`);
  }
  const checked = checkNickname(rawNickname);
  if (!checked.ok) return fail(checked.code, nicknameMessage(checked.code));
  const nickname = makeNicknameUnique(
    checked.nickname,
    state.members.map((member) => member.nickname),
  );
  // Someone arriving mid-game cannot have loaded models for it: they watch until the next game.
  const role: MemberRole = state.phase === "chatting" ? "player" : "spectator";
  const member: Member = {
    id: playerId,
    nickname,
    joinOrder: state.nextJoinOrder,
    connected: true,
    preload: IDLE_PRELOAD,
    role,
    paused: false,
    media: MEDIA_ON,
  };
  return {
    ok: true,
    state: { ...state, members: [...state.members, member], nextJoinOrder: state.nextJoinOrder + 1 },
    effects: [{ type: "memberJoined", playerId }, { type: "stateChanged" }],
  };
}

function leave(state: RoomState, playerId: string): TransitionResult {
  if (!findMember(state, playerId)) return fail("not_in_room", "You are not in this room.");
  const members = state.members.filter((member) => member.id !== playerId);
  const effects: RoomEffect[] = [{ type: "memberLeft", playerId }];
  const [earliest] = [...members].sort((a, b) => a.joinOrder - b.joinOrder);
  if (!earliest) {
    return { ok: true, state: { ...state, members }, effects: [...effects, { type: "roomEmptied" }] };
  }
  let next: RoomState = { ...state, members };
  if (state.hostId === playerId) {
    next = { ...next, hostId: earliest.id };
    effects.push({ type: "hostChanged", hostId: earliest.id });
  }
  effects.push({ type: "stateChanged" });
  // The leaver may have been the last one the lobby was waiting for.
  const settled = settleLobby(next);
  return { ok: true, state: settled.state, effects: [...effects, ...settled.effects] };
}

/**
 * A dropped connection keeps everything (seat, nickname, role, preload, score): only the flag
 * changes, so the member can resume exactly where it was. While away, its live meter reads 0.
 */
function setConnected(state: RoomState, playerId: string, connected: boolean): TransitionResult {
  const member = findMember(state, playerId);
  if (!member) return fail("not_in_room", "You are not in this room.");
  if (member.connected === connected) return { ok: true, state, effects: [] };
  const next = replaceMember(state, { ...member, connected });
  return connected ? { ok: true, state: next, effects: [{ type: "stateChanged" }] } : withLiveMeterCleared(next, playerId, [{ type: "stateChanged" }]);
}

/**
 * Records that a member's page is hidden or visible again during the game. The round clock does
 * not stop for a hidden page: the time away simply scores nothing (never less than nothing), and
 * its live meter drops to 0 so friends do not watch a frozen reading.
 */
function setVisibility(state: RoomState, playerId: string, hidden: boolean): TransitionResult {
  const member = findMember(state, playerId);
  if (!member) return fail("not_in_room", "You are not in this room.");
  const denied = requirePhase(state, "playing");
  if (denied) return denied;
  if (member.paused === hidden) return { ok: true, state, effects: [] };
  const next = replaceMember(state, { ...member, paused: hidden });
  return hidden ? withLiveMeterCleared(next, playerId, [{ type: "stateChanged" }]) : { ok: true, state: next, effects: [{ type: "stateChanged" }] };
}

function withLiveMeterCleared(state: RoomState, playerId: string, effects: RoomEffect[]): TransitionResult {
  const match = state.game?.match;
  if (state.phase !== "playing" || !state.game || !match || !(playerId in match.scores)) return { ok: true, state, effects };
  const cleared = clearLiveSimilarity(match, playerId);
  if (cleared === match) return { ok: true, state, effects };
  return {
    ok: true,
    state: { ...state, game: { ...state.game, match: cleared } },
    effects: [...effects, { type: "scoreChanged", playerId }],
  };
}

function setMedia(state: RoomState, playerId: string, media: Member["media"]): TransitionResult {
  const member = findMember(state, playerId);
  if (!member) return fail("not_in_room", "You are not in this room.");
  if (member.media.audio === media.audio && member.media.video === media.video && Boolean(member.media.slowUplink) === Boolean(media.slowUplink))
    return { ok: true, state, effects: [] };
  return { ok: true, state: replaceMember(state, { ...member, media }), effects: [{ type: "stateChanged" }] };
}

function startGame(state: RoomState, intent: Extract<RoomIntent, { type: "startGame" }>): TransitionResult {
  const { playerId, setup, now } = intent;
  const denied = requireHost(state, playerId) ?? requirePhase(state, "chatting");
  if (denied) return denied;
  if (setup.targets.length === 0) return fail("invalid_payload", "A game needs at least one round.");
  const members = state.members.map((member) => ({ ...member, preload: LOADING_PRELOAD, role: "player" as const, paused: false }));
  const timing = lobbyTiming(intent.preloadTimeoutMs, intent.lobbyOverrides);
  const lobby: LobbyClock = { openedAt: now, deadline: now + timing.baseMs, hardCapAt: now + timing.hardCapMs, timing, progressAt: {}, steps: {} };
  return changePhase({ ...state, members, calledOff: null, game: { ...setup, lobby, match: null, results: null } }, "preloading");
}

function sameInference(a: InferenceReport | undefined, b: InferenceReport | undefined): boolean {
  return a?.plan === b?.plan && a?.detectMs === b?.detectMs;
}

function reportPreload(state: RoomState, playerId: string, preload: MemberPreload, now: number, step: number | undefined): TransitionResult {
  const member = findMember(state, playerId);
  if (!member) return fail("not_in_room", "You are not in this room.");
  const denied = requirePhase(state, "preloading");
  if (denied) return denied;
  if (member.role === "spectator") return fail("spectator", "Spectators do not load the game.");
  // "ready" always means 100%, whatever percent a client rounded to.
  const next: MemberPreload = preload.status === "ready" ? { ...preload, percent: 100 } : preload;
  const lobby = state.game?.lobby;
  // A page that starts over (a retry, a reload) counts its steps from 0 again.
  const restarted = next.percent < member.preload.percent || next.status !== member.preload.status;
  const lastStep = restarted ? -1 : (lobby?.steps[playerId] ?? -1);
  const stepped = step !== undefined && lobby !== undefined && lobby !== null && step > lastStep;
  const changed =
    member.preload.percent !== next.percent ||
    member.preload.status !== next.status ||
    member.preload.framing !== next.framing ||
    !sameInference(member.preload.inference, next.inference);
  if (!changed && !stepped) return { ok: true, state, effects: [] };
  let updated = changed ? replaceMember(state, { ...member, preload: next }) : state;
  // Progress is a higher percent, a new status or a later step; a repeated or lower percent is not.
  const moved = next.status !== member.preload.status || next.percent > member.preload.percent || stepped;
  if (moved && updated.game && lobby) {
    updated = {
      ...updated,
      game: {
        ...updated.game,
        lobby: {
          ...lobby,
          progressAt: { ...lobby.progressAt, [playerId]: now },
          steps: step !== undefined ? { ...lobby.steps, [playerId]: step } : lobby.steps,
        },
      },
    };
  }
  // A step alone changes nothing anyone sees: no broadcast.
  if (!changed) return { ok: true, state: updated, effects: [] };
  const settled = settleLobby(updated);
  return { ok: true, state: settled.state, effects: [{ type: "stateChanged" }, ...settled.effects] };
}

function startEarly(state: RoomState, playerId: string, now: number): TransitionResult {
  const denied = requireHost(state, playerId) ?? requirePhase(state, "preloading");
  if (denied) return denied;
  if (!state.members.some((member) => member.role === "player" && isReady(member))) {
    return fail("nobody_ready", "Nobody has finished loading yet.");
  }
  return beginPlaying(state, now);
}

/** The deadline passed: play, wait longer, or call the game off (the rule is in core/lobbyDeadline.ts). */
function preloadTimedOut(state: RoomState, now: number): TransitionResult {
  const denied = requirePhase(state, "preloading");
  if (denied) return denied;
  const lobby = state.game?.lobby;
  if (!state.game || !lobby) return fail("wrong_phase", "No game was chosen.");
  const players = state.members
    .filter((member) => member.role === "player")
    .map((member) => ({ id: member.id, status: member.preload.status, progressAt: lobby.progressAt[member.id] }));
  const decision = decideAtDeadline(lobby, players, now);
  switch (decision.kind) {
    case "notYet":
      return { ok: true, state, effects: [] };
    case "play":
      return beginPlaying(state, now);
    case "extend":
      return {
        ok: true,
        state: { ...state, game: { ...state.game, lobby: { ...lobby, deadline: decision.deadline } } },
        effects: [{ type: "preloadExtended", deadline: decision.deadline, reason: decision.reason, waitingFor: decision.movingIds }, { type: "stateChanged" }],
      };
    case "callOff": {
      const members = state.members.map((member) => ({ ...member, preload: IDLE_PRELOAD, role: "player" as const, paused: false }));
      const calledOff: CalledOff = { reason: decision.reason, at: now };
      const back = changePhase({ ...state, members, game: null, calledOff }, "chatting");
      return back.ok ? { ...back, effects: [{ type: "gameCalledOff", reason: decision.reason }, ...back.effects] } : back;
    }
  }
}

function returnToChat(state: RoomState, playerId: string): TransitionResult {
  const denied = requireHost(state, playerId) ?? requirePhase(state, "results");
  if (denied) return denied;
  const members = state.members.map((member) => ({ ...member, preload: IDLE_PRELOAD, role: "player" as const }));
  return changePhase({ ...state, members, game: null }, "chatting");
}

/** Announces when every player is ready, a disconnected one included (see below). */
function settleLobby(state: RoomState): { state: RoomState; effects: RoomEffect[] } {
  if (state.phase !== "preloading") return { state, effects: [] };
  // A player whose connection dropped is waited for too: a phone busy warming up a model can miss
  // heartbeats, and it keeps its seat for the grace period. If it does not come back, it leaves
  // (which settles again) or the deadline makes it a spectator.
  // A player still fixing its framing is waited for here, but never by the deadline or the host's
  // early start (isReady): the framing check must not hold a game forever.
  const waitingFor = state.members.filter((member) => member.role === "player");
  if (waitingFor.length === 0 || !waitingFor.every((member) => isReady(member) && member.preload.framing !== "adjusting")) {
    return { state, effects: [] };
  }
  return { state, effects: [{ type: "allReady" }] };
}

/**
 * preloading -> playing: whoever is not ready now watches this game; the timeline starts from `now`.
 * Never with zero players: every way into play (all ready, early start, deadline) passes here.
 */
function beginPlaying(state: RoomState, now: number): TransitionResult {
  if (!state.game) return fail("wrong_phase", "No game was chosen.");
  const members = state.members.map((member) => (isReady(member) ? member : { ...member, role: "spectator" as const }));
  const players = members.filter((member) => member.role === "player");
  if (players.length === 0) return fail("nobody_ready", "Nobody has finished loading yet.");
  const leaders = assignLeaders(
    state.game.targets.map((target) => target.kind),
    players.map((player) => player.id),
  );
  const timeline = planTimeline(now, state.game.targets, state.game.settings.secondsPerRound, state.game.timeScale, leaders);
  return changePhase({ ...state, members, game: { ...state.game, lobby: null, match: startMatch(timeline, players) } }, "playing");
}

const scoreRejections: Record<ScoreRejection, RoomError> = {
  not_a_player: { code: "spectator", message: "Spectators do not score." },
  unknown_round: { code: "invalid_payload", message: "There is no such round." },
  outside_window: { code: "outside_window", message: "That round is not open." },
  already_awarded: { code: "already_awarded", message: "This round is already scored." },
  leader_is_copied: { code: "is_leader", message: "You lead this round: your friends copy you." },
};

const leaderPoseRejections: Record<LeaderPoseRejection, RoomError> = {
  not_a_player: { code: "spectator", message: "Spectators do not lead." },
  unknown_round: { code: "invalid_payload", message: "There is no such copy round." },
  not_leader: { code: "not_leader", message: "Someone else leads this round." },
  outside_strike: { code: "outside_window", message: "The time to strike a pose is over." },
  already_set: { code: "already_awarded", message: "This round's pose is already set." },
};

function leaderPose(state: RoomState, intent: Extract<RoomIntent, { type: "leaderPose" }>): TransitionResult {
  if (!findMember(state, intent.playerId)) return fail("not_in_room", "You are not in this room.");
  const match = state.game?.match;
  if (state.phase !== "playing" || !state.game || !match) return fail("wrong_phase", "No game is being played.");
  const result = setLeaderPose(match, { playerId: intent.playerId, roundIndex: intent.roundIndex, pose: intent.pose, receivedAt: intent.now });
  if (!result.ok) return { ok: false, error: leaderPoseRejections[result.reason] };
  return { ok: true, state: { ...state, game: { ...state.game, match: result.state } }, effects: [{ type: "stateChanged" }] };
}

/** A match-only change; no effects when nothing changed (a strike closed twice, a late timer). */
function updateMatch(state: RoomState, change: (match: MatchState) => MatchState): TransitionResult {
  const match = state.game?.match;
  if (state.phase !== "playing" || !state.game || !match) return fail("wrong_phase", "No game is being played.");
  const next = change(match);
  if (next === match) return { ok: true, state, effects: [] };
  return { ok: true, state: { ...state, game: { ...state.game, match: next } }, effects: [{ type: "stateChanged" }] };
}

function score(state: RoomState, intent: Extract<RoomIntent, { type: "score" }>): TransitionResult {
  if (!findMember(state, intent.playerId)) return fail("not_in_room", "You are not in this room.");
  const match = state.game?.match;
  if (state.phase !== "playing" || !state.game || !match) return fail("wrong_phase", "No game is being played.");
  const result = applyScoreEvent(match, {
    playerId: intent.playerId,
    roundIndex: intent.roundIndex,
    similarity: intent.similarity,
    receivedAt: intent.now,
    ...(intent.award ? { award: intent.award } : {}),
  });
  if (!result.ok) return { ok: false, error: scoreRejections[result.reason] };
  return {
    ok: true,
    state: { ...state, game: { ...state.game, match: result.state } },
    effects: [
      { type: "scoreChanged", playerId: intent.playerId },
      // A follower's award in a copy round pays its leader too.
      ...(result.leaderId ? [{ type: "scoreChanged" as const, playerId: result.leaderId }] : []),
    ],
  };
}

export function isReady(member: Member): boolean {
  return member.preload.status === "ready";
}

function changePhase(state: RoomState, to: RoomPhase): TransitionResult {
  return {
    ok: true,
    state: { ...state, phase: to },
    effects: [{ type: "phaseChanged", from: state.phase, to }, { type: "stateChanged" }],
  };
}

function replaceMember(state: RoomState, member: Member): RoomState {
  return { ...state, members: state.members.map((existing) => (existing.id === member.id ? member : existing)) };
}

function requireHost(state: RoomState, playerId: string): { ok: false; error: RoomError } | null {
  if (!findMember(state, playerId)) return fail("not_in_room", "You are not in this room.");
  return state.hostId === playerId ? null : fail("not_host", "Only the host can do that.");
}

function requirePhase(state: RoomState, phase: RoomPhase): { ok: false; error: RoomError } | null {
  return state.phase === phase ? null : fail("wrong_phase", `That is only possible while ${phase}.`);
}

function nicknameMessage(code: "nickname_empty" | "nickname_too_long"): string {
  return code === "nickname_empty" ? "Please enter a nickname." : "Nicknames are at most 20 characters.";
}

function fail(code: ErrorCode, message: string): { ok: false; error: RoomError } {
  return { ok: false, error: { code, message } };
}
