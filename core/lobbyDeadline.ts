/**
 * The lobby's deadline as a pure rule: what happens when it passes. No clocks here: the room
 * machine passes `now` in, the hub turns the resulting deadline into a timer.
 *
 * The deadline counts stalls, not slow progress. When it passes:
 * - nobody ready: nobody is made a spectator (a game never starts with zero players); the lobby
 *   waits another extension, up to the hard cap, where the game is called off;
 * - someone ready and a player still loading whose bar moved (a higher percent or a new status)
 *   within the progress window: the deadline moves on by one extension, up to the hard cap;
 * - otherwise (or at the hard cap): play with those ready; the stalled and failed watch.
 */

/**
 * A player whose progress moved this recently at a deadline check is still loading, not stalled.
 * While a model is created or warmed up its percent moves only when the stage changes, and a
 * create takes seconds on a slow phone, so this matches the lobby's own "has not moved for a
 * while" notice (SLOW_STEP_NOTICE_MS in client/lobby/lobbySession.ts) rather than being shorter.
 */
export const PRELOAD_PROGRESS_WINDOW_MS = 15_000;
/** How far each extension moves the deadline. */
export const PRELOAD_EXTENSION_MS = 15_000;
/** The lobby never waits more than this many times its base timeout in all... */
export const PRELOAD_HARD_CAP_FACTOR = 3;
/** ...and never more than this (the configured base itself is capped at the same 10 minutes). */
export const PRELOAD_HARD_CAP_MAX_MS = 10 * 60_000;

export interface LobbyTiming {
  /** The first deadline, this long after the lobby opens (PRELOAD_TIMEOUT_MS or a test playlist's). */
  readonly baseMs: number;
  readonly progressWindowMs: number;
  readonly extensionMs: number;
  /** From the lobby's opening to the hard cap. */
  readonly hardCapMs: number;
}

/** What a test playlist may set apart from its base timeout (core/playlist.ts). */
export interface LobbyTimingOverrides {
  readonly hardCapMs?: number;
  readonly progressWindowMs?: number;
}

/**
 * The lobby's timing for a base timeout. The window and the extension never exceed a third of the
 * base, so a short (test) timeout scales them down with it: a 45 s base gives 15 s and 15 s, a
 * 1.5 s base 0.5 s and 0.5 s. The hard cap is 3x the base, at most 10 minutes, never below the
 * base. A test playlist may set its own hard cap (kept within those limits) and progress window.
 */
export function lobbyTiming(baseMs: number, overrides: LobbyTimingOverrides = {}): LobbyTiming {
  const third = Math.max(1, Math.floor(baseMs / 3));
  const hardCapMs = overrides.hardCapMs ?? baseMs * PRELOAD_HARD_CAP_FACTOR;
  return {
    baseMs,
    progressWindowMs: overrides.progressWindowMs ?? Math.min(PRELOAD_PROGRESS_WINDOW_MS, third),
    extensionMs: Math.min(PRELOAD_EXTENSION_MS, third),
    hardCapMs: Math.max(baseMs, Math.min(hardCapMs, PRELOAD_HARD_CAP_MAX_MS)),
  };
}

export type DeadlineDecision =
  /** The deadline has not passed yet (a timer that fired a millisecond early): nothing changes. */
  | { kind: "notYet" }
  /** Wait until `deadline`: nobody is ready yet, or the listed players are still making progress. */
  | { kind: "extend"; deadline: number; reason: "nobody_ready" | "progress"; movingIds: string[] }
  /** Play with the ready players; everyone else watches. */
  | { kind: "play" }
  /** The hard cap passed and nobody is ready: no game. */
  | { kind: "callOff"; reason: "nobody_ready" };

export interface DeadlinePlayer {
  readonly id: string;
  readonly status: "idle" | "loading" | "ready" | "failed";
  /** When its reported progress last moved; undefined if it never reported any. */
  readonly progressAt: number | undefined;
}

export function decideAtDeadline(
  lobby: { readonly deadline: number; readonly hardCapAt: number; readonly timing: LobbyTiming },
  players: readonly DeadlinePlayer[],
  now: number,
): DeadlineDecision {
  if (now < lobby.deadline) return { kind: "notYet" };
  const anyReady = players.some((player) => player.status === "ready");
  if (now >= lobby.hardCapAt) return anyReady ? { kind: "play" } : { kind: "callOff", reason: "nobody_ready" };
  const deadline = Math.min(now + lobby.timing.extensionMs, lobby.hardCapAt);
  if (!anyReady) return { kind: "extend", deadline, reason: "nobody_ready", movingIds: [] };
  const movingIds = players
    .filter((player) => player.status === "loading" && player.progressAt !== undefined && now - player.progressAt <= lobby.timing.progressWindowMs)
    .map((player) => player.id);
  return movingIds.length > 0 ? { kind: "extend", deadline, reason: "progress", movingIds } : { kind: "play" };
}
