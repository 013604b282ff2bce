"use client";
/**
 * The call for a seated room, mounted once above the phase switch (RoomScreen), so chat, lobby,
 * game and results share one connection that never restarts between phases. It picks the
 * provider, feeds it the room's members and this player's one camera stream, plays friends'
 * audio (whatever the layout shows), watches who speaks and reports mute/camera switches to
 * the room. Components read it with useCall(); CallGrid draws it.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, useSyncExternalStore, type ReactNode } from "react";
import type { MemberSnapshot, RoomSnapshot } from "@/core/protocol";
import { acquireMicrophoneOnly, getMicrophoneOnlyStream, subscribeCamera, type CameraState } from "@/client/media/camera";
import { useCamera } from "@/client/media/useCamera";
import { sendCallMedia } from "@/client/room/commands";
import type { Seat } from "@/client/room/seat";
import type { CallProvider, CallSession, CallSettings, CallState, RemotePeer } from "./call";
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

export interface CallContextValue {
  provider: CallProvider;
  state: CallState;
  selfId: string;
  /** The room's members in join order (names, media switches, connection). */
  members: readonly MemberSnapshot[];
  local: LocalCallView;
  speaking: Readonly<Record<string, boolean>>;
  toggleMicrophone(): void;
  toggleCamera(): void;
  /** Tiles register their <video> so benchmarks can count decoded frames per friend. */
  registerRemoteVideo(playerId: string, element: HTMLVideoElement | null): void;
  /** The browser refused to play friends' audio until the page is touched. */
  audioBlocked: boolean;
  resumeAudio(): void;
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

const CallContext = createContext<CallContextValue | null>(null);

/** How often tile videos are sampled, so a counter reset (new element or stream) loses little. */
const FRAME_SAMPLE_MS = 500;

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

export function useCall(): CallContextValue | null {
  return useContext(CallContext);
}

const idleState: CallState = { status: "connecting", uplinkLevel: "full", peers: {}, error: null };
const noSubscription = () => () => undefined;

interface CallProviderProps {
  settings: CallSettings;
  room: RoomSnapshot;
  seat: Seat;
  children: ReactNode;
}

export function CallProvider({ settings, room, seat, children }: CallProviderProps) {
  const session = useCallSession(settings, seat);
  const state = useSyncExternalStore(
    useCallback((listener: () => void) => (session ? session.subscribe(listener) : noSubscription()), [session]),
    () => session?.getState() ?? idleState,
    () => idleState,
  );

  // ---- members
  const membersKey = room.members.map((member) => `${member.id}:${member.connected ? 1 : 0}`).join(",");
  useEffect(() => {
    // membersKey stands for the parts of room.members the call uses (ids, connected).
    session?.setMembers(room.members.map((member) => ({ id: member.id, connected: member.connected })));
    // eslint-disable-next-line react-hooks/exhaustive-deps -- membersKey, not the members array (a new one at every room:state)
  }, [session, membersKey]);

  // ---- local media: the one camera stream, else the microphone alone
  const camera = useCamera();
  const microphoneOnly = useSyncExternalStore(subscribeCamera, getMicrophoneOnlyStream, () => null);
  const [fallbackTried, setFallbackTried] = useState(false);
  useEffect(() => {
    if (camera.status !== "failed") return;
    let cancelled = false;
    void acquireMicrophoneOnly().then(() => {
      if (!cancelled) setFallbackTried(true);
    });
    return () => {
      cancelled = true;
    };
  }, [camera.status]);
  const stream = camera.status === "ready" ? camera.stream : microphoneOnly;
  const hasCamera = Boolean(stream?.getVideoTracks().some((track) => track.readyState === "live"));
  const hasMicrophone = Boolean(stream?.getAudioTracks().some((track) => track.readyState === "live"));
  const [microphoneOn, setMicrophoneOn] = useState(true);
  const [cameraOn, setCameraOn] = useState(true);
  const audio = microphoneOn && hasMicrophone;
  const video = cameraOn && hasCamera;
  useEffect(() => {
    session?.setLocalMedia({ stream, audio, video });
  }, [session, stream, audio, video]);

  // ---- tell the room (mute and camera-off marks on friends' tiles), once the camera has settled
  const settled = camera.status === "ready" || (camera.status === "failed" && fallbackTried);
  const selfMedia = room.members.find((member) => member.id === seat.playerId)?.media;
  // The camera is on but the upload cannot carry video (mesh): friends' tiles say so instead of "camera off".
  const slowUplink = video && state.uplinkLevel === "audio-only";
  useEffect(() => {
    if (!settled || !selfMedia) return;
    if (selfMedia.audio === audio && selfMedia.video === video && Boolean(selfMedia.slowUplink) === slowUplink) return;
    void sendCallMedia({ audio, video, ...(slowUplink ? { slowUplink } : {}) });
  }, [settled, audio, video, slowUplink, selfMedia]);

  // ---- speaking
  const [speaking, setSpeaking] = useState<Record<string, boolean>>({});
  const monitor = useRef<SpeakingMonitor | null>(null);
  useEffect(() => {
    const created = new SpeakingMonitor(setSpeaking);
    monitor.current = created;
    return () => {
      created.close();
      monitor.current = null;
    };
  }, []);
  useEffect(() => {
    const current = monitor.current;
    if (!current) return;
    current.watch(seat.playerId, audio ? (stream?.getAudioTracks()[0] ?? null) : null);
    for (const peer of Object.values(state.peers)) current.watch(peer.playerId, peer.stream?.getAudioTracks()[0] ?? null);
    current.keepOnly(new Set([seat.playerId, ...Object.keys(state.peers)]));
  }, [seat.playerId, audio, stream, state.peers]);

  // ---- friends' audio, played here so every phase and layout hears the call
  const audioElements = useRef(new Map<string, HTMLAudioElement>());
  const [audioBlocked, setAudioBlocked] = useState(false);
  const registerAudio = useCallback((playerId: string, element: HTMLAudioElement | null) => {
    if (element) audioElements.current.set(playerId, element);
    else audioElements.current.delete(playerId);
  }, []);
  const markAudioBlocked = useCallback(() => setAudioBlocked(true), []);
  const resumeAudio = useCallback(() => {
    const plays = [...audioElements.current.values()].map((element) => element.play());
    void Promise.all(plays).then(
      () => setAudioBlocked(false),
      () => undefined,
    );
  }, []);

  // ---- decoded frames per friend, for benchmarks: a running total that survives layout and
  // phase changes (a new <video> element, or a new stream in it, starts counting from zero).
  const frameCounts = useRef(new Map<string, FrameCount>());
  const registerRemoteVideo = useCallback((playerId: string, element: HTMLVideoElement | null) => {
    const count = frameCounts.current.get(playerId) ?? { element: null, last: 0, total: 0 };
    sampleFrames(count);
    count.element = element;
    count.last = element ? element.getVideoPlaybackQuality().totalVideoFrames : 0;
    frameCounts.current.set(playerId, count);
  }, []);
  useEffect(() => {
    const timer = setInterval(() => frameCounts.current.forEach(sampleFrames), FRAME_SAMPLE_MS);
    return () => clearInterval(timer);
  }, []);
  const latest = useRef({ state, speaking });
  latest.current = { state, speaking };
  const provider = session?.provider ?? settings.provider;
  useEffect(() => {
    const debug: CallDebug = {
      provider,
      decodedFrames: () => {
        const totals: Record<string, number> = {};
        for (const [playerId, count] of frameCounts.current) {
          sampleFrames(count);
          // Friends without a tile on screen (gone, or not drawn) are left out.
          if (count.element) totals[playerId] = count.total;
        }
        return totals;
      },
      peers: () => Object.fromEntries(Object.values(latest.current.state.peers).map((peer) => [peer.playerId, peer.status])),
      speaking: () => ({ ...latest.current.speaking }),
    };
    window.__poseparty = { ...(window.__poseparty ?? {}), call: debug };
    return () => {
      if (window.__poseparty?.call !== debug) return;
      const { call: _removed, ...rest } = window.__poseparty;
      window.__poseparty = rest;
    };
  }, [provider]);

  const toggleMicrophone = useCallback(() => setMicrophoneOn((on) => !on), []);
  const toggleCamera = useCallback(() => setCameraOn((on) => !on), []);
  const local = useMemo<LocalCallView>(
    () => ({ stream, audio, video, hasCamera, hasMicrophone, camera, audioOnly: camera.status === "failed" && hasMicrophone }),
    [stream, audio, video, hasCamera, hasMicrophone, camera],
  );
  const value = useMemo<CallContextValue>(
    () => ({
      provider,
      state,
      selfId: seat.playerId,
      members: room.members,
      local,
      speaking,
      toggleMicrophone,
      toggleCamera,
      registerRemoteVideo,
      audioBlocked,
      resumeAudio,
    }),
    [provider, state, seat.playerId, room.members, local, speaking, toggleMicrophone, toggleCamera, registerRemoteVideo, audioBlocked, resumeAudio],
  );

  return (
    <CallContext.Provider value={value}>
      {children}
      <div className="call-audio" aria-hidden>
        {Object.values(state.peers).map((peer) => (
          <RemoteAudio key={peer.playerId} playerId={peer.playerId} stream={peer.stream} register={registerAudio} onBlocked={markAudioBlocked} />
        ))}
      </div>
    </CallContext.Provider>
  );
}

/** Creates the provider's session for this seat, and closes it when the seat goes. */
function useCallSession(settings: CallSettings, seat: Seat): CallSession | null {
  const [session, setSession] = useState<CallSession | null>(null);
  const iceKey = JSON.stringify(settings.iceServers);
  useEffect(() => {
    let cancelled = false;
    let created: CallSession | null = null;
    const options = {
      selfId: seat.playerId,
      roomCode: seat.roomCode,
      sessionToken: seat.sessionToken,
      iceServers: JSON.parse(iceKey) as CallSettings["iceServers"],
    };
    void (async () => {
      if (settings.provider === "livekit") {
        // Only rooms on a LiveKit server download livekit-client.
        const { LivekitCall } = await import("./livekitCall");
        if (cancelled) return;
        created = new LivekitCall(options);
      } else {
        created = new MeshCall(options);
      }
      setSession(created);
    })();
    return () => {
      cancelled = true;
      created?.close();
      setSession(null);
    };
  }, [settings.provider, iceKey, seat.playerId, seat.roomCode, seat.sessionToken]);
  return session;
}

function RemoteAudio({
  playerId,
  stream,
  register,
  onBlocked,
}: {
  playerId: string;
  stream: MediaStream | null;
  register: (playerId: string, element: HTMLAudioElement | null) => void;
  onBlocked: () => void;
}) {
  const element = useRef<HTMLAudioElement>(null);
  const audioTrack = stream?.getAudioTracks()[0] ?? null;
  useEffect(() => {
    const audio = element.current;
    if (!audio) return;
    register(playerId, audio);
    audio.srcObject = audioTrack ? new MediaStream([audioTrack]) : null;
    if (audioTrack) {
      audio.play().catch((error: unknown) => {
        if (error instanceof DOMException && error.name === "NotAllowedError") onBlocked();
      });
    }
    return () => register(playerId, null);
  }, [playerId, audioTrack, register, onBlocked]);
  return <audio ref={element} autoPlay data-player={playerId} />;
}
