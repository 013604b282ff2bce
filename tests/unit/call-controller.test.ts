// The call controller without a browser. Only the browser-only parts are stand-ins: the call
// sessions (RTCPeerConnection or LiveKit underneath; here a CallStateStore that records what it
// was given), media streams and tracks, tile <video> and friends' <audio> elements, the WebAudio
// speaking monitor, the microphone request, the frame-sampling timer (ticked by hand) and the
// window that holds `__poseparty`. The real parts run in e2e/call.spec.ts and e2e/livekit.spec.ts.
import { describe, expect, it } from "vitest";
import { CallStateStore, type CallMember, type CallSession, type CallSessionOptions, type CallSettings, type LocalMedia } from "@/client/call/call";
import { CallController, FRAME_SAMPLE_MS, type CallControllerDeps, type CallDebug, type CallRoomMember, type DebugScope } from "@/client/call/callController";
import type { CameraState } from "@/client/media/camera";
import type { MediaState } from "@/core/protocol";

class FakeSession implements CallSession {
  readonly store = new CallStateStore();
  readonly members: (readonly CallMember[])[] = [];
  readonly media: LocalMedia[] = [];
  closed = false;
  constructor(
    readonly provider: CallSession["provider"],
    readonly options: CallSessionOptions,
  ) {}
  getState = () => this.store.get();
  subscribe = (listener: () => void) => this.store.subscribe(listener);
  setMembers(members: readonly CallMember[]) {
    this.members.push(members);
  }
  setLocalMedia(media: LocalMedia) {
    this.media.push(media);
  }
  close() {
    this.closed = true;
  }
}

function fakeTrack(kind: "audio" | "video"): MediaStreamTrack {
  return { kind, readyState: "live", enabled: true } as MediaStreamTrack;
}

function fakeStream(kinds: { audio?: boolean; video?: boolean }): MediaStream {
  const audio = kinds.audio ? [fakeTrack("audio")] : [];
  const video = kinds.video ? [fakeTrack("video")] : [];
  return { getAudioTracks: () => audio, getVideoTracks: () => video, getTracks: () => [...audio, ...video] } as unknown as MediaStream;
}

/** A tile's <video>: its own decoded-frame counter, which starts from zero for a new element. */
function fakeVideo(): HTMLVideoElement & { frames: number } {
  const element = { frames: 0, getVideoPlaybackQuality: () => ({ totalVideoFrames: element.frames }) };
  return element as unknown as HTMLVideoElement & { frames: number };
}

function fakeDevices() {
  const sessions: FakeSession[] = [];
  const sent: MediaState[] = [];
  const watched = new Map<string, MediaStreamTrack | null>();
  const monitor = { closed: false, onChange: (_speaking: Record<string, boolean>) => undefined as void };
  const microphone: { resolve: () => void; requests: number } = { resolve: () => undefined, requests: 0 };
  const samplers: (() => void)[] = [];
  const scope: DebugScope = { __poseparty: { sound: "kept" } };
  const livekitImports: string[] = [];
  const deps: CallControllerDeps = {
    createMeshCall: (options) => {
      const session = new FakeSession("mesh", options);
      sessions.push(session);
      return session;
    },
    loadLivekitCall: async () => {
      livekitImports.push("livekit");
      return (options) => {
        const session = new FakeSession("livekit", options);
        sessions.push(session);
        return session;
      };
    },
    sendCallMedia: async (media) => void sent.push(media),
    createSpeakingMonitor: (onChange) => {
      monitor.onChange = onChange;
      return {
        watch: (id, track) => void watched.set(id, track),
        keepOnly: (ids) => {
          for (const id of watched.keys()) if (!ids.has(id)) watched.delete(id);
        },
        close: () => void (monitor.closed = true),
      };
    },
    acquireMicrophoneOnly: () => {
      microphone.requests++;
      return new Promise<void>((resolve) => (microphone.resolve = resolve));
    },
    repeat: (callback, everyMs) => {
      expect(everyMs).toBe(FRAME_SAMPLE_MS);
      samplers.push(callback);
      return () => samplers.splice(samplers.indexOf(callback), 1);
    },
    debugScope: () => scope,
  };
  return { deps, sessions, sent, watched, monitor, microphone, samplers, scope, livekitImports };
}

const mesh: CallSettings = { provider: "mesh", iceServers: [{ urls: ["stun:stun.example:3478"] }] };
const seat = { playerId: "p1", roomCode: "ABCDEFG", sessionToken: "token-p1" };

function member(id: string, media: MediaState = { audio: true, video: true }, connected = true): CallRoomMember {
  return { id, connected, media };
}

const debugOf = (scope: DebugScope) => scope.__poseparty?.call as CallDebug | undefined;
/** Lets promise callbacks (the microphone request, the LiveKit import, audio play) run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("call controller", () => {
  it("a microphone switch reaches the call and the room, once the camera has settled", () => {
    const devices = fakeDevices();
    const call = new CallController(mesh, seat, devices.deps);
    const session = devices.sessions[0]!;
    call.setMembers([member("p1"), member("p2")]);
    call.setCamera({ status: "requesting" }, null);

    // Before the camera settles the room is told nothing: the marks would flicker.
    call.toggleMicrophone();
    expect(devices.sent).toEqual([]);
    call.toggleMicrophone();

    const stream = fakeStream({ audio: true, video: true });
    call.setCamera({ status: "ready", stream }, null);
    expect(session.media.at(-1)).toEqual({ stream, audio: true, video: true });
    // What the room has already matches: nothing to send.
    expect(devices.sent).toEqual([]);

    call.toggleMicrophone();
    expect(session.media.at(-1)).toEqual({ stream, audio: false, video: true });
    expect(call.getState().local).toMatchObject({ audio: false, video: true, hasMicrophone: true });
    expect(devices.sent).toEqual([{ audio: false, video: true }]);

    // The room's echo of the switch sends nothing more.
    call.setMembers([member("p1", { audio: false, video: true }), member("p2")]);
    expect(devices.sent).toHaveLength(1);
    call.close();
  });

  it("a camera that fails falls back to the microphone alone and tells the room video is off, after trying", async () => {
    const devices = fakeDevices();
    const call = new CallController(mesh, seat, devices.deps);
    const session = devices.sessions[0]!;
    call.setMembers([member("p1"), member("p2")]);
    const failed: CameraState = { status: "failed", reason: "denied" };
    call.setCamera(failed, null);
    expect(devices.microphone.requests).toBe(1);
    // The fallback is still being tried: the room waits for it.
    expect(devices.sent).toEqual([]);

    const microphoneOnly = fakeStream({ audio: true });
    call.setCamera(failed, microphoneOnly);
    devices.microphone.resolve();
    await settle();
    expect(session.media.at(-1)).toEqual({ stream: microphoneOnly, audio: true, video: false });
    expect(call.getState().local).toMatchObject({ stream: microphoneOnly, audioOnly: true, hasCamera: false, video: false });
    expect(devices.sent).toEqual([{ audio: true, video: false }]);
    // The same failure again asks for no second microphone.
    call.setCamera(failed, microphoneOnly);
    expect(devices.microphone.requests).toBe(1);
    call.close();
  });

  it("passes the room's members to the call, again only when who is there or connected changes", () => {
    const devices = fakeDevices();
    const call = new CallController(mesh, seat, devices.deps);
    const session = devices.sessions[0]!;
    expect(session.options).toEqual({ selfId: "p1", roomCode: "ABCDEFG", sessionToken: "token-p1", iceServers: mesh.iceServers });
    call.setMembers([member("p1"), member("p2")]);
    expect(session.members.at(-1)).toEqual([
      { id: "p1", connected: true },
      { id: "p2", connected: true },
    ]);
    const calls = session.members.length;
    // A new room:state with a friend's microphone switched: nothing for the call.
    call.setMembers([member("p1"), member("p2", { audio: false, video: true })]);
    expect(session.members).toHaveLength(calls);
    call.setMembers([member("p1"), member("p2", { audio: true, video: true }, false), member("p3")]);
    expect(session.members.at(-1)).toEqual([
      { id: "p1", connected: true },
      { id: "p2", connected: false },
      { id: "p3", connected: true },
    ]);
    call.close();
  });

  it("reports a slow uplink while the camera is on and the call sends audio only, and clears it after", () => {
    const devices = fakeDevices();
    const call = new CallController(mesh, seat, devices.deps);
    const session = devices.sessions[0]!;
    call.setMembers([member("p1"), member("p2")]);
    call.setCamera({ status: "ready", stream: fakeStream({ audio: true, video: true }) }, null);
    expect(devices.sent).toEqual([]);

    session.store.update({ uplinkLevel: "minimal" });
    expect(devices.sent).toEqual([]);
    session.store.update({ uplinkLevel: "audio-only" });
    expect(call.getState().state.uplinkLevel).toBe("audio-only");
    expect(devices.sent).toEqual([{ audio: true, video: true, slowUplink: true }]);
    call.setMembers([member("p1", { audio: true, video: true, slowUplink: true }), member("p2")]);

    session.store.update({ uplinkLevel: "reduced" });
    expect(devices.sent.at(-1)).toEqual({ audio: true, video: true });
    call.setMembers([member("p1"), member("p2")]);

    // Camera switched off: not a slow uplink, whatever the level.
    session.store.update({ uplinkLevel: "audio-only" });
    devices.sent.length = 0;
    call.toggleCamera();
    expect(devices.sent).toEqual([{ audio: true, video: false }]);
    call.close();
  });

  it("keeps each friend's decoded frames across a new tile element, and leaves out friends without a tile", () => {
    const devices = fakeDevices();
    const call = new CallController(mesh, seat, devices.deps);
    const debug = debugOf(devices.scope)!;
    expect(debug.provider).toBe("mesh");
    const chatTile = fakeVideo();
    call.registerRemoteVideo("p2", chatTile);
    chatTile.frames = 30;
    devices.samplers.forEach((sample) => sample());
    chatTile.frames = 45;
    expect(debug.decodedFrames()).toEqual({ p2: 45 });

    // The game starts: the tile is drawn again in another layout, with a new element counting from zero.
    chatTile.frames = 50;
    call.registerRemoteVideo("p2", null);
    const gameTile = fakeVideo();
    call.registerRemoteVideo("p2", gameTile);
    gameTile.frames = 20;
    expect(debug.decodedFrames()).toEqual({ p2: 70 });

    // A new stream in the same element restarts its counter: the total still only grows.
    gameTile.frames = 5;
    expect(debug.decodedFrames()).toEqual({ p2: 75 });

    call.registerRemoteVideo("p3", fakeVideo());
    call.registerRemoteVideo("p3", null);
    expect(Object.keys(debug.decodedFrames())).toEqual(["p2"]);
    call.close();
  });

  it("close() closes the session, stops sampling and listening, and removes only its own debug object", () => {
    const devices = fakeDevices();
    const call = new CallController(mesh, seat, devices.deps);
    expect(debugOf(devices.scope)).toBeDefined();
    call.close();
    expect(devices.sessions[0]!.closed).toBe(true);
    expect(devices.samplers).toEqual([]);
    expect(devices.monitor.closed).toBe(true);
    expect(devices.scope.__poseparty).toEqual({ sound: "kept" });

    // React's strict mode makes the next controller before the old one is closed: its debug object stays.
    const first = new CallController(mesh, seat, devices.deps);
    const second = new CallController(mesh, seat, devices.deps);
    const secondDebug = debugOf(devices.scope);
    first.close();
    expect(debugOf(devices.scope)).toBe(secondDebug);
    second.close();
    expect(devices.scope.__poseparty).toEqual({ sound: "kept" });
  });

  it("a LiveKit room loads LiveKit and creates its session; a call closed meanwhile creates none", async () => {
    const devices = fakeDevices();
    const livekit: CallSettings = { provider: "livekit", iceServers: [] };
    const call = new CallController(livekit, seat, devices.deps);
    expect(call.getState().provider).toBe("livekit");
    call.setMembers([member("p1")]);
    await settle();
    expect(devices.livekitImports).toHaveLength(1);
    const session = devices.sessions[0]!;
    expect(session.provider).toBe("livekit");
    expect(session.members.at(-1)).toEqual([{ id: "p1", connected: true }]);
    session.store.update({ status: "connected" });
    expect(call.getState().state.status).toBe("connected");
    call.close();
    expect(session.closed).toBe(true);

    const closedEarly = new CallController(livekit, seat, devices.deps);
    closedEarly.close();
    await settle();
    expect(devices.sessions).toHaveLength(1);
  });

  it("watches who speaks, the player's own microphone only while it is on", () => {
    const devices = fakeDevices();
    const call = new CallController(mesh, seat, devices.deps);
    const session = devices.sessions[0]!;
    const stream = fakeStream({ audio: true, video: true });
    call.setCamera({ status: "ready", stream }, null);
    const friendStream = fakeStream({ audio: true });
    session.store.setPeer({ playerId: "p2", stream: friendStream, status: "connected", videoAllowed: true });
    expect(devices.watched).toEqual(
      new Map([
        ["p1", stream.getAudioTracks()[0]],
        ["p2", friendStream.getAudioTracks()[0]],
      ]),
    );
    call.toggleMicrophone();
    expect(devices.watched.get("p1")).toBeNull();
    devices.monitor.onChange({ p2: true });
    expect(call.getState().speaking).toEqual({ p2: true });
    expect(debugOf(devices.scope)!.speaking()).toEqual({ p2: true });
    expect(debugOf(devices.scope)!.peers()).toEqual({ p2: "connected" });
    call.close();
  });

  it("shows the sound notice when a friend's audio is blocked, until every friend plays after a tap", async () => {
    const devices = fakeDevices();
    const call = new CallController(mesh, seat, devices.deps);
    let allowed = false;
    const audio = { play: () => (allowed ? Promise.resolve() : Promise.reject(new Error("NotAllowedError"))) } as unknown as HTMLAudioElement;
    call.registerAudio("p2", audio);
    call.markAudioBlocked();
    expect(call.getState().audioBlocked).toBe(true);
    call.resumeAudio();
    await settle();
    expect(call.getState().audioBlocked).toBe(true);
    allowed = true;
    call.resumeAudio();
    await settle();
    expect(call.getState().audioBlocked).toBe(false);
    call.close();
  });
});
