"use client";
/**
 * The call for a seated room, mounted once above the phase switch (RoomScreen), so chat, lobby,
 * game and results share one connection that never restarts between phases. The call itself is
 * a CallController (callController.ts): this provider creates it for the seat, passes it the
 * room's members and the camera, and draws friends' audio (whatever the layout shows).
 * Components read it with useCall(); CallGrid draws it.
 */
import { createContext, useContext, useEffect, useMemo, useRef, useState, useSyncExternalStore, type ReactNode } from "react";
import type { MemberSnapshot, RoomSnapshot } from "@/core/protocol";
import { getMicrophoneOnlyStream, subscribeCamera, type CameraState } from "@/client/media/camera";
import { useCamera } from "@/client/media/useCamera";
import type { Seat } from "@/client/room/seat";
import type { CallProvider, CallSettings, CallState } from "./call";
import { CallController, idleCallState, localCallView, type CallSnapshot, type LocalCallView } from "./callController";

export type { CallDebug, LocalCallView } from "./callController";

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

const CallContext = createContext<CallContextValue | null>(null);

export function useCall(): CallContextValue | null {
  return useContext(CallContext);
}

const noSubscription = () => () => undefined;
const ignore = () => undefined;

interface CallProviderProps {
  settings: CallSettings;
  room: RoomSnapshot;
  seat: Seat;
  children: ReactNode;
}

export function CallProvider({ settings, room, seat, children }: CallProviderProps) {
  const camera = useCamera();
  const microphoneOnly = useSyncExternalStore(subscribeCamera, getMicrophoneOnlyStream, () => null);
  const controller = useCallController(settings, seat, { members: room.members, camera, microphoneOnly });
  useEffect(() => {
    controller?.setMembers(room.members);
  }, [controller, room.members]);
  useEffect(() => {
    controller?.setCamera(camera, microphoneOnly);
  }, [controller, camera, microphoneOnly]);

  // Until the controller exists (the first render), the camera as it is and no call yet.
  const idle = useMemo<CallSnapshot>(
    () => ({ provider: settings.provider, state: idleCallState, local: localCallView(camera, microphoneOnly), speaking: {}, audioBlocked: false }),
    [settings.provider, camera, microphoneOnly],
  );
  const snapshot = useSyncExternalStore(controller ? controller.subscribe : noSubscription, controller ? controller.getState : () => idle, () => idle);

  const value = useMemo<CallContextValue>(
    () => ({
      provider: snapshot.provider,
      state: snapshot.state,
      selfId: seat.playerId,
      members: room.members,
      local: snapshot.local,
      speaking: snapshot.speaking,
      toggleMicrophone: controller?.toggleMicrophone ?? ignore,
      toggleCamera: controller?.toggleCamera ?? ignore,
      registerRemoteVideo: controller?.registerRemoteVideo ?? ignore,
      audioBlocked: snapshot.audioBlocked,
      resumeAudio: controller?.resumeAudio ?? ignore,
    }),
    [snapshot, seat.playerId, room.members, controller],
  );

  return (
    <CallContext.Provider value={value}>
      {children}
      <div className="call-audio" aria-hidden>
        {controller &&
          Object.values(snapshot.state.peers).map((peer) => (
            <RemoteAudio
              key={peer.playerId}
              playerId={peer.playerId}
              stream={peer.stream}
              register={controller.registerAudio}
              onBlocked={controller.markAudioBlocked}
            />
          ))}
      </div>
    </CallContext.Provider>
  );
}

interface CallInputs {
  members: readonly MemberSnapshot[];
  camera: CameraState;
  microphoneOnly: MediaStream | null;
}

/**
 * The call for this seat: created when the provider, its ICE servers or the seat change (never
 * between phases), and closed with them.
 */
function useCallController(settings: CallSettings, seat: Seat, inputs: CallInputs): CallController | null {
  const [controller, setController] = useState<CallController | null>(null);
  const latestInputs = useRef(inputs);
  latestInputs.current = inputs;
  const iceKey = JSON.stringify(settings.iceServers);
  useEffect(() => {
    const created = new CallController(
      { provider: settings.provider, iceServers: JSON.parse(iceKey) as CallSettings["iceServers"] },
      { playerId: seat.playerId, roomCode: seat.roomCode, sessionToken: seat.sessionToken },
    );
    // This render's inputs, so the first snapshot drawn already has the members and the camera.
    created.setMembers(latestInputs.current.members);
    created.setCamera(latestInputs.current.camera, latestInputs.current.microphoneOnly);
    setController(created);
    return () => {
      created.close();
      setController(null);
    };
  }, [settings.provider, iceKey, seat.playerId, seat.roomCode, seat.sessionToken]);
  return controller;
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
