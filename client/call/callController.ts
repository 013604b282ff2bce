"use client";
/**
 * One call on this page, outside React: the provider's session (created for a seat, closed when
 * the seat goes), the room's members and this player's one camera stream fed to it, the
 * microphone and camera switches, what the room hears of them (mute and camera-off marks on
 * friends' tiles), who is speaking, friends' audio elements and the decoded-frame counts
 * benchmarks read. CallProvider (useCall.tsx) passes React's inputs in and subscribes to the
 * snapshot (useSyncExternalStore); components only draw it.
 *
 * Everything with a side effect comes in through `CallControllerDeps`, so the controller runs
 * in a unit test without a browser; `browserCallDeps` wires the real modules.
 */
import type { MediaState, MemberSnapshot } from "@/core/protocol";
import { acquireMicrophoneOnly, type CameraState } from "@/client/media/camera";
import { sendCallMedia } from "@/client/room/commands";
import type { Seat } from "@/client/room/seat";
import type { CallProvider, CallSession, CallSessionOptions, CallSettings, CallState, RemotePeer } from "./call";
import { MeshCall } from "./meshCall";
import { SpeakingMonitor } from "./speaking";

export interface LocalCallView {
  /** The camera stream, or the microphone-only fallback when the camera failed. */
  stream: MediaStream | null;
  /** Switched on and present. */
  audio: boolean;
  video: boolean;
  hasCamera: boolean;
  hasMicrophone: boolean;
  camera: CameraState;
  /** The camera failed and the microphone-only fallback is in use: the player watches the game. */
  audioOnly: boolean;
}

/** `window.__poseparty.call`, for end-to-end tests and benchmarks. */
export interface CallDebug {
  provider: CallProvider;
  /**
   * Frames decoded so far from each friend shown in a tile (getVideoPlaybackQuality), summed over
   * every tile element the friend had: sample it twice to get frames per second across phases.
   */
  decodedFrames(): Record<string, number>;
  /** Each friend's connection status. */
  peers(): Record<string, RemotePeer["status"]>;
  speaking(): Record<string, boolean>;
}

/** What the call looks like now; a new object whenever any part changes. */
export interface CallSnapshot {
  provider: CallProvider;
  state: CallState;
  local: LocalCallView;
  speaking: Readonly<Record<string, boolean>>;
  /** The browser refused to play friends' audio until the page is touched. */
  audioBlocked: boolean;
}

/** What the controller reads of a room member: who, whether connected, what the room has of their media. */
export type CallRoomMember = Pick<MemberSnapshot, "id" | "connected" | "media">;

/** What the controller drives of the speaking monitor. */
export type SpeakingWatcher = Pick<SpeakingMonitor, "watch" | "keepOnly" | "close">;

/** Where `__poseparty` lives: the window in a browser. */
export interface DebugScope {
  __poseparty?: Record<string, unknown>;
}

export interface CallControllerDeps {
  createMeshCall(options: CallSessionOptions): CallSession;
  /** Only rooms on a LiveKit server download livekit-client: the module is imported when needed. */
  loadLivekitCall(): Promise<(options: CallSessionOptions) => CallSession>;
  /** The room's command (call:media), never the raw socket. */
  sendCallMedia(media: MediaState): Promise<unknown>;
  createSpeakingMonitor(onChange: (speaking: Record<string, boolean>) => void): SpeakingWatcher;
  /** Settles when the microphone-only fallback was tried; its stream comes back in through setCamera. */
  acquireMicrophoneOnly(): Promise<unknown>;
  /** A repeating timer; returns what stops it. */
  repeat(callback: () => void, everyMs: number): () => void;
  debugScope(): DebugScope | null;
}

export const browserCallDeps: CallControllerDeps = {
  createMeshCall: (options) => new MeshCall(options),
  loadLivekitCall: async () => {
    const { LivekitCall } = await import("./livekitCall");
    return (options) => new LivekitCall(options);
  },
  sendCallMedia,
  createSpeakingMonitor: (onChange) => new SpeakingMonitor(onChange),
  acquireMicrophoneOnly,
  repeat: (callback, everyMs) => {
    const timer = setInterval(callback, everyMs);
    return () => clearInterval(timer);
  },
  debugScope: () => (typeof window === "undefined" ? null : window),
};

/** How often tile videos are sampled, so a counter reset (new element or stream) loses little. */
export const FRAME_SAMPLE_MS = 500;

interface FrameCount {
  element: HTMLVideoElement | null;
  /** The element's own counter at the last sample. */
  last: number;
  total: number;
}

function sampleFrames(count: FrameCount): void {
  if (!count.element) return;
  const now = count.element.getVideoPlaybackQuality().totalVideoFrames;
  count.total += now >= count.last ? now - count.last : now;
  count.last = now;
}

export const idleCallState: CallState = { status: "connecting", uplinkLevel: "full", peers: {}, error: null };

/** The switches as the player set them. */
interface Switches {
  microphoneOn: boolean;
  cameraOn: boolean;
}

/** The local view of the camera inputs: the camera stream, else the microphone alone. */
export function localCallView(
  camera: CameraState,
  microphoneOnly: MediaStream | null,
  switches: Switches = { microphoneOn: true, cameraOn: true },
): LocalCallView {
  const stream = camera.status === "ready" ? camera.stream : microphoneOnly;
  const hasCamera = Boolean(stream?.getVideoTracks().some((track) => track.readyState === "live"));
  const hasMicrophone = Boolean(stream?.getAudioTracks().some((track) => track.readyState === "live"));
  return {
    stream,
    audio: switches.microphoneOn && hasMicrophone,
    video: switches.cameraOn && hasCamera,
    hasCamera,
    hasMicrophone,
    camera,
    audioOnly: camera.status === "failed" && hasMicrophone,
  };
}

const sameLocalView = (a: LocalCallView, b: LocalCallView) =>
  a.stream === b.stream &&
  a.audio === b.audio &&
  a.video === b.video &&
  a.hasCamera === b.hasCamera &&
  a.hasMicrophone === b.hasMicrophone &&
  a.camera === b.camera;

/** Changed when any of its parts is another value (objects by reference, as React's effect deps). */
function changed(previous: readonly unknown[] | null, next: readonly unknown[]): boolean {
  return !previous || previous.length !== next.length || next.some((value, index) => !Object.is(value, previous[index]));
}

export class CallController {
  readonly provider: CallProvider;
  private readonly selfId: string;
  private snapshot: CallSnapshot;
  private readonly listeners = new Set<() => void>();
  private closed = false;
  private session: CallSession | null = null;
  private unsubscribeSession: (() => void) | null = null;

  // React's inputs
  private members: readonly CallRoomMember[] = [];
  private camera: CameraState = { status: "idle" };
  private microphoneOnly: MediaStream | null = null;
  private readonly switches: Switches = { microphoneOn: true, cameraOn: true };

  /** The microphone-only fallback was tried after the camera failed: only then is the media settled. */
  private fallbackTried = false;
  private fallbackAttempt: { cancelled: boolean } | null = null;

  // What went out last, so each goes out only when its inputs change (the session's per session).
  private sessionMembersKey: string | null = null;
  private sessionMediaInputs: unknown[] | null = null;
  private reportInputs: unknown[] | null = null;
  private speakingInputs: unknown[] | null = null;

  private readonly speakingMonitor: SpeakingWatcher;
  private readonly audioElements = new Map<string, HTMLAudioElement>();
  private readonly frameCounts = new Map<string, FrameCount>();
  private readonly stopFrameSampling: () => void;
  private readonly debug: CallDebug;

  constructor(
    settings: CallSettings,
    seat: Pick<Seat, "playerId" | "roomCode" | "sessionToken">,
    private readonly deps: CallControllerDeps = browserCallDeps,
  ) {
    this.provider = settings.provider;
    this.selfId = seat.playerId;
    this.snapshot = { provider: settings.provider, state: idleCallState, local: localCallView(this.camera, null), speaking: {}, audioBlocked: false };
    this.speakingMonitor = deps.createSpeakingMonitor((speaking) => this.publish({ speaking }));
    this.stopFrameSampling = deps.repeat(() => this.frameCounts.forEach(sampleFrames), FRAME_SAMPLE_MS);
    this.debug = this.createDebug();
    const scope = deps.debugScope();
    if (scope) scope.__poseparty = { ...(scope.__poseparty ?? {}), call: this.debug };
    this.openSession({ selfId: seat.playerId, roomCode: seat.roomCode, sessionToken: seat.sessionToken, iceServers: settings.iceServers });
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getState = (): CallSnapshot => this.snapshot;

  /** The room's members in join order, after every room:state. */
  setMembers(members: readonly CallRoomMember[]): void {
    this.members = members;
    this.sync();
  }

  /** The camera as camera.ts has it, and the microphone-only stream while the camera is not ready. */
  setCamera(camera: CameraState, microphoneOnly: MediaStream | null): void {
    const wasFailed = this.camera.status === "failed";
    this.camera = camera;
    this.microphoneOnly = microphoneOnly;
    if (camera.status === "failed" && !wasFailed) this.tryMicrophoneOnly();
    if (camera.status !== "failed" && this.fallbackAttempt) {
      this.fallbackAttempt.cancelled = true;
      this.fallbackAttempt = null;
    }
    this.sync();
  }

  readonly toggleMicrophone = (): void => {
    this.switches.microphoneOn = !this.switches.microphoneOn;
    this.sync();
  };

  readonly toggleCamera = (): void => {
    this.switches.cameraOn = !this.switches.cameraOn;
    this.sync();
  };

  /** Tiles register their <video> so benchmarks can count decoded frames per friend. */
  readonly registerRemoteVideo = (playerId: string, element: HTMLVideoElement | null): void => {
    // A running total that survives layout and phase changes: a new <video> element, or a new
    // stream in it, starts its own counter from zero.
    const count = this.frameCounts.get(playerId) ?? { element: null, last: 0, total: 0 };
    sampleFrames(count);
    count.element = element;
    count.last = element ? element.getVideoPlaybackQuality().totalVideoFrames : 0;
    this.frameCounts.set(playerId, count);
  };

  /** Friends' <audio> elements, played by CallProvider whatever the layout shows. */
  readonly registerAudio = (playerId: string, element: HTMLAudioElement | null): void => {
    if (element) this.audioElements.set(playerId, element);
    else this.audioElements.delete(playerId);
  };

  readonly markAudioBlocked = (): void => {
    if (!this.snapshot.audioBlocked) this.publish({ audioBlocked: true });
  };

  /** After a tap: plays every friend again; the notice goes only once all of them play. */
  readonly resumeAudio = (): void => {
    const plays = [...this.audioElements.values()].map((element) => element.play());
    void Promise.all(plays).then(
      () => {
        if (this.snapshot.audioBlocked) this.publish({ audioBlocked: false });
      },
      () => undefined,
    );
  };

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribeSession?.();
    this.unsubscribeSession = null;
    this.session?.close();
    this.session = null;
    if (this.fallbackAttempt) this.fallbackAttempt.cancelled = true;
    this.fallbackAttempt = null;
    this.speakingMonitor.close();
    this.stopFrameSampling();
    const scope = this.deps.debugScope();
    if (scope?.__poseparty?.call === this.debug) {
      const { call: _removed, ...rest } = scope.__poseparty;
      scope.__poseparty = rest;
    }
  }

  private openSession(options: CallSessionOptions): void {
    if (this.provider === "livekit") {
      this.deps.loadLivekitCall().then(
        (createLivekitCall) => {
          if (!this.closed) this.adoptSession(createLivekitCall(options));
        },
        (error: unknown) => console.error("[call] livekit-client could not be loaded:", error),
      );
    } else {
      this.adoptSession(this.deps.createMeshCall(options));
    }
  }

  private adoptSession(session: CallSession): void {
    this.session = session;
    this.unsubscribeSession = session.subscribe(() => this.sync());
    this.sync();
  }

  /** Every input lands here: derives the local view, then feeds the session, the room and the speaking monitor what changed. */
  private sync(): void {
    if (this.closed) return;
    const derived = localCallView(this.camera, this.microphoneOnly, this.switches);
    // Tracks that ended show at the next input, as they did at the next render.
    const local = sameLocalView(derived, this.snapshot.local) ? this.snapshot.local : derived;
    const state = this.session?.getState() ?? idleCallState;
    this.feedSession(local);
    this.reportMedia(local, state);
    this.watchSpeakers(local, state);
    if (local !== this.snapshot.local || state !== this.snapshot.state) this.publish({ local, state });
  }

  private feedSession(local: LocalCallView): void {
    const { session } = this;
    if (!session) return;
    // Only the parts the call uses (ids, connected): a room:state brings new member objects every time.
    const membersKey = this.members.map((member) => `${member.id}:${member.connected ? 1 : 0}`).join(",");
    if (membersKey !== this.sessionMembersKey) {
      this.sessionMembersKey = membersKey;
      session.setMembers(this.members.map((member) => ({ id: member.id, connected: member.connected })));
    }
    const mediaInputs = [session, local.stream, local.audio, local.video];
    if (changed(this.sessionMediaInputs, mediaInputs)) {
      this.sessionMediaInputs = mediaInputs;
      session.setLocalMedia({ stream: local.stream, audio: local.audio, video: local.video });
    }
  }

  /** Tells the room (mute and camera-off marks on friends' tiles), once the camera has settled. */
  private reportMedia(local: LocalCallView, state: CallState): void {
    const settled = this.camera.status === "ready" || (this.camera.status === "failed" && this.fallbackTried);
    const selfMedia = this.members.find((member) => member.id === this.selfId)?.media;
    // The camera is on but the upload cannot carry video (mesh): friends' tiles say so instead of "camera off".
    const slowUplink = local.video && state.uplinkLevel === "audio-only";
    const inputs = [settled, local.audio, local.video, slowUplink, selfMedia];
    if (!changed(this.reportInputs, inputs)) return;
    this.reportInputs = inputs;
    if (!settled || !selfMedia) return;
    if (selfMedia.audio === local.audio && selfMedia.video === local.video && Boolean(selfMedia.slowUplink) === slowUplink) return;
    void this.deps.sendCallMedia({ audio: local.audio, video: local.video, ...(slowUplink ? { slowUplink } : {}) });
  }

  private watchSpeakers(local: LocalCallView, state: CallState): void {
    const inputs = [local.audio, local.stream, state.peers];
    if (!changed(this.speakingInputs, inputs)) return;
    this.speakingInputs = inputs;
    const monitor = this.speakingMonitor;
    monitor.watch(this.selfId, local.audio ? (local.stream?.getAudioTracks()[0] ?? null) : null);
    for (const peer of Object.values(state.peers)) monitor.watch(peer.playerId, peer.stream?.getAudioTracks()[0] ?? null);
    monitor.keepOnly(new Set([this.selfId, ...Object.keys(state.peers)]));
  }

  /** The camera failed: the player may still talk. The room hears of the media once this was tried. */
  private tryMicrophoneOnly(): void {
    const attempt = { cancelled: false };
    this.fallbackAttempt = attempt;
    void this.deps.acquireMicrophoneOnly().then(() => {
      if (attempt.cancelled || this.closed) return;
      this.fallbackAttempt = null;
      this.fallbackTried = true;
      this.sync();
    });
  }

  private createDebug(): CallDebug {
    return {
      provider: this.provider,
      decodedFrames: () => {
        const totals: Record<string, number> = {};
        for (const [playerId, count] of this.frameCounts) {
          sampleFrames(count);
          // Friends without a tile on screen (gone, or not drawn) are left out.
          if (count.element) totals[playerId] = count.total;
        }
        return totals;
      },
      peers: () => Object.fromEntries(Object.values(this.snapshot.state.peers).map((peer) => [peer.playerId, peer.status])),
      speaking: () => ({ ...this.snapshot.speaking }),
    };
  }

  private publish(patch: Partial<CallSnapshot>): void {
    if (this.closed) return;
    this.snapshot = { ...this.snapshot, ...patch };
    for (const listener of this.listeners) listener();
  }
}
