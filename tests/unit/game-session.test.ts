// The game session without a browser: its side effects (clock sync, sounds, wake lock,
// visibility reports, model reload, inference loop, live sender) are stand-ins that record
// what the session asked of them; timers are vitest's fake timers. The real parts run in
// e2e/game.spec.ts and e2e/reconnect.spec.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { COUNTDOWN_MS, planTimeline, type MatchTimeline } from "@/core/game/match";
import { ALIVE_INTERVAL_MS, CLOCK_RESYNC_MS, GAME_TICK_MS, GameSession, type GameSessionDeps, type GameView } from "@/client/game/gameSession";
import type { ActiveRound, FrameReport } from "@/client/vision/inferenceLoop";
import type { LeaderPose } from "@/core/game/copyRound";
import type { CopyRoundSnapshot } from "@/core/protocol";
import { getPoseTarget } from "@/core/targets/poseLibrary";
import type { LiveFrame } from "@/client/game/liveSender";

class FakeLoop {
  running = false;
  stopped = 0;
  rounds: (ActiveRound | null)[] = [];
  constructor(readonly onFrame: (report: FrameReport) => void) {}
  start() {
    this.running = true;
  }
  stop() {
    this.running = false;
    this.stopped++;
  }
  setRound(round: ActiveRound | null) {
    this.rounds.push(round);
  }
  get round() {
    return this.rounds.at(-1) ?? null;
  }
}

function fakeDevices(options: { modelsLoaded?: boolean; leaderPoseAccepted?: boolean } = {}) {
  const log: string[] = [];
  const loops: FakeLoop[] = [];
  const frames: LiveFrame[] = [];
  const resumes: { resolve: (ok: boolean) => void; signal: AbortSignal }[] = [];
  const wakeLock = { wanted: false, releases: 0 };
  const visibility = { running: false, syncs: [] as boolean[] };
  const sender = { disposed: 0 };
  const alive = { beats: 0 };
  const leaderPoses: { roundIndex: number; pose: LeaderPose }[] = [];
  const moments: { similarity: number; matchKey: number | null }[] = [];
  let modelsLoaded = options.modelsLoaded ?? true;
  const clock = { offsetMs: 0 };
  const deps: GameSessionDeps = {
    serverNow: () => Date.now() + clock.offsetMs,
    syncClock: async () => void log.push("sync"),
    unlockAudio: () => undefined,
    sendAlive: () => void alive.beats++,
    loadSounds: () => void log.push("load-sounds"),
    playEffect: (name) => void log.push(`effect:${name}`),
    startMusic: () => void log.push("music:start"),
    stopMusic: () => void log.push("music:stop"),
    createWakeLock: () => ({
      acquire: () => void (wakeLock.wanted = true),
      release: () => {
        wakeLock.wanted = false;
        wakeLock.releases++;
      },
      get held() {
        return wakeLock.wanted;
      },
    }),
    createVisibilityReporter: () => ({
      start: () => void (visibility.running = true),
      stop: () => void (visibility.running = false),
      syncWith: (paused) => void visibility.syncs.push(paused),
    }),
    createLiveSender: () => ({ frame: (report) => void frames.push({ ...report }), dispose: () => void sender.disposed++ }),
    sendLeaderPose: async (struck) => {
      leaderPoses.push(struck);
      return { ok: options.leaderPoseAccepted ?? true };
    },
    createInferenceLoop: (_video, _canvas, onFrame) => {
      const loop = new FakeLoop(onFrame);
      loops.push(loop);
      return loop;
    },
    getCameraVideo: () => ({}) as HTMLVideoElement,
    keepBestMoment: (report, matchKey) => void moments.push({ similarity: report.similarity, matchKey }),
    hasGameVision: () => modelsLoaded,
    resumeGameVision: (_settings, _baseUrl, signal) =>
      new Promise<boolean>((resolve) => {
        resumes.push({
          resolve: (ok) => {
            modelsLoaded = ok;
            resolve(ok);
          },
          signal,
        });
      }),
  };
  return { deps, clock, log, loops, frames, resumes, wakeLock, visibility, sender, alive, leaderPoses, moments };
}

function view(timeline: MatchTimeline, patch: Partial<GameView> = {}): GameView {
  return {
    timeline,
    isPlayer: true,
    pausedOnServer: false,
    vision: { roundKinds: ["pose"], poseQuality: "lite" },
    difficulty: "easy",
    selfId: "p1",
    copies: [],
    nicknames: { p1: "Ana", p2: "Ben" },
    ...patch,
  };
}

const canvas = {} as HTMLCanvasElement;
/** From a round's start to its end, the gap, and the second round. */
const ROUND_MS = 8_000;

function report(patch: Partial<FrameReport>): FrameReport {
  return {
    roundIndex: 0,
    similarity: 0,
    confidence: 1,
    level: "none",
    holdProgress: 0,
    award: null,
    detectionsPerSecond: 20,
    detectMs: 30,
    struckPose: null,
    ...patch,
  };
}

describe("game session", () => {
  let timeline: MatchTimeline;
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
    timeline = planTimeline(
      Date.now(),
      [
        { kind: "pose", targetId: "test-messi5" },
        { kind: "pose", targetId: "test-messi5-alt" },
      ],
      ROUND_MS / 1000,
    );
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("stop clears every timer and lets go of the screen, the visibility listener, the loop and the sender", () => {
    const devices = fakeDevices();
    const session = new GameSession(view(timeline), "", devices.deps);
    session.setCanvas(canvas);
    session.start();
    // The game tick, the clock resync and the heartbeat.
    expect(vi.getTimerCount()).toBe(3);
    // One heartbeat at once and one a second after: the room hears the page whatever its camera does.
    expect(devices.alive.beats).toBe(1);
    vi.advanceTimersByTime(3 * ALIVE_INTERVAL_MS);
    expect(devices.alive.beats).toBe(4);
    expect(devices.wakeLock.wanted).toBe(true);
    expect(devices.visibility.running).toBe(true);
    expect(devices.loops).toHaveLength(1);
    expect(devices.loops[0]!.running).toBe(true);

    session.stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(devices.wakeLock.wanted).toBe(false);
    expect(devices.visibility.running).toBe(false);
    expect(devices.loops[0]!.running).toBe(false);
    expect(devices.sender.disposed).toBe(1);
    expect(devices.log.at(-1)).toBe("music:stop");

    // Nothing ticks after stop: a subscriber hears nothing more.
    const listener = vi.fn();
    session.subscribe(listener);
    vi.advanceTimersByTime(CLOCK_RESYNC_MS * 2);
    expect(listener).not.toHaveBeenCalled();
    expect(devices.alive.beats).toBe(4);
  });

  it("shows every sound it plays: each cue's visual twin is in the snapshot, muted or not", () => {
    const devices = fakeDevices();
    const session = new GameSession(view(timeline), "", devices.deps);
    const cues: string[] = [];
    session.subscribe(() => {
      const cue = session.getSnapshot().cue;
      if (cue && `${cue.seq}:${cue.name}` !== cues.at(-1)) cues.push(`${cue.seq}:${cue.name}`);
    });
    session.setCanvas(canvas);
    session.start();
    vi.setSystemTime(timeline.countdownStartsAt);
    vi.advanceTimersByTime(timeline.endsAt - Date.now() + GAME_TICK_MS);
    session.stop();
    const effects = devices.log.filter((line) => line.startsWith("effect:")).map((line) => line.slice("effect:".length));
    expect(effects).toEqual(["tick", "tick", "tick", "go", "round-end", "go", "round-end"]);
    // One twin per sound, in order, numbered so that tick, tick, tick shows three times.
    expect(cues).toEqual(effects.map((name, index) => `${index + 1}:${name}`));
  });

  it("starts again after a stop, with one loop and one set of timers (React's strict mode does this)", () => {
    const devices = fakeDevices();
    const session = new GameSession(view(timeline), "", devices.deps);
    session.setCanvas(canvas);
    session.start();
    session.stop();
    session.start();
    expect(vi.getTimerCount()).toBe(3);
    expect(devices.loops.filter((loop) => loop.running)).toHaveLength(1);
    expect(devices.wakeLock.wanted).toBe(true);
    session.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("follows the timeline on the server clock: countdown, the round handed to the loop, the gap, the end", () => {
    const devices = fakeDevices();
    const session = new GameSession(view(timeline), "", devices.deps);
    const listener = vi.fn();
    session.subscribe(listener);
    session.setCanvas(canvas);
    session.start();
    const loop = devices.loops[0]!;
    expect(session.getSnapshot().stage.kind).toBe("waiting");

    vi.setSystemTime(timeline.countdownStartsAt);
    vi.advanceTimersByTime(GAME_TICK_MS);
    expect(session.getSnapshot().stage).toEqual({ kind: "countdown", secondsLeft: COUNTDOWN_MS / 1000 });
    expect(devices.log).toContain("effect:tick");
    expect(loop.round).toBeNull();
    const countedFrom = Date.now();
    const callsAtCountdown = listener.mock.calls.length;

    vi.advanceTimersByTime(timeline.rounds[0]!.startsAt - Date.now());
    expect(session.getSnapshot().stage.kind).toBe("round");
    expect(loop.round).toMatchObject({ index: 0, kind: "pose", difficulty: "easy", target: { id: "test-messi5" } });
    expect(devices.log.slice(-2)).toEqual(["effect:go", "music:start"]);

    vi.advanceTimersByTime(timeline.rounds[0]!.endsAt - Date.now());
    expect(session.getSnapshot().stage.kind).toBe("gap");
    expect(loop.round).toBeNull();
    expect(devices.log.at(-1)).toBe("effect:round-end");

    vi.advanceTimersByTime(timeline.rounds[1]!.startsAt - Date.now());
    expect(loop.round).toMatchObject({ index: 1, target: { id: "test-messi5-alt" } });

    vi.advanceTimersByTime(timeline.endsAt - Date.now() + GAME_TICK_MS);
    expect(session.getSnapshot().stage.kind).toBe("finished");
    expect(devices.log.slice(-2)).toEqual(["effect:round-end", "music:stop"]);
    // One snapshot per tick: the stage redraws at 10 Hz, not per camera frame.
    const ticks = Math.floor((Date.now() - countedFrom) / GAME_TICK_MS);
    const calls = listener.mock.calls.length - callsAtCountdown;
    expect(calls).toBeGreaterThanOrEqual(ticks - 1);
    expect(calls).toBeLessThanOrEqual(ticks + 1);
    session.stop();
  });

  it("sends every frame, redraws the meter at most every tick even when timers starve, shows an award at once", async () => {
    const devices = fakeDevices();
    const session = new GameSession(view(timeline), "", devices.deps);
    session.setCanvas(canvas);
    session.start();
    vi.advanceTimersByTime(timeline.rounds[0]!.startsAt - Date.now());
    const loop = devices.loops[0]!;
    const listener = vi.fn();
    session.subscribe(listener);

    loop.onFrame(report({ similarity: 0.7, holdProgress: 0.5 }));
    loop.onFrame(report({ similarity: 0.9, holdProgress: 0.9 }));
    await Promise.resolve();
    expect(devices.frames.map((frame) => frame.similarity)).toEqual([0.7, 0.9]);
    // The best-moment keeper sees every frame, with the match it belongs to.
    expect(devices.moments).toEqual([
      { similarity: 0.7, matchKey: timeline.countdownStartsAt },
      { similarity: 0.9, matchKey: timeline.countdownStartsAt },
    ]);
    // The stage ticked when the round opened, just now: no redraw per camera frame.
    expect(listener).not.toHaveBeenCalled();

    // A busy page runs frame callbacks before timers: the frames keep the meter moving.
    vi.setSystemTime(Date.now() + GAME_TICK_MS);
    loop.onFrame(report({ similarity: 0.8, holdProgress: 0.6 }));
    await Promise.resolve();
    expect(listener).toHaveBeenCalledTimes(1);
    expect(session.getSnapshot().meter).toEqual({ similarity: 0.8, holdProgress: 0.6, detectionsPerSecond: 20, confident: true });

    loop.onFrame(report({ similarity: 0.95, holdProgress: 1, level: "perfect", award: "perfect" }));
    expect(session.getSnapshot().awards).toEqual({ 0: "perfect" });
    expect(devices.log.at(-1)).toBe("effect:perfect");
    session.stop();
  });

  it("keeps ticking when a clock resync moves the server estimate back", () => {
    const devices = fakeDevices();
    const session = new GameSession(view(timeline), "", devices.deps);
    session.start();
    const listener = vi.fn();
    session.subscribe(listener);
    devices.clock.offsetMs = -5_000;
    vi.advanceTimersByTime(10 * GAME_TICK_MS);
    expect(listener.mock.calls.length).toBeGreaterThanOrEqual(9);
    expect(session.getSnapshot().now).toBe(Date.now() - 5_000);
    session.stop();
  });

  it("a page reloaded mid-game loads its models first, then plays the current round", async () => {
    const devices = fakeDevices({ modelsLoaded: false });
    vi.setSystemTime(timeline.rounds[0]!.startsAt + 1_000);
    const session = new GameSession(view(timeline), "https://models.example", devices.deps);
    expect(session.getSnapshot().vision).toBe("loading");
    session.setCanvas(canvas);
    session.start();
    expect(devices.resumes).toHaveLength(1);
    expect(devices.loops).toHaveLength(0);

    devices.resumes[0]!.resolve(true);
    await vi.waitFor(() => expect(session.getSnapshot().vision).toBe("ready"));
    expect(devices.loops).toHaveLength(1);
    expect(devices.loops[0]!.running).toBe(true);
    expect(devices.loops[0]!.round).toMatchObject({ index: 0 });
    session.stop();
  });

  it("stopping while the models load aborts the load, and a late answer starts nothing", async () => {
    const devices = fakeDevices({ modelsLoaded: false });
    const session = new GameSession(view(timeline), "", devices.deps);
    session.setCanvas(canvas);
    session.start();
    session.stop();
    expect(devices.resumes[0]!.signal.aborted).toBe(true);
    devices.resumes[0]!.resolve(true);
    await Promise.resolve();
    await Promise.resolve();
    expect(session.getSnapshot().vision).toBe("loading");
    expect(devices.loops).toHaveLength(0);
  });

  it("a spectator keeps the screen on and reports visibility, with no inference loop", () => {
    const devices = fakeDevices();
    const session = new GameSession(view(timeline, { isPlayer: false }), "", devices.deps);
    session.setCanvas(canvas);
    session.start();
    expect(devices.loops).toHaveLength(0);
    expect(devices.wakeLock.wanted).toBe(true);
    expect(devices.visibility.running).toBe(true);
    session.stop();
  });

  it("every room snapshot reconciles what the others see of this player", () => {
    const devices = fakeDevices();
    const session = new GameSession(view(timeline), "", devices.deps);
    session.start();
    session.setView(view(timeline, { pausedOnServer: true }));
    session.setView(view(timeline, { pausedOnServer: false }));
    expect(devices.visibility.syncs).toEqual([true, false]);
    session.stop();
  });

  it("a copy round: the leader strikes and sends its pose once; friends copy it; the leader is not scored", async () => {
    const copyTimeline = planTimeline(Date.now(), [{ kind: "copy", targetId: "test-messi5" }], ROUND_MS / 1000, 1, ["p1"]);
    const round = copyTimeline.rounds[0]!;
    const pending: CopyRoundSnapshot[] = [{ roundIndex: 0, leaderId: "p1", source: "pending", pose: null, fallbackReason: null }];
    const leaderDevices = fakeDevices();
    const leader = new GameSession(view(copyTimeline, { copies: pending }), "", leaderDevices.deps);
    leader.setCanvas(canvas);
    leader.start();
    const followerDevices = fakeDevices();
    const follower = new GameSession(view(copyTimeline, { selfId: "p2", copies: pending }), "", followerDevices.deps);
    follower.setCanvas(canvas);
    follower.start();

    vi.setSystemTime(round.startsAt + 100);
    vi.advanceTimersByTime(GAME_TICK_MS);
    expect(leader.getSnapshot().stage.kind).toBe("strike");
    expect(leaderDevices.loops[0]!.round).toEqual({ mode: "strike", index: 0, kind: "copy" });
    // The friend watches: nothing of its camera counts during the strike.
    expect(followerDevices.loops[0]!.round).toBeNull();

    const pose = getPoseTarget("test-messi5")!.points as LeaderPose;
    leaderDevices.loops[0]!.onFrame(report({ struckPose: pose, similarity: 1 }));
    leaderDevices.loops[0]!.onFrame(report({ struckPose: pose, similarity: 1 }));
    await vi.waitFor(() => expect(leader.getSnapshot().struck[0]).toBe(true));
    expect(leaderDevices.leaderPoses).toEqual([{ roundIndex: 0, pose }]);
    expect(leaderDevices.loops[0]!.round).toBeNull();

    // The room took it: everyone's snapshot carries the pose.
    const taken: CopyRoundSnapshot[] = [{ ...pending[0]!, source: "leader", pose }];
    leader.setView(view(copyTimeline, { copies: taken }));
    follower.setView(view(copyTimeline, { selfId: "p2", copies: taken }));
    vi.setSystemTime(round.strikeEndsAt! + 100);
    vi.advanceTimersByTime(GAME_TICK_MS);
    const copied = followerDevices.loops[0]!.round;
    expect(copied?.mode === "score" && copied.target.id).toBe("leader-0");
    expect(copied?.mode === "score" && copied.target.name.en).toBe("Ana's pose");
    expect(leaderDevices.loops[0]!.round).toBeNull();
    leader.stop();
    follower.stop();
  });
});
