/**
 * The one place where Socket.IO event names and payload schemas live.
 * Server and browser both import it: the server validates every
 * client-to-server payload with these schemas, the browser gets the same
 * inferred types, so a renamed field breaks the build on both sides.
 */
import { z } from "zod";
import { playlistSettingsSchema, poseQualitySchema, roundKindSchema, testPlaylistIdSchema, timeScaleSchema } from "./playlist";
import { NICKNAME_MAX_INPUT_UNITS } from "./nickname";
import { normalizeRoomCode, ROOM_CODE_LENGTH } from "./roomCode";
import { wellFormedDeep } from "./text";
import type { FramingStatus } from "./framing";
import { INFERENCE_PLAN_IDS } from "./inferencePlan";
import { AWARDS, GRADES } from "./scoring/points";
import { LEADER_POSE_MAX_BYTES, leaderPoseSchema } from "./game/copyRound";

/** Socket.IO drops a connection whose single message exceeds this (engine.io maxHttpBufferSize). */
export const MAX_SOCKET_MESSAGE_BYTES = 16 * 1024;
/** Payloads above this get a `payload_too_large` answer instead of being parsed. */
export const MAX_EVENT_PAYLOAD_BYTES = 4 * 1024;

export const errorCodes = [
  "invalid_payload",
  "payload_too_large",
  "unknown_event",
  "rate_limited",
  "too_many_joins",
  "room_not_found",
  "room_full",
  "nickname_empty",
  "nickname_too_long",
  "already_in_room",
  "not_in_room",
  "not_host",
  "wrong_phase",
  "nobody_ready",
  "spectator",
  "test_playlists_disabled",
  "outside_window",
  "already_awarded",
  "implausible_award",
  "not_leader",
  "is_leader",
  "implausible_pose",
  "server_shutting_down",
  "internal_error",
] as const;
export const errorCodeSchema = z.enum(errorCodes);
export type ErrorCode = z.infer<typeof errorCodeSchema>;

export interface ErrorAck {
  ok: false;
  code: ErrorCode;
  message: string;
}

// ---------------------------------------------------------------- shared shapes
// Raw strings are capped generously here; the room machine applies the real rules (trim, invisible
// characters, 1-20 graphemes). Every string of every payload is made well-formed before these
// schemas run (parseClientPayload).
const nicknameInput = z.string().max(NICKNAME_MAX_INPUT_UNITS);
/**
 * A room code as typed (any case, spaces and dashes), canonical once parsed: the one place it is
 * normalised, so the server compares codes as they are. A code that cannot exist parses to "",
 * which no room has: the answer stays "no such room", as for a well-formed unknown code.
 */
export const roomCodeSchema = z
  .string()
  .max(ROOM_CODE_LENGTH * 2)
  .transform((typed) => normalizeRoomCode(typed) ?? "");
const sessionTokenSchema = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/);
const emptyPayload = z.strictObject({});
/** Events whose success carries no data. (Typed as `{}` so `{ ok: true }` is a valid answer.) */
const noResult: z.ZodType<Record<never, never>> = z.object({});

/** Why a lobby ended without a game; the value is also an error code with the same meaning. */
export const calledOffReasonSchema = z.enum(["nobody_ready"]) satisfies z.ZodType<ErrorCode>;
export type CalledOffReason = z.infer<typeof calledOffReasonSchema>;

/** The lobby's framing check (core/framing.ts): the player is fixing the picture, it passed, or "play anyway". */
export const framingStatusSchema = z.enum(["adjusting", "ok", "skipped"]) satisfies z.ZodType<FramingStatus>;

/** The inference plan a player's lobby chose (core/inferencePlan.ts) and its measured detection time. */
export const inferenceReportSchema = z.strictObject({
  plan: z.enum(INFERENCE_PLAN_IDS),
  /** Median detection time in ms, rounded; absent when it was not measured. */
  detectMs: z.number().int().min(0).max(10_000).optional(),
});
export type InferenceReport = z.infer<typeof inferenceReportSchema>;

export const roomPhaseSchema = z.enum(["chatting", "preloading", "playing", "results"]);
export type RoomPhase = z.infer<typeof roomPhaseSchema>;
export const memberRoleSchema = z.enum(["player", "spectator"]);
export type MemberRole = z.infer<typeof memberRoleSchema>;
/** A member's lobby: "idle" until a game is chosen, then loading, ready (models warm) or failed. */
export const preloadStatusSchema = z.enum(["idle", "loading", "ready", "failed"]);
export type PreloadStatus = z.infer<typeof preloadStatusSchema>;

export const mediaStateSchema = z.strictObject({
  audio: z.boolean(),
  video: z.boolean(),
  /**
   * The camera is on, but this phone's upload cannot carry video to its friends (mesh call,
   * client/call/uplinkGovernor.ts): it sends audio only for now, and friends' tiles say why.
   */
  slowUplink: z.boolean().optional(),
});
export type MediaState = z.infer<typeof mediaStateSchema>;

const gradeSchema = z.enum(GRADES);
const awardSchema = z.enum(AWARDS);

export const matchTimelineSchema = z.strictObject({
  countdownStartsAt: z.number(),
  rounds: z.array(
    z.strictObject({
      index: z.number().int(),
      kind: roundKindSchema,
      targetId: z.string(),
      startsAt: z.number(),
      endsAt: z.number(),
      /** Copy rounds: the strike ends and the copying starts (core/game/copyRound.ts). */
      strikeEndsAt: z.number().optional(),
      leaderId: z.string().nullable().optional(),
    }),
  ),
  endsAt: z.number(),
});
export type MatchTimelineSnapshot = z.infer<typeof matchTimelineSchema>;

export const playerScoreSchema = z.strictObject({
  playerId: z.string(),
  total: z.number().int(),
  /** Live similarity 0..1 (the meter friends see). */
  similarity: z.number(),
  rounds: z.array(z.strictObject({ roundIndex: z.number().int(), points: z.number().int(), grade: gradeSchema })),
});
export type PlayerScoreSnapshot = z.infer<typeof playerScoreSchema>;

/** A copy round's target as the room decided it: waiting for the leader, the leader's pose, or the library pose. */
export const copyRoundSnapshotSchema = z.strictObject({
  roundIndex: z.number().int(),
  leaderId: z.string().nullable(),
  source: z.enum(["pending", "leader", "fallback"]),
  pose: leaderPoseSchema.nullable(),
  fallbackReason: z.enum(["no_pose", "solo"]).nullable(),
});
export type CopyRoundSnapshot = z.infer<typeof copyRoundSnapshotSchema>;

/** What one award changed: the player's new total and that round's grade and points. */
export const scoreChangeSchema = z.strictObject({
  playerId: z.string(),
  total: z.number().int(),
  round: z.strictObject({ roundIndex: z.number().int(), points: z.number().int(), grade: gradeSchema }),
});
export type ScoreChange = z.infer<typeof scoreChangeSchema>;

export const memberSnapshotSchema = z.strictObject({
  id: z.string(),
  nickname: z.string(),
  connected: z.boolean(),
  preload: z.strictObject({
    percent: z.number().int().min(0).max(100),
    status: preloadStatusSchema,
    /** Only the check's outcome, never the picture; absent until the player's lobby has checked. */
    framing: framingStatusSchema.optional(),
    /** The player's inference plan, once its lobby chose one. */
    inference: inferenceReportSchema.optional(),
  }),
  role: memberRoleSchema,
  /** Its page is hidden during the game (screen locked, another app): its camera is not being played. */
  paused: z.boolean(),
  isHost: z.boolean(),
  /** Microphone and camera as the member has them switched on (for mute/camera-off marks on tiles). */
  media: mediaStateSchema,
});
export type MemberSnapshot = z.infer<typeof memberSnapshotSchema>;

export const roomSnapshotSchema = z.strictObject({
  code: z.string(),
  phase: roomPhaseSchema,
  hostId: z.string(),
  maxMembers: z.number().int(),
  /** In join order. */
  members: z.array(memberSnapshotSchema),
  /** The game being loaded, played or shown; null while chatting. */
  game: z
    .strictObject({
      // Test playlists may go outside the host's ranges (e.g. 2 rounds), so this is not playlistSettingsSchema.
      settings: z.strictObject({
        rounds: z.number().int(),
        secondsPerRound: z.number().int(),
        difficulty: z.enum(["easy", "normal", "hard"]),
        roundKinds: z.array(roundKindSchema),
        poseQuality: poseQualitySchema,
      }),
      testPlaylistId: testPlaylistIdSchema.nullable(),
      /** "More time": 1 standard, 1.5 or 2 relaxed, for the whole room (core/playlist.ts). */
      timeScale: timeScaleSchema,
      /**
       * While preloading: server time (ms) of the next deadline check, moved on while nobody is
       * ready or a player still loading is making progress (core/lobbyDeadline.ts); null otherwise.
       */
      preloadDeadline: z.number().nullable(),
      /** Absolute server times of the countdown and every round; null until play begins. */
      timeline: matchTimelineSchema.nullable(),
      /** Every player's score so far (a reconnecting player gets the whole picture here). */
      scores: z.array(playerScoreSchema),
      /** The match's copy rounds: leader, and the pose to copy once struck. */
      copies: z.array(copyRoundSnapshotSchema),
      /**
       * Set when the match is over. `save` is "saving" while the database refuses it (the
       * record is kept in DATA_DIR and retried until it lands; matchId is already its id) and
       * turns "saved" in a later snapshot; "saved" once it is in the history.
       */
      results: z
        .strictObject({
          matchId: z.string(),
          save: z.enum(["saving", "saved"]),
          ranking: z.array(z.strictObject({ playerId: z.string(), total: z.number().int(), rank: z.number().int() })),
        })
        .nullable(),
    })
    .nullable(),
  /**
   * Why the last lobby ended without a game (`nobody_ready`: nobody had finished loading at the
   * lobby's hard cap), and when (server time); shown while chatting, null again once a game starts.
   */
  calledOff: z.strictObject({ reason: calledOffReasonSchema, at: z.number() }).nullable(),
});
export type RoomSnapshot = z.infer<typeof roomSnapshotSchema>;

// WebRTC signalling, relayed verbatim between two members of the same room. Shapes follow
// RTCSessionDescriptionInit / RTCIceCandidateInit, with sizes capped.
const sessionDescriptionSchema = z.strictObject({
  type: z.enum(["offer", "answer", "pranswer", "rollback"]),
  sdp: z.string().max(12_000).optional(),
});
const iceCandidateSchema = z.strictObject({
  candidate: z.string().max(1_024),
  sdpMid: z.string().max(64).nullable().optional(),
  sdpMLineIndex: z.number().int().min(0).max(64).nullable().optional(),
  usernameFragment: z.string().max(256).nullable().optional(),
});
const playerIdSchema = z.string().min(1).max(64);

const joinedRoomResult = z.strictObject({
  playerId: z.string(),
  sessionToken: sessionTokenSchema,
  room: roomSnapshotSchema,
});
export type JoinedRoom = z.infer<typeof joinedRoomResult>;

/**
 * A best-moment still as a data URL: about 9 KB of JPEG or WebP, well inside one socket message
 * (MAX_SOCKET_MESSAGE_BYTES) with the rest of the packet.
 */
export const MAX_MOMENT_IMAGE_CHARS = 12_000;
const MOMENT_IMAGE_PATTERN = /^data:image\/(?:jpeg|webp);base64,[A-Za-z0-9+/]+={0,2}$/;
// The messages never quote the input: a refused still must not reach the log either.
export const momentImageSchema = z
  .string()
  .max(MAX_MOMENT_IMAGE_CHARS, `must be at most ${MAX_MOMENT_IMAGE_CHARS} characters`)
  .regex(MOMENT_IMAGE_PATTERN, "must be a base64 JPEG or WebP data URL");
export const momentSchema = z.strictObject({ playerId: z.string(), image: momentImageSchema.nullable() });
export type Moment = z.infer<typeof momentSchema>;

// ---------------------------------------------------------------- client -> server
/** Per-event limits; events without them share the per-socket budget and MAX_EVENT_PAYLOAD_BYTES. */
export interface EventLimits {
  /** Larger payloads get `payload_too_large` (must stay below MAX_SOCKET_MESSAGE_BYTES). */
  maxPayloadBytes?: number;
  /** The event's own budget per socket, instead of the general one. */
  ratePerSecond?: number;
}

/** Every event a browser may send: its payload schema, the data of a successful answer, its limits. */
export const clientEvents = {
  "room:create": {
    payload: z.strictObject({ nickname: nicknameInput }),
    result: joinedRoomResult,
  },
  "room:join": {
    payload: z.strictObject({
      roomCode: roomCodeSchema,
      nickname: nicknameInput,
      /** Given back by a previous join: reclaims the same seat after a reload or a dropped connection. */
      sessionToken: sessionTokenSchema.optional(),
    }),
    result: joinedRoomResult,
  },
  /** Lets a page opened from a link say "unknown room" or "full" before asking for a nickname. */
  "room:peek": {
    payload: z.strictObject({ roomCode: roomCodeSchema }),
    result: z.strictObject({ code: z.string(), memberCount: z.number().int(), maxMembers: z.number().int() }),
  },
  "room:leave": { payload: emptyPayload, result: noResult },
  "game:start": {
    payload: z.union([
      z.strictObject({ playlist: playlistSettingsSchema, timeScale: timeScaleSchema.optional() }),
      /** Development and end-to-end tests only: refused unless ALLOW_TEST_PLAYLISTS is set. */
      z.strictObject({ testPlaylist: testPlaylistIdSchema, timeScale: timeScaleSchema.optional() }),
    ]),
    result: noResult,
  },
  "game:startEarly": { payload: emptyPayload, result: noResult },
  "game:returnToChat": { payload: emptyPayload, result: noResult },
  /** The lobby's overall progress; clients send at most 4 a second (6 leaves room for timer jitter). */
  "preload:progress": {
    payload: z.strictObject({
      percent: z.number().int().min(0).max(100),
      status: z.enum(["loading", "ready", "failed"]),
      /** Sent with "ready": whether the camera sees what the playlist needs (core/framing.ts). */
      framing: framingStatusSchema.optional(),
      /** Sent with "ready": the inference plan chosen for this device, shown on friends' lobby rows. */
      inference: inferenceReportSchema.optional(),
      /** Lobby stages this page has finished (core/room.ts, reportPreload): a later step is progress. */
      step: z.number().int().min(0).max(10_000).optional(),
    }),
    result: noResult,
    limits: { ratePerSecond: 6 },
  },
  /** An SDP description or ICE candidate for one other member of the same room. */
  "rtc:signal": {
    payload: z
      .strictObject({
        to: playerIdSchema,
        description: sessionDescriptionSchema.optional(),
        candidate: iceCandidateSchema.nullable().optional(),
      })
      .refine((signal) => signal.description !== undefined || signal.candidate !== undefined, "description or candidate required"),
    result: noResult,
    // An SDP offer with audio and video is 4 to 8 KB; ICE candidates come in bursts.
    limits: { maxPayloadBytes: 14_000, ratePerSecond: 60 },
  },
  /** The member switched its microphone or camera on or off. */
  "call:media": { payload: mediaStateSchema, result: noResult },
  /**
   * The award once the pose was held. Believed only if this player's live meter ("game:meter")
   * showed the hold first (core/game/awardEvidence.ts); otherwise `implausible_award`.
   */
  "game:score": {
    payload: z.strictObject({
      roundIndex: z.number().int().min(0).max(31),
      similarity: z.number().min(0).max(1),
      award: awardSchema,
    }),
    result: noResult,
    limits: { ratePerSecond: 12 },
  },
  /**
   * A copy round's leader struck its pose: the body points it held (framed and steady). Only from
   * the round's leader, during its strike, once; believed only if the leader's live meter
   * ("game:meter", its steadiness) showed the pose held, as awards are.
   */
  "game:leaderPose": {
    payload: z.strictObject({ roundIndex: z.number().int().min(0).max(31), pose: leaderPoseSchema }),
    result: noResult,
    limits: { maxPayloadBytes: LEADER_POSE_MAX_BYTES, ratePerSecond: 4 },
  },
  /** The page was hidden (screen off, other app) or shown again during the game: inference pauses meanwhile. */
  "game:visibility": {
    payload: z.strictObject({ hidden: z.boolean() }),
    result: noResult,
    // A tab flips visibility a few times at most; a flood is a bug or abuse.
    limits: { maxPayloadBytes: 64, ratePerSecond: 4 },
  },
  /**
   * The player's best moment of the match, on the results screen: one small still of its own
   * camera, relayed to the room and kept in memory only until it leaves the results
   * (server/realtime/roomMoments.ts). `null` withdraws it (the player turned sharing off).
   */
  "game:moment": {
    payload: z.strictObject({ image: momentImageSchema.nullable() }),
    result: noResult,
    // Replaced on resend; a player sends one per match, or a few toggling the setting.
    limits: { maxPayloadBytes: MAX_MOMENT_IMAGE_CHARS + 64, ratePerSecond: 2 },
  },
  /** One clock sample: the client notes send and receive times around the server's. */
  "clock:ping": {
    payload: emptyPayload,
    result: z.strictObject({ serverTime: z.number() }),
    limits: { ratePerSecond: 10 },
  },
} as const satisfies Record<string, { payload: z.ZodType; result: z.ZodType; limits?: EventLimits }>;

/**
 * Live events: presence, not commands. Sent without an ack and never through the room machine;
 * the room keeps the latest value per player and broadcasts them at a fixed rate
 * (METER_BROADCAST_INTERVAL_MS). A refused one is dropped (and counted in /metrics).
 */
export const liveEvents = {
  /** The player's live similarity in a round: every frame while holding a pose, else ~10 a second. */
  "game:meter": {
    payload: z.strictObject({
      roundIndex: z.number().int().min(0).max(31),
      similarity: z.number().min(0).max(1),
    }),
    // 33 a second while holding (client/game/liveSender.ts) with room for timer jitter.
    limits: { maxPayloadBytes: 128, ratePerSecond: 40 },
  },
  /**
   * A page in the game, once a second whatever its camera and inference do: when a member's link
   * goes quiet, friends see "reconnecting" within seconds (GameRoom's silence watch), where
   * Socket.IO's own heartbeat takes up to PING_INTERVAL_MS + PING_TIMEOUT_MS (30 s) to notice.
   */
  "game:alive": {
    payload: z.strictObject({}),
    limits: { maxPayloadBytes: 16, ratePerSecond: 4 },
  },
} as const satisfies Record<string, { payload: z.ZodType; limits: EventLimits }>;

export type LiveEventName = keyof typeof liveEvents;
export const liveEventNames = Object.keys(liveEvents) as LiveEventName[];
export type LivePayload<E extends LiveEventName> = z.infer<(typeof liveEvents)[E]["payload"]>;

export function isLiveEventName(name: string): name is LiveEventName {
  return Object.prototype.hasOwnProperty.call(liveEvents, name);
}

/** How often a room broadcasts its players' live meters (10 Hz: each friend's meter is at most ~100 ms old). */
export const METER_BROADCAST_INTERVAL_MS = 100;

export function eventLimits(event: ClientEventName | LiveEventName): EventLimits {
  if (isLiveEventName(event)) return liveEvents[event].limits;
  const definition = clientEvents[event];
  return "limits" in definition ? definition.limits : {};
}

export type ClientEventName = keyof typeof clientEvents;
export const clientEventNames = Object.keys(clientEvents) as ClientEventName[];

export type ClientPayload<E extends ClientEventName> = z.infer<(typeof clientEvents)[E]["payload"]>;
export type ClientResult<E extends ClientEventName> = z.infer<(typeof clientEvents)[E]["result"]>;
export type Ack<E extends ClientEventName> = ({ ok: true } & ClientResult<E>) | ErrorAck;

export function isClientEventName(name: string): name is ClientEventName {
  return Object.prototype.hasOwnProperty.call(clientEvents, name);
}

// ---------------------------------------------------------------- server -> client
export const serverEvents = {
  /** The full room, after every change: rooms are small (<= a few dozen members), so snapshots beat diffs. */
  "room:state": roomSnapshotSchema,
  /** Sent before a graceful stop so the page can say so instead of showing a dead connection. */
  "server:shutdown": z.strictObject({ reason: z.enum(["restart", "shutdown"]) }),
  /** The server removed this socket from its room (e.g. after a grace period); the page should rejoin. */
  "room:removed": z.strictObject({ code: errorCodeSchema }),
  /**
   * What an award changed, sent the moment it is accepted. Only the change: the whole picture
   * (every player's rounds) is in the join snapshot and in every room:state.
   */
  "game:scoreboard": z.strictObject({ entries: z.array(scoreChangeSchema) }),
  /** The room's live meters that changed since the last tick, every METER_BROADCAST_INTERVAL_MS. */
  "game:meters": z.strictObject({
    meters: z.array(z.strictObject({ playerId: z.string(), similarity: z.number() })),
  }),
  /**
   * Best moments of the match shown in the results: each new or withdrawn one (image null) as it
   * arrives, and the whole set for a member who (re)joins during the results.
   */
  "game:moments": z.strictObject({ matchId: z.string(), moments: z.array(momentSchema) }),
  /** A signalling message from another member of the room. */
  "rtc:signal": z.strictObject({
    from: playerIdSchema,
    description: sessionDescriptionSchema.optional(),
    candidate: iceCandidateSchema.nullable().optional(),
  }),
} as const;

export type ServerEventName = keyof typeof serverEvents;
export type ServerPayload<E extends ServerEventName> = z.infer<(typeof serverEvents)[E]>;

// ---------------------------------------------------------------- Socket.IO typing
export type ClientToServerEvents = {
  [E in ClientEventName]: (payload: ClientPayload<E>, ack: (answer: Ack<E>) => void) => void;
} & {
  [E in LiveEventName]: (payload: LivePayload<E>) => void;
};
export type ServerToClientEvents = {
  [E in ServerEventName]: (payload: ServerPayload<E>) => void;
};

/**
 * Parses a payload at the boundary; the message names the first offending field for the log and
 * the sender. Every string in it, at any depth, is made well-formed first (unpaired surrogates
 * become U+FFFD, see core/text.ts), so no schema field can let one through.
 */
export function parseClientPayload<E extends ClientEventName>(event: E, payload: unknown): { ok: true; payload: ClientPayload<E> } | ErrorAck {
  return parseWith(event, clientEvents[event].payload, payload) as { ok: true; payload: ClientPayload<E> } | ErrorAck;
}

/** The same boundary check for a live event. */
export function parseLivePayload<E extends LiveEventName>(event: E, payload: unknown): { ok: true; payload: LivePayload<E> } | ErrorAck {
  return parseWith(event, liveEvents[event].payload, payload) as { ok: true; payload: LivePayload<E> } | ErrorAck;
}

function parseWith(event: string, schema: z.ZodType, payload: unknown): { ok: true; payload: unknown } | ErrorAck {
  const result = schema.safeParse(wellFormedDeep(payload));
  if (result.success) return { ok: true, payload: result.data };
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.join(".") : "payload";
  return { ok: false, code: "invalid_payload", message: `Invalid ${event}: ${where}: ${issue?.message ?? "rejected"}` };
}
