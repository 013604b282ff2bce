"use client";
/**
 * The call through a LiveKit server (an SFU: each phone uploads its video once, whatever the room
 * size). Used when the server has LIVEKIT_URL/API key/secret; loaded only then (dynamic import),
 * so the built-in mode never ships livekit-client.
 *
 * Membership is proven to our own server (POST /api/livekit/token with the tab's session token),
 * which mints a short-lived token for exactly this room with the player id as identity.
 */
import { ConnectionState, Room, RoomEvent, Track, type LocalTrackPublication, type RemoteParticipant, type RemoteTrack } from "livekit-client";
import { CallStateStore, streamOf, type CallMember, type CallSession, type CallSessionOptions, type LocalMedia } from "./call";

const RECONNECT_DELAY_MS = 2_000;

interface TokenAnswer {
  url: string;
  token: string;
  identity: string;
}

type Kind = "audio" | "video";

export class LivekitCall implements CallSession {
  readonly provider = "livekit" as const;
  private readonly store = new CallStateStore();
  private readonly room: Room;
  private readonly remoteTracks = new Map<string, Set<MediaStreamTrack>>();
  private members: readonly CallMember[] = [];
  private local: LocalMedia = { stream: null, audio: false, video: false };
  /**
   * What we publish: clones of the camera's tracks. LiveKit mutes by disabling the track it
   * publishes; a clone keeps that from blanking the frames the game reads from the original.
   */
  private published: Partial<Record<Kind, { source: MediaStreamTrack; clone: MediaStreamTrack; publication: LocalTrackPublication | null }>> = {};
  private publishing: Promise<void> = Promise.resolve();
  private connected = false;
  private closed = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: CallSessionOptions) {
    // adaptiveStream pauses videos that are not on screen; dynacast stops unwatched layers.
    this.room = new Room({ adaptiveStream: true, dynacast: true, stopLocalTrackOnUnpublish: true });
    this.room
      .on(RoomEvent.TrackSubscribed, (track: RemoteTrack, _publication, participant: RemoteParticipant) => {
        this.tracksOf(participant.identity).add(track.mediaStreamTrack);
        this.report(participant.identity);
      })
      .on(RoomEvent.TrackUnsubscribed, (track: RemoteTrack, _publication, participant: RemoteParticipant) => {
        this.tracksOf(participant.identity).delete(track.mediaStreamTrack);
        this.report(participant.identity);
      })
      .on(RoomEvent.ParticipantConnected, (participant: RemoteParticipant) => this.report(participant.identity))
      .on(RoomEvent.ParticipantDisconnected, (participant: RemoteParticipant) => {
        this.remoteTracks.delete(participant.identity);
        this.store.removePeer(participant.identity);
      })
      .on(RoomEvent.Reconnecting, () => this.setAllStatus("reconnecting"))
      .on(RoomEvent.Reconnected, () => this.setAllStatus("connected"))
      .on(RoomEvent.Disconnected, () => {
        this.connected = false;
        this.published = {};
        if (this.closed) return;
        this.store.update({ status: "connecting" });
        this.setAllStatus("reconnecting");
        this.scheduleConnect();
      });
    void this.connect();
  }

  getState() {
    return this.store.get();
  }

  subscribe(listener: () => void) {
    return this.store.subscribe(listener);
  }

  setMembers(members: readonly CallMember[]): void {
    this.members = members;
    // Tiles come from the room's members; LiveKit participants who are no longer members get none.
    for (const playerId of Object.keys(this.store.get().peers)) {
      if (!members.some((member) => member.id === playerId)) this.store.removePeer(playerId);
    }
  }

  setLocalMedia(media: LocalMedia): void {
    this.local = media;
    this.queuePublish();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    void this.room.disconnect(true);
    for (const entry of Object.values(this.published)) entry?.clone.stop();
    this.published = {};
    this.store.clear();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    this.store.update({ status: "connecting" });
    try {
      // A fresh token on every (re)connect: they live only minutes.
      const response = await fetch("/api/livekit/token", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ roomCode: this.options.roomCode, sessionToken: this.options.sessionToken }),
      });
      if (!response.ok) throw new Error(`token route answered ${response.status}`);
      const answer = (await response.json()) as TokenAnswer;
      if (this.closed) return;
      await this.room.connect(answer.url, answer.token, {
        autoSubscribe: true,
        rtcConfig: this.options.iceServers.length > 0 ? { iceServers: this.options.iceServers } : undefined,
      });
      if (this.closed) return;
      this.connected = true;
      this.store.update({ status: "connected", error: null });
      for (const participant of this.room.remoteParticipants.values()) this.report(participant.identity);
      this.queuePublish();
    } catch (error) {
      if (this.closed) return;
      const message = error instanceof Error ? error.message : String(error);
      console.warn(`[call] LiveKit connection failed: ${message}`);
      this.store.update({ status: "failed", error: message });
      this.scheduleConnect();
    }
  }

  private scheduleConnect(): void {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.connect(), RECONNECT_DELAY_MS);
  }

  /** Publications change one at a time: a camera arriving while the microphone publishes must wait. */
  private queuePublish(): void {
    this.publishing = this.publishing
      .then(() => this.syncPublications())
      .catch((error: unknown) => {
        console.warn("[call] LiveKit publish failed", error);
      });
  }

  private async syncPublications(): Promise<void> {
    if (!this.connected || this.closed) return;
    const participant = this.room.localParticipant;
    const sources: Record<Kind, MediaStreamTrack | null> = {
      audio: this.local.stream?.getAudioTracks()[0] ?? null,
      video: this.local.stream?.getVideoTracks()[0] ?? null,
    };
    const on: Record<Kind, boolean> = { audio: this.local.audio, video: this.local.video };
    for (const kind of ["audio", "video"] as const) {
      const source = sources[kind];
      let entry = this.published[kind];
      if (entry && entry.source !== source) {
        // The camera stream replaced the microphone-only one (or the reverse): publish the new track.
        await participant.unpublishTrack(entry.clone, true);
        entry.clone.stop();
        entry = undefined;
        delete this.published[kind];
      }
      if (!entry && source) {
        const clone = source.clone();
        const publication = await participant.publishTrack(clone, {
          source: kind === "audio" ? Track.Source.Microphone : Track.Source.Camera,
          name: kind === "audio" ? "microphone" : "camera",
        });
        entry = { source, clone, publication };
        this.published[kind] = entry;
      }
      if (!entry?.publication) continue;
      if (on[kind] && entry.publication.isMuted) await entry.publication.unmute();
      if (!on[kind] && !entry.publication.isMuted) await entry.publication.mute();
    }
  }

  private tracksOf(playerId: string): Set<MediaStreamTrack> {
    let tracks = this.remoteTracks.get(playerId);
    if (!tracks) {
      tracks = new Set();
      this.remoteTracks.set(playerId, tracks);
    }
    return tracks;
  }

  private report(playerId: string): void {
    if (this.closed) return;
    // Only current room members get a tile; others (a stale participant) are ignored.
    if (this.members.length > 0 && !this.members.some((member) => member.id === playerId)) return;
    this.store.setPeer({
      playerId,
      stream: streamOf(this.tracksOf(playerId)),
      status: this.room.state === ConnectionState.Reconnecting ? "reconnecting" : "connected",
      videoAllowed: true,
    });
  }

  private setAllStatus(status: "connected" | "reconnecting"): void {
    for (const peer of Object.values(this.store.get().peers)) this.store.setPeer({ ...peer, status });
  }
}
