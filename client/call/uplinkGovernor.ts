/**
 * How much video a phone can send in a mesh call, decided from what its connections measure.
 *
 * In a mesh every phone uploads one video per friend, so the uplink is the first thing a room
 * outgrows: six phones on a 1.5 Mbit/s café Wi-Fi upload five videos each. Left alone, each
 * connection's congestion control fights the others for the same uplink, queues fill, packets are
 * lost, and every friend's tile of this phone freezes. Instead, the phone steps down on purpose:
 * lower resolution and frame rate first, then no video at all (audio keeps flowing, the friends'
 * tiles say why), and climbs back when the estimate allows.
 *
 * The estimate: each connection's congestion control (GCC) reports what it may send
 * (`availableOutgoingBitrate`); the connections share one uplink, so their sum is the phone's
 * estimate of it. Pure and clock-free (the caller passes time): unit-tested in Node.
 */

export const UPLINK_LEVELS = ["full", "reduced", "minimal", "audio-only"] as const;
export type UplinkLevel = (typeof UPLINK_LEVELS)[number];

/** How one outgoing video is encoded at a level (before the mesh's own per-friend share). */
export interface LevelEncoding {
  /** Highest bitrate per friend (kbit/s); the mesh's budget share may lower it further. */
  maxKbps: number;
  /** Extra downscale on top of the mesh's own (1 = none). */
  extraScaleDown: number;
  maxFramerate: number | undefined;
}

export const LEVEL_ENCODING: Record<Exclude<UplinkLevel, "audio-only">, LevelEncoding> = {
  full: { maxKbps: 800, extraScaleDown: 1, maxFramerate: undefined },
  // Tiles are small on a phone: half the pixels and 15 fps still read as a friend moving.
  reduced: { maxKbps: 250, extraScaleDown: 2, maxFramerate: 15 },
  minimal: { maxKbps: 110, extraScaleDown: 4, maxFramerate: 8 },
};

/**
 * A level fits while the estimate gives each friend at least this share of the level's own
 * bitrate: below it the encoder is starved at that resolution. Relative, because a connection's
 * estimate stays near what it is allowed to send: an absolute floor above a level's own bitrate
 * could never be met by that level, and the phone would step down on a perfect network.
 */
const FLOOR_SHARE = 0.6;
/** Below this per friend (kbit/s), no video is worth sending. */
const MIN_VIDEO_KBPS = 60;
/** Kept for each friend's audio (Opus with its packet overhead) and the room's own messages. */
export const AUDIO_RESERVE_KBPS = 50;
/** Only part of the estimate is spent: GCC's estimate overshoots on a lossy link. */
const ESTIMATE_SHARE = 0.85;
/** Consecutive samples that must agree before stepping down (a single dip is noise). */
const DOWN_AFTER_SAMPLES = 2;
/**
 * A connection's estimate stays near what it is allowed to send, so it cannot say a higher level
 * would fit: after this long at a level with no sign of congestion, the next level up is tried.
 * A try that fails falls back one level and doubles the wait (up to the maximum); one that holds
 * resets it. The same holds for coming back from audio-only.
 */
export const UP_WAIT_MS = 20_000;
const UP_WAIT_MAX_MS = 160_000;
/**
 * How long a try lasts. During it, the estimate starts where the lower level left it and has to
 * grow into the new one (GCC adds about 8 % a second when nothing queues): sending all of a
 * still-low estimate is how it grows, not congestion. So a try fails early only when the estimate
 * falls (GCC cuts it when queues build or packets are lost), and at its end when the estimate has
 * not grown enough to carry the level. Seen in the lab: judged by saturation, every try at
 * `minimal` after a narrow uplink widened met the old 125 kbit/s estimate and fell back to
 * audio-only, doubling the wait each time.
 */
export const UP_TRIAL_MS = 12_000;
/**
 * A try whose estimate is still climbing when UP_TRIAL_MS runs out goes on, up to this long in
 * all: GCC grows slower on a busy phone (its own delays read as a little queueing), and after a
 * long narrow spell the estimate starts far below what the level needs. Failing such a try doubled
 * the wait for video on a link that had long been wide again.
 */
export const UP_TRIAL_MAX_MS = 36_000;
/** During a try, an estimate below this share of its highest value in the try is falling. */
const TRIAL_FALLING_SHARE = 0.9;
/** An estimate this far above the try's highest so far is climbing. */
const TRIAL_RISING_SHARE = 1.05;
/** Climbing means a new high within this long (two samples of meshCall.ts's 2 s). */
const TRIAL_RISING_WITHIN_MS = 4_000;

export interface UplinkSample {
  atMs: number;
  /** Friends this phone currently sends video to, over connections that have settled. */
  videoReceivers: number;
  /**
   * Friends this phone would send video to whose connection has not settled: just connected, or
   * reconnecting. A narrow uplink flooded with video can drop its own connections; while they come
   * back the level holds, instead of starting afresh at "full" and flooding them again.
   */
  settlingReceivers?: number;
  /** Sum over those connections of their `availableOutgoingBitrate`, kbit/s; null: none reported yet. */
  estimateKbps: number | null;
  /** What full video may send each friend (the mesh's share of its upload budget), kbit/s. */
  shareKbps: number;
  /**
   * Most of the phone's connections are held back by their bandwidth estimate (meshCall.ts:
   * sending nearly all of it while it stops growing, or `qualityLimitationReason` "bandwidth").
   * Without it the estimate only says what the encoder chose to send (a still picture sends
   * little, and its estimate stays low): no reason to step down.
   */
  bandwidthLimited: boolean;
}

/**
 * A connection counts as held back for this long after a sample that found it so. Two connections
 * on one narrow uplink take turns being the one that sends all its estimate allows (a key frame
 * here, a gap there); measured in the lab on a 250 kbit/s link: 11 samples (23 s) passed before
 * both were in the same one, and a loaded CI run stayed at "full" for two minutes. Two samples'
 * memory makes "most of them" mean most of them lately.
 */
export const HELD_BACK_MEMORY_MS = 5_000;

/** Whether a connection was held back in this sample or within HELD_BACK_MEMORY_MS before it. */
export class HeldBackMemory {
  private lastHeldBackAtMs: number | null = null;

  note(heldBackNow: boolean, atMs: number): boolean {
    if (heldBackNow) this.lastHeldBackAtMs = atMs;
    return this.lastHeldBackAtMs !== null && atMs - this.lastHeldBackAtMs <= HELD_BACK_MEMORY_MS;
  }

  /** A new or reconnected connection starts without a past. */
  forget(): void {
    this.lastHeldBackAtMs = null;
  }
}

export interface UplinkState {
  level: UplinkLevel;
  /** Samples in a row whose fitting level was below the current one. */
  downStreak: number;
  /** Since when the level has been free of congestion (entered, or last sign of it); null: no sample yet. */
  calmSinceMs: number | null;
  upWaitMs: number;
  /** While a step up is on trial: when the trial ends. */
  trialUntilMs: number | null;
  /** The highest summed estimate seen during the current trial (kbit/s); null outside one. */
  trialPeakKbps: number | null;
  /** When the current trial's estimate last climbed to a new high (TRIAL_RISING_SHARE); null: not yet, or outside one. */
  trialRoseAtMs: number | null;
}

export const INITIAL_UPLINK: UplinkState = {
  level: "full",
  downStreak: 0,
  calmSinceMs: null,
  upWaitMs: UP_WAIT_MS,
  trialUntilMs: null,
  trialPeakKbps: null,
  trialRoseAtMs: null,
};

/** Per friend, what a level sends at most (kbit/s): its own cap within the mesh's share. */
export function levelKbps(level: Exclude<UplinkLevel, "audio-only">, shareKbps: number): number {
  return Math.min(shareKbps, LEVEL_ENCODING[level].maxKbps);
}

/** The highest level the estimate can carry for that many friends. */
export function fittingLevel(estimateKbps: number, videoReceivers: number, shareKbps: number): UplinkLevel {
  const perFriend = (estimateKbps * ESTIMATE_SHARE) / videoReceivers - AUDIO_RESERVE_KBPS;
  for (const level of ["full", "reduced", "minimal"] as const) {
    if (perFriend >= Math.max(MIN_VIDEO_KBPS, FLOOR_SHARE * levelKbps(level, shareKbps))) return level;
  }
  return "audio-only";
}

const rank = (level: UplinkLevel) => UPLINK_LEVELS.indexOf(level);

/** Whether this sample says the phone is held back below its current level, and what fits. */
function shortfall(state: UplinkState, sample: UplinkSample): UplinkLevel | null {
  // Without video there is nothing to estimate with: only the wait brings video back.
  if (state.level === "audio-only" || sample.estimateKbps === null || !sample.bandwidthLimited) return null;
  const fitting = fittingLevel(sample.estimateKbps, sample.videoReceivers, sample.shareKbps);
  return rank(fitting) > rank(state.level) ? fitting : null;
}

export function nextUplinkState(state: UplinkState, sample: UplinkSample): UplinkState {
  const now = sample.atMs;
  if (sample.videoReceivers === 0 && (sample.settlingReceivers ?? 0) > 0) return state;
  // Nobody to send video to (alone, camera off): start afresh next time.
  if (sample.videoReceivers === 0) return state.level === "audio-only" ? { ...state, calmSinceMs: state.calmSinceMs ?? now } : { ...INITIAL_UPLINK };
  if (state.trialUntilMs !== null) return judgeTrial(state, sample);
  const calmSinceMs = state.calmSinceMs ?? now;
  const fitting = shortfall(state, sample);
  if (fitting !== null) {
    const downStreak = state.downStreak + 1;
    if (downStreak < DOWN_AFTER_SAMPLES) return { ...state, downStreak, calmSinceMs: now };
    // Straight to what fits: a phone that can carry nothing should not freeze its friends step by step.
    return { ...state, level: fitting, downStreak: 0, calmSinceMs: now };
  }
  if (state.level !== "full" && now - calmSinceMs >= state.upWaitMs) {
    return {
      ...state,
      level: UPLINK_LEVELS[rank(state.level) - 1] ?? "full",
      downStreak: 0,
      calmSinceMs: now,
      trialUntilMs: now + UP_TRIAL_MS,
      trialPeakKbps: null,
      trialRoseAtMs: null,
    };
  }
  return { ...state, downStreak: 0, calmSinceMs };
}

/** One sample during a try of the next level up: hold, pass, or fall back (see UP_TRIAL_MS). */
function judgeTrial(state: UplinkState, sample: UplinkSample): UplinkState {
  const trialUntilMs = state.trialUntilMs ?? sample.atMs;
  const estimate = sample.estimateKbps;
  const trialPeakKbps = estimate === null ? state.trialPeakKbps : Math.max(state.trialPeakKbps ?? 0, estimate);
  const rose = estimate !== null && state.trialPeakKbps !== null && estimate >= TRIAL_RISING_SHARE * state.trialPeakKbps;
  const trialRoseAtMs = rose ? sample.atMs : state.trialRoseAtMs;
  const short = shortfall(state, sample) !== null;
  // Samples in a row that found the level short; a single one is noise, as outside a try.
  const downStreak = short ? state.downStreak + 1 : 0;
  const falling = estimate !== null && trialPeakKbps !== null && estimate < TRIAL_FALLING_SHARE * trialPeakKbps;
  const climbing = trialRoseAtMs !== null && sample.atMs - trialRoseAtMs <= TRIAL_RISING_WITHIN_MS;
  // trialUntilMs is set once, when the try starts; going on past it does not move it.
  const startedAtMs = trialUntilMs - UP_TRIAL_MS;
  // Still short but still climbing: the try goes on (UP_TRIAL_MAX_MS), as long as nothing falls.
  const over = sample.atMs >= trialUntilMs && !(short && climbing && sample.atMs - startedAtMs < UP_TRIAL_MAX_MS);
  if (downStreak >= DOWN_AFTER_SAMPLES && (falling || over)) {
    return {
      level: UPLINK_LEVELS[rank(state.level) + 1] ?? "audio-only",
      downStreak: 0,
      calmSinceMs: sample.atMs,
      upWaitMs: Math.min(UP_WAIT_MAX_MS, state.upWaitMs * 2),
      ...NO_TRIAL,
    };
  }
  // Passed: the next try may come after the short wait again, counted from this one's start (or
  // from UP_TRIAL_MS before now, for a try that went on longer).
  if (over) return { ...state, downStreak: 0, calmSinceMs: Math.max(startedAtMs, sample.atMs - UP_TRIAL_MS), upWaitMs: UP_WAIT_MS, ...NO_TRIAL };
  return { ...state, downStreak, trialPeakKbps, trialRoseAtMs };
}

const NO_TRIAL = { trialUntilMs: null, trialPeakKbps: null, trialRoseAtMs: null } as const;
