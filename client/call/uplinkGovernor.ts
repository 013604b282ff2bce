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
 * A try that meets congestion within UP_TRIAL_MS falls back and doubles the wait (up to the
 * maximum); one that holds resets it. The same holds for coming back from audio-only.
 */
export const UP_WAIT_MS = 20_000;
const UP_WAIT_MAX_MS = 160_000;
const UP_TRIAL_MS = 12_000;

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
  /** While a step up is on trial: until when a step down counts against it. */
  trialUntilMs: number | null;
}

export const INITIAL_UPLINK: UplinkState = { level: "full", downStreak: 0, calmSinceMs: null, upWaitMs: UP_WAIT_MS, trialUntilMs: null };

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

export function nextUplinkState(state: UplinkState, sample: UplinkSample): UplinkState {
  const now = sample.atMs;
  if (sample.videoReceivers === 0 && (sample.settlingReceivers ?? 0) > 0) return state;
  // Nobody to send video to (alone, camera off): start afresh next time.
  if (sample.videoReceivers === 0) return state.level === "audio-only" ? { ...state, calmSinceMs: state.calmSinceMs ?? now } : { ...INITIAL_UPLINK };
  const trialOver = state.trialUntilMs !== null && now >= state.trialUntilMs;
  // A step up that held through its trial: the next one may come after the short wait again.
  const settled: UplinkState = trialOver ? { ...state, trialUntilMs: null, upWaitMs: UP_WAIT_MS } : state;
  const calmSinceMs = settled.calmSinceMs ?? now;
  // Without video there is nothing to estimate with: only the wait brings video back.
  const fitting =
    settled.level === "audio-only" || sample.estimateKbps === null || !sample.bandwidthLimited
      ? settled.level
      : fittingLevel(sample.estimateKbps, sample.videoReceivers, sample.shareKbps);
  if (rank(fitting) > rank(settled.level)) {
    const downStreak = settled.downStreak + 1;
    if (downStreak < DOWN_AFTER_SAMPLES) return { ...settled, downStreak, calmSinceMs: now };
    // Straight to what fits: a phone that can carry nothing should not freeze its friends step by step.
    const failedTrial = settled.trialUntilMs !== null;
    return {
      level: fitting,
      downStreak: 0,
      calmSinceMs: now,
      upWaitMs: failedTrial ? Math.min(UP_WAIT_MAX_MS, settled.upWaitMs * 2) : settled.upWaitMs,
      trialUntilMs: null,
    };
  }
  if (settled.level !== "full" && settled.trialUntilMs === null && now - calmSinceMs >= settled.upWaitMs) {
    return { ...settled, level: UPLINK_LEVELS[rank(settled.level) - 1] ?? "full", downStreak: 0, calmSinceMs: now, trialUntilMs: now + UP_TRIAL_MS };
  }
  return { ...settled, downStreak: 0, calmSinceMs };
}
