/**
 * The call behind one interface. Two providers implement it: the built-in WebRTC mesh
 * (meshCall.ts, signalling over our Socket.IO connection) and LiveKit (livekitCall.ts, an SFU,
 * when the server is configured for it). The call controller (callController.ts) and the game
 * only ever see CallSession, so neither knows which one runs.
 */
import type { UplinkLevel } from "./uplinkGovernor";

export type CallProvider = "mesh" | "livekit";

/** An RTCIceServer as the server hands it over (STUN/TURN from the environment). */
export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

/** What the room page receives from the server about the call. */
export interface CallSettings {
  provider: CallProvider;
  iceServers: IceServer[];
}

export interface CallMember {
  id: string;
  connected: boolean;
}

/** What this player sends: the one camera (or microphone-only) stream and the switches. */
export interface LocalMedia {
  stream: MediaStream | null;
  /** Microphone on (and present). */
  audio: boolean;
  /** Camera on (and present). Off only stops sending: the game keeps reading the camera. */
  video: boolean;
}

export type PeerStatus = "connecting" | "connected" | "reconnecting" | "failed";

export interface RemotePeer {
  playerId: string;
  /** The tracks received from this peer so far; a new object whenever the set changes. */
  stream: MediaStream | null;
  status: PeerStatus;
  /** False when the mesh is past its video limit for this pair: audio only. */
  videoAllowed: boolean;
  /**
   * Failed while this page has no relay (TURN) to try: the networks between the two phones need
   * one (a carrier's NAT, a firewall), so the tile says that rather than only "can't connect".
   */
  needsRelay?: boolean;
}

export interface CallState {
  /** The call as a whole: LiveKit's server connection; the mesh is "connected" once created. */
  status: "connecting" | "connected" | "failed";
  /**
   * How much video this phone sends (mesh: stepped down on purpose when its upload cannot carry
   * every friend's copy, uplinkGovernor.ts); LiveKit adapts on its server and stays "full".
   */
  uplinkLevel: UplinkLevel;
  peers: Readonly<Record<string, RemotePeer>>;
  /** Why the call failed, for the log and the tile (not shown verbatim to players). */
  error: string | null;
}

export interface CallSessionOptions {
  selfId: string;
  roomCode: string;
  /** Proves membership for the LiveKit token route. */
  sessionToken: string;
  iceServers: IceServer[];
}

export interface CallSession {
  readonly provider: CallProvider;
  getState(): CallState;
  subscribe(listener: () => void): () => void;
  /** The room's members in join order, after every room:state. */
  setMembers(members: readonly CallMember[]): void;
  setLocalMedia(media: LocalMedia): void;
  close(): void;
}

/**
 * Built-in mesh: every phone encodes and uploads one video per friend, so video is exchanged
 * only among the first MESH_VIDEO_LIMIT connected members (join order). Later members are heard
 * and hear everyone, and see nobody's video; LiveKit (one upload per phone) has no such limit.
 */
export const MESH_VIDEO_LIMIT = 6;

export function meshVideoAllowed(members: readonly CallMember[], a: string, b: string): boolean {
  const group = members
    .filter((member) => member.connected)
    .slice(0, MESH_VIDEO_LIMIT)
    .map((member) => member.id);
  return group.includes(a) && group.includes(b);
}

/** A small store: state snapshots plus listeners, shared by both providers. */
export class CallStateStore {
  private state: CallState = { status: "connecting", uplinkLevel: "full", peers: {}, error: null };
  private readonly listeners = new Set<() => void>();

  get(): CallState {
    return this.state;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  update(patch: Partial<CallState>): void {
    this.state = { ...this.state, ...patch };
    for (const listener of this.listeners) listener();
  }

  setPeer(peer: RemotePeer): void {
    this.update({ peers: { ...this.state.peers, [peer.playerId]: peer } });
  }

  removePeer(playerId: string): void {
    if (!(playerId in this.state.peers)) return;
    const { [playerId]: _removed, ...rest } = this.state.peers;
    this.update({ peers: rest });
  }

  clear(): void {
    this.listeners.clear();
  }
}

/** A MediaStream of the given tracks, or null when there are none. */
export function streamOf(tracks: Iterable<MediaStreamTrack>): MediaStream | null {
  const list = [...tracks].filter((track) => track.readyState === "live");
  return list.length > 0 ? new MediaStream(list) : null;
}
