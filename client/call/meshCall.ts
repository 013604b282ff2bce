"use client";
/**
 * The built-in call: one RTCPeerConnection per friend (full mesh), signalled through the
 * server's `rtc:signal` relay on the room's Socket.IO connection.
 *
 * Negotiation follows the "perfect negotiation" pattern, so both sides may add tracks and offer
 * at any time (a late joiner, a camera coming up, an ICE restart) without coordinating: the
 * player with the greater id is polite and rolls back its own offer on glare, the other ignores
 * the colliding offer. A friend who reloads gets a new connection on both ends (a remote offer
 * with a new DTLS fingerprint means a new remote peer connection).
 */
import type { ServerPayload } from "@/core/protocol";
import { sendSignal as sendRoomSignal } from "@/client/room/commands";
import { getSocket } from "@/client/socket";
import {
  CallStateStore,
  meshVideoAllowed,
  streamOf,
  type CallMember,
  type CallSession,
  type CallSessionOptions,
  type LocalMedia,
  type PeerStatus,
} from "./call";
import { HeldBackMemory, INITIAL_UPLINK, LEVEL_ENCODING, levelKbps, nextUplinkState, type UplinkState } from "./uplinkGovernor";

type Signal = ServerPayload<"rtc:signal">;
type Kind = "audio" | "video";

/** "disconnected" often heals by itself within a few seconds; after this, restart ICE. */
const DISCONNECTED_RESTART_MS = 2_500;
/** Not connected this long after (re)starting: show the tile as failed (ICE keeps trying). */
const CONNECT_TIMEOUT_MS = 20_000;
/** Upload budget per phone, shared by its outgoing videos (kbps). */
const UPLOAD_BUDGET_KBPS = 1_500;
const MAX_VIDEO_KBPS = 800;
const MIN_VIDEO_KBPS = 200;
/** From this many video receivers on, send half the resolution: tiles are small, and encoding each copy costs CPU the game needs. */
const HALF_RESOLUTION_FROM = 3;

/** How often the phone's connections are asked what they may send (uplinkGovernor.ts). */
const UPLINK_SAMPLE_MS = 2_000;
/** A connection's estimate starts low and ramps up: ignored for this long after it connects. */
const ESTIMATE_SETTLE_MS = 6_000;
/** Sending at least this share of the estimate counts as using all of it. */
const SATURATED_SHARE = 0.75;
/** An estimate up by more than this since the last sample is still ramping up, not holding back. */
const ESTIMATE_GROWING = 1.05;

/** How each outgoing video is encoded, given how many friends receive video from this phone. */
interface VideoEncoding {
  maxBitrate: number;
  scaleResolutionDownBy: number;
  maxFramerate: number | undefined;
  /** False when the uplink cannot carry video at all: audio only. */
  send: boolean;
}
const SIGNAL_RETRIES = 5;
/** An offer still unanswered after this (then twice, three times as long) is sent again. */
const OFFER_RESEND_MS = 3_000;
const OFFER_RESENDS = 3;
/** How long an offer may wait for its answer (resends included) before the connection is replaced. */
const OFFER_PATIENCE_MS = 20_000;
/** Not connected nor checking this long after it was made: replace the connection (then 2x, 3x as long). */
const STUCK_REBUILD_MS = 6_000;
const STUCK_REBUILDS = 4;
/** The longest one signal may hold the queue (a busy phone takes seconds to apply a description). */
const SIGNAL_STEP_LIMIT_MS = 15_000;
/** Candidates kept while their description has not arrived (a few per network interface). */
const MAX_EARLY_CANDIDATES = 32;

export class MeshCall implements CallSession {
  readonly provider = "mesh" as const;
  private readonly store = new CallStateStore();
  private readonly peers = new Map<string, MeshPeer>();
  private members: readonly CallMember[] = [];
  private local: LocalMedia = { stream: null, audio: false, video: false };
  private closed = false;
  private uplink: UplinkState = INITIAL_UPLINK;
  private readonly uplinkTimer: ReturnType<typeof setInterval>;
  private readonly onSignal = (signal: Signal) => this.handleSignal(signal);
  /** Signals sent while our socket was down are lost: pick every unfinished negotiation up again. */
  private readonly onReconnect = () => {
    for (const peer of this.peers.values()) peer.resume();
  };

  constructor(private readonly options: CallSessionOptions) {
    getSocket().on("rtc:signal", this.onSignal);
    getSocket().on("connect", this.onReconnect);
    this.store.update({ status: "connected" });
    this.uplinkTimer = setInterval(() => void this.sampleUplink(), UPLINK_SAMPLE_MS);
  }

  getState() {
    return this.store.get();
  }

  subscribe(listener: () => void) {
    return this.store.subscribe(listener);
  }

  setMembers(members: readonly CallMember[]): void {
    if (this.closed) return;
    this.members = members;
    const wanted = new Set(members.filter((member) => member.connected && member.id !== this.options.selfId).map((member) => member.id));
    // Gone, or away (reload, lost connection): their side starts afresh, so does ours.
    for (const [playerId, peer] of this.peers) {
      if (!wanted.has(playerId)) this.dropPeer(playerId, peer);
    }
    for (const playerId of wanted) if (!this.peers.has(playerId)) this.addPeer(playerId);
    this.syncAll();
  }

  setLocalMedia(media: LocalMedia): void {
    if (this.closed) return;
    this.local = media;
    this.syncAll();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.uplinkTimer);
    getSocket().off("rtc:signal", this.onSignal);
    getSocket().off("connect", this.onReconnect);
    for (const [playerId, peer] of this.peers) this.dropPeer(playerId, peer);
    this.store.clear();
  }

  private addPeer(playerId: string): MeshPeer {
    const peer = new MeshPeer({
      selfId: this.options.selfId,
      remoteId: playerId,
      iceServers: this.options.iceServers,
      onChange: (status, stream) =>
        this.store.setPeer({
          playerId,
          status,
          stream,
          videoAllowed: meshVideoAllowed(this.members, this.options.selfId, playerId),
          ...(status === "failed" && !hasRelay(this.options.iceServers) ? { needsRelay: true } : {}),
        }),
    });
    this.peers.set(playerId, peer);
    peer.sync(this.local, this.videoAllowed(playerId), this.videoEncoding());
    return peer;
  }

  private dropPeer(playerId: string, peer: MeshPeer): void {
    peer.close();
    this.peers.delete(playerId);
    this.store.removePeer(playerId);
  }

  private syncAll(): void {
    const encoding = this.videoEncoding();
    for (const [playerId, peer] of this.peers) {
      peer.sync(this.local, this.videoAllowed(playerId), encoding);
      const current = this.store.get().peers[playerId];
      const videoAllowed = this.videoAllowed(playerId);
      if (current && current.videoAllowed !== videoAllowed) this.store.setPeer({ ...current, videoAllowed });
    }
  }

  private videoAllowed(playerId: string): boolean {
    // Before the first room snapshot, assume the small room it almost always is.
    return this.members.length === 0 || meshVideoAllowed(this.members, this.options.selfId, playerId);
  }

  /**
   * Each outgoing video gets a share of the upload budget, so a full room does not choke the
   * phone; when the connections measure less upload than that, the uplink level lowers it.
   */
  private videoReceivers(): number {
    return Math.max(1, [...this.peers.keys()].filter((id) => this.videoAllowed(id)).length);
  }

  /** What full video sends each friend: an equal share of the upload budget, within bounds. */
  private shareKbps(): number {
    return Math.min(MAX_VIDEO_KBPS, Math.max(MIN_VIDEO_KBPS, UPLOAD_BUDGET_KBPS / this.videoReceivers()));
  }

  private videoEncoding(): VideoEncoding {
    const shareKbps = this.shareKbps();
    const scale = this.videoReceivers() >= HALF_RESOLUTION_FROM ? 2 : 1;
    if (this.uplink.level === "audio-only") return { maxBitrate: MIN_VIDEO_KBPS * 1000, scaleResolutionDownBy: scale, maxFramerate: undefined, send: false };
    const level = LEVEL_ENCODING[this.uplink.level];
    return {
      maxBitrate: Math.round(levelKbps(this.uplink.level, shareKbps) * 1000),
      scaleResolutionDownBy: scale * level.extraScaleDown,
      maxFramerate: level.maxFramerate,
      send: true,
    };
  }

  /** Asks the connections what they may send, and steps the video down or up (uplinkGovernor.ts). */
  private async sampleUplink(): Promise<void> {
    if (this.closed) return;
    let receivers = 0;
    let estimateKbps: number | null = null;
    let heldBack = 0;
    let settling = 0;
    // One line per sample at debug level: what the governor saw, for a failing lab test's log.
    const seen: string[] = [];
    for (const [playerId, peer] of this.peers) {
      if (!this.local.video || !this.videoAllowed(playerId)) continue;
      const outgoing = await peer.outgoing(ESTIMATE_SETTLE_MS);
      seen.push(outgoing === "unsettled" ? "unsettled" : outgoing.trace);
      if (outgoing === "unsettled") {
        settling += 1;
        continue;
      }
      receivers += 1;
      if (outgoing.estimateKbps !== null) estimateKbps = (estimateKbps ?? 0) + outgoing.estimateKbps;
      if (outgoing.bandwidthLimited) heldBack += 1;
    }
    // Our own uplink holds back every connection that shares it; one friend's bad link (their
    // download, their lost feedback) holds back only the connection to them, and is no reason to
    // send everyone else less. Seen in the lab: a friend on a 250 kbit/s uplink stepped the phone
    // down for its other friends too, until only a majority counted.
    const bandwidthLimited = heldBack * 2 > receivers;
    if (this.closed) return;
    const next = nextUplinkState(this.uplink, {
      atMs: performance.now(),
      videoReceivers: receivers,
      settlingReceivers: settling,
      estimateKbps,
      shareKbps: this.shareKbps(),
      bandwidthLimited,
    });
    const changed = next.level !== this.uplink.level;
    console.debug(`[call] uplink sample ${next.level}: ${seen.join(" | ") || "no video receivers"}`);
    this.uplink = next;
    if (!changed) return;
    console.info(`[call] uplink ${next.level}: ${estimateKbps === null ? "no estimate" : `${Math.round(estimateKbps)} kbit/s`} for ${receivers} friends`);
    this.store.update({ uplinkLevel: next.level });
    this.syncAll();
  }

  private handleSignal(signal: Signal): void {
    if (this.closed) return;
    // The server relays only from a member's live socket, so a signal proves its sender is here now,
    // even when our member list (applied after React renders the room:state) still says away or
    // does not name them yet. Dropping such a signal deadlocked a reload: the friend's offer was
    // lost, our own offer crossed it and was ignored by the impolite side, and both waited.
    const peer = this.peers.get(signal.from) ?? this.addPeer(signal.from);
    peer.handleSignal(signal);
  }
}

/** Whether the page has a TURN relay to fall back on (STUN alone only finds addresses). */
function hasRelay(iceServers: readonly RTCIceServer[]): boolean {
  return iceServers.some((server) => (Array.isArray(server.urls) ? server.urls : [server.urls]).some((url) => /^turns?:/.test(url)));
}

interface MeshPeerOptions {
  selfId: string;
  remoteId: string;
  iceServers: RTCIceServer[];
  onChange: (status: PeerStatus, stream: MediaStream | null) => void;
}

/** One friend: the connection, its negotiation state and what we send and receive. */
class MeshPeer {
  private pc!: RTCPeerConnection;
  /** The greater id yields on glare (any fixed rule both ends agree on works). */
  private readonly polite: boolean;
  private makingOffer = false;
  private ignoreOffer = false;
  private senders: Partial<Record<Kind, RTCRtpSender>> = {};
  private remoteTracks = new Set<MediaStreamTrack>();
  private remoteFingerprint: string | null = null;
  private status: PeerStatus = "connecting";
  private everConnected = false;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private failTimer: ReturnType<typeof setTimeout> | undefined;
  private offerTimer: ReturnType<typeof setTimeout> | undefined;
  private stuckTimer: ReturnType<typeof setTimeout> | undefined;
  /** Counts our offers, so a resend knows its offer is still the latest. */
  private offerSerial = 0;
  private offerSentAt = 0;
  /** Connections replaced since the last time one connected (armStuckRebuild). */
  private rebuilds = 0;
  private earlyCandidates: NonNullable<Signal["candidate"]>[] = [];
  /** Signals are applied one at a time, in arrival order. */
  private queue: Promise<void> = Promise.resolve();
  private wanted: { local: LocalMedia; videoAllowed: boolean; encoding: VideoEncoding } = {
    local: { stream: null, audio: false, video: false },
    videoAllowed: true,
    encoding: { maxBitrate: MAX_VIDEO_KBPS * 1000, scaleResolutionDownBy: 1, maxFramerate: undefined, send: true },
  };
  /** When the current connection last became connected (performance.now()), else null. */
  private connectedAt: number | null = null;
  /** The previous outgoing() reading, for rates. */
  private lastOutgoing: { atMs: number; bytesSent: number; estimateKbps: number | null } | null = null;
  private readonly heldBack = new HeldBackMemory();
  private closed = false;

  constructor(private readonly options: MeshPeerOptions) {
    this.polite = options.selfId > options.remoteId;
    this.createConnection();
  }

  /** Sends what is wanted now: tracks switched on get sent, the rest are replaced by nothing. */
  sync(local: LocalMedia, videoAllowed: boolean, encoding: VideoEncoding): void {
    this.wanted = { local, videoAllowed, encoding };
    if (this.closed) return;
    const stream = local.stream;
    const tracks: Record<Kind, MediaStreamTrack | null> = {
      audio: stream?.getAudioTracks()[0] ?? null,
      video: stream?.getVideoTracks()[0] ?? null,
    };
    const on: Record<Kind, boolean> = { audio: local.audio, video: local.video && videoAllowed && encoding.send };
    for (const kind of ["audio", "video"] as const) {
      const track = tracks[kind];
      const sender = this.senders[kind];
      if (!sender) {
        // addTrack (not addTransceiver) so a transceiver created by the friend's offer is reused.
        if (track && stream) {
          this.senders[kind] = this.pc.addTrack(track, stream);
          if (!on[kind]) void this.senders[kind]?.replaceTrack(null).catch(() => undefined);
        }
        continue;
      }
      const next = on[kind] ? track : null;
      // replaceTrack needs no renegotiation: muting, camera off and the 7th+ rule are instant.
      if (sender.track !== next) void sender.replaceTrack(next).catch(() => undefined);
    }
    void this.applyEncoding();
  }

  /**
   * What this connection's congestion control says it may send (kbit/s, null when it says
   * nothing) and whether it holds our video back; "unsettled" when not connected, or connected too
   * recently for the estimate to mean much.
   */
  async outgoing(settleMs: number): Promise<{ estimateKbps: number | null; bandwidthLimited: boolean; trace: string } | "unsettled"> {
    const pc = this.pc;
    if (this.closed || pc.connectionState !== "connected" || this.connectedAt === null || performance.now() - this.connectedAt < settleMs) {
      this.lastOutgoing = null;
      this.heldBack.forget();
      return "unsettled";
    }
    try {
      const stats = await pc.getStats();
      let estimateKbps: number | null = null;
      let reasonBandwidth = false;
      let videoLimitation = "none";
      let bytesSent = 0;
      stats.forEach(
        (report: {
          type: string;
          kind?: string;
          selectedCandidatePairId?: string;
          qualityLimitationReason?: string;
          bytesSent?: number;
          headerBytesSent?: number;
        }) => {
          if (report.type === "outbound-rtp") {
            bytesSent += (report.bytesSent ?? 0) + (report.headerBytesSent ?? 0);
            if (report.kind === "video" && report.qualityLimitationReason === "bandwidth") reasonBandwidth = true;
            if (report.kind === "video" && report.qualityLimitationReason) videoLimitation = report.qualityLimitationReason;
          }
          if (report.type !== "transport" || !report.selectedCandidatePairId) return;
          const pair = stats.get(report.selectedCandidatePairId) as RTCIceCandidatePairStats | undefined;
          if (typeof pair?.availableOutgoingBitrate === "number") estimateKbps = pair.availableOutgoingBitrate / 1000;
        },
      );
      const now = performance.now();
      const last = this.lastOutgoing;
      this.lastOutgoing = { atMs: now, bytesSent, estimateKbps };
      const estimateText = estimateKbps === null ? "none" : Math.round(estimateKbps);
      if (estimateKbps === null || !last || now <= last.atMs) {
        const bandwidthLimited = this.heldBack.note(reasonBandwidth, now);
        return { estimateKbps, bandwidthLimited, trace: `estimate ${estimateText} limited by ${videoLimitation}` };
      }
      const sentKbps = ((bytesSent - last.bytesSent) * 8) / (now - last.atMs);
      // Held back by the estimate: sending about all it allows while it stops growing (congestion
      // control that still ramps up after connecting grows a few percent a second). A still picture
      // sends far less than its estimate and is not held back, however low that estimate is.
      const saturated = sentKbps >= SATURATED_SHARE * estimateKbps && (last.estimateKbps === null || estimateKbps <= last.estimateKbps * ESTIMATE_GROWING);
      const bandwidthLimited = this.heldBack.note(reasonBandwidth || saturated, now);
      const trace = `estimate ${estimateText} sent ${Math.round(sentKbps)} limited by ${videoLimitation}${saturated ? ", saturated" : bandwidthLimited ? ", held back lately" : ""}`;
      return { estimateKbps, bandwidthLimited, trace };
    } catch {
      return "unsettled";
    }
  }

  handleSignal(signal: Signal): void {
    // A step on a connection closed meanwhile may never settle (the WebRTC spec abandons it): the
    // queue moves on after a while instead of holding every later signal behind it.
    const step = () => Promise.race([this.applySignal(signal), delay(SIGNAL_STEP_LIMIT_MS)]);
    this.queue = this.queue.then(step).catch((error: unknown) => {
      console.warn(`[call] signal from ${this.options.remoteId} failed`, error);
    });
  }

  /** After our signalling connection came back: resend a pending offer, or restart ICE if not connected. */
  resume(): void {
    if (this.closed) return;
    const pc = this.pc;
    if (pc.signalingState === "have-local-offer" && pc.localDescription) {
      this.send({ description: descriptionInit(pc.localDescription) });
    } else if (pc.connectionState !== "connected") {
      pc.restartIce();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.restartTimer);
    clearTimeout(this.failTimer);
    clearTimeout(this.offerTimer);
    clearTimeout(this.stuckTimer);
    this.teardownConnection();
  }

  private createConnection(): void {
    const pc = new RTCPeerConnection({ iceServers: this.options.iceServers, bundlePolicy: "max-bundle" });
    this.pc = pc;
    this.senders = {};
    this.remoteTracks = new Set();
    this.remoteFingerprint = null;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.everConnected = false;
    this.connectedAt = null;
    this.earlyCandidates = [];

    pc.onnegotiationneeded = async () => {
      try {
        this.makingOffer = true;
        const serial = ++this.offerSerial;
        await pc.setLocalDescription();
        if (pc === this.pc && pc.localDescription) {
          this.send({ description: descriptionInit(pc.localDescription) });
          this.offerSentAt = performance.now();
          this.armOfferResend(pc, serial, 1);
        }
      } catch (error) {
        console.warn(`[call] offer to ${this.options.remoteId} failed`, error);
      } finally {
        this.makingOffer = false;
      }
    };
    pc.onicecandidate = ({ candidate }) => {
      if (candidate && pc === this.pc) this.send({ candidate: candidateInit(candidate) });
    };
    pc.ontrack = ({ track }) => {
      if (pc !== this.pc) return;
      this.remoteTracks.add(track);
      track.addEventListener("ended", () => {
        this.remoteTracks.delete(track);
        this.report();
      });
      this.report();
    };
    pc.oniceconnectionstatechange = () => this.onIceState(pc);
    pc.onconnectionstatechange = () => this.onConnectionState(pc);
    this.setStatus("connecting");
    this.armFailTimer();
    this.armStuckRebuild(pc);
    this.sync(this.wanted.local, this.wanted.videoAllowed, this.wanted.encoding);
  }

  private teardownConnection(): void {
    const pc = this.pc;
    pc.onnegotiationneeded = null;
    pc.onicecandidate = null;
    pc.ontrack = null;
    pc.oniceconnectionstatechange = null;
    pc.onconnectionstatechange = null;
    // The senders' tracks are the shared camera: closing must not stop them, only the connection.
    pc.close();
  }

  private async applySignal({ description, candidate }: Signal): Promise<void> {
    if (this.closed) return;
    if (description) {
      if (description.type === "offer") {
        const fingerprint = fingerprintOf(description.sdp);
        if (this.remoteFingerprint && fingerprint && fingerprint !== this.remoteFingerprint) {
          // The friend reloaded or rebuilt its connection: ours to it is dead, start over.
          this.teardownConnection();
          this.createConnection();
        }
      }
      const pc = this.pc;
      // An answer to an offer we no longer have (answered twice, or to a connection we replaced).
      if (description.type === "answer" && pc.signalingState !== "have-local-offer") return;
      const offerCollision = description.type === "offer" && (this.makingOffer || pc.signalingState !== "stable");
      this.ignoreOffer = !this.polite && offerCollision;
      if (this.ignoreOffer) return;
      if (offerCollision && pc.signalingState === "have-local-offer") {
        // Glare and we are polite: withdraw our offer (explicitly, for browsers without implicit rollback).
        await pc.setLocalDescription({ type: "rollback" });
      }
      await pc.setRemoteDescription(description);
      this.remoteFingerprint = fingerprintOf(description.sdp) ?? this.remoteFingerprint;
      await this.replayEarlyCandidates(pc);
      if (description.type === "offer") {
        await pc.setLocalDescription();
        // Not if the connection was replaced meanwhile: that answer would describe a closed one.
        if (pc === this.pc && pc.localDescription) this.send({ description: descriptionInit(pc.localDescription) });
      }
      void this.applyEncoding();
      return;
    }
    if (candidate) {
      try {
        await this.pc.addIceCandidate(candidate);
      } catch (error) {
        if (!this.ignoreOffer && this.pc.remoteDescription) throw error;
        // Candidates of an offer we ignored, or sent before the description they belong to. After
        // glare, the polite friend rolls back and answers with the same ICE credentials, and does
        // not send those candidates again: kept, they are what lets the answer connect.
        if (this.earlyCandidates.length >= MAX_EARLY_CANDIDATES) this.earlyCandidates.shift();
        this.earlyCandidates.push(candidate);
      }
    }
  }

  private async replayEarlyCandidates(pc: RTCPeerConnection): Promise<void> {
    const early = this.earlyCandidates;
    this.earlyCandidates = [];
    for (const candidate of early) {
      // Those of another description (an ignored offer, a replaced page) fail here, as expected.
      await pc.addIceCandidate(candidate).catch(() => undefined);
    }
  }

  /**
   * An offer can be lost (a signal the friend's page could not take yet, a page that was replaced);
   * the impolite side then ignores the friend's crossing offer while it waits for an answer that
   * never comes, and neither side connects. Sending the same offer again breaks that wait: a polite
   * friend yields to it, and an offer already answered is answered again (the stale answer is dropped).
   */
  private armOfferResend(pc: RTCPeerConnection, serial: number, attempt: number): void {
    clearTimeout(this.offerTimer);
    if (attempt > OFFER_RESENDS) return;
    this.offerTimer = setTimeout(() => {
      // The same offer still unanswered (its SDP text grows as candidates are gathered: not compared).
      if (this.closed || pc !== this.pc || serial !== this.offerSerial || pc.signalingState !== "have-local-offer" || !pc.localDescription) return;
      this.send({ description: descriptionInit(pc.localDescription) });
      this.armOfferResend(pc, serial, attempt + 1);
    }, OFFER_RESEND_MS * attempt);
  }

  private onIceState(pc: RTCPeerConnection): void {
    if (pc !== this.pc || this.closed) return;
    const state = pc.iceConnectionState;
    clearTimeout(this.restartTimer);
    if (state === "failed") {
      // A network change (Wi-Fi to cellular) or a NAT timeout: new candidates, same connection.
      pc.restartIce();
    } else if (state === "disconnected") {
      this.restartTimer = setTimeout(() => {
        if (pc === this.pc && pc.iceConnectionState === "disconnected") pc.restartIce();
      }, DISCONNECTED_RESTART_MS);
    }
  }

  private onConnectionState(pc: RTCPeerConnection): void {
    if (pc !== this.pc || this.closed) return;
    switch (pc.connectionState) {
      case "connected":
        this.connectedAt ??= performance.now();
        this.everConnected = true;
        this.rebuilds = 0;
        clearTimeout(this.failTimer);
        clearTimeout(this.stuckTimer);
        this.setStatus("connected");
        void this.applyEncoding();
        break;
      case "disconnected":
      case "failed":
        this.connectedAt = null;
        // Without a relay, a connection that never worked and whose checks all failed will not
        // work on a retry either (two strict NATs): say so now rather than after CONNECT_TIMEOUT_MS.
        this.setStatus(pc.connectionState === "failed" && !this.everConnected && !hasRelay(this.options.iceServers) ? "failed" : "reconnecting");
        this.armFailTimer();
        this.armStuckRebuild(pc);
        break;
      case "new":
      case "connecting":
        // "Can't connect" stays while ICE keeps trying, until a connection works.
        if (this.status !== "failed") this.setStatus(this.everConnected ? "reconnecting" : "connecting");
        break;
      case "closed":
        break;
    }
  }

  /**
   * A connection that is not connected, and not even checking, some seconds after it was made has
   * lost something on the way: an offer, an answer or candidates, or Chromium's ICE agent stopped
   * gathering after a rollback during glare (seen here: gathering never completes, and restartIce
   * does not revive it). Neither "failed" nor "disconnected" ever comes, so nothing else heals it.
   * The impolite side replaces the connection with a new one and offers; its new fingerprint makes
   * the friend replace theirs too (applySignal). Only one side does it, so the two never ping-pong.
   */
  private armStuckRebuild(pc: RTCPeerConnection): void {
    clearTimeout(this.stuckTimer);
    if (this.polite || this.rebuilds >= STUCK_REBUILDS) return;
    this.stuckTimer = setTimeout(
      () => {
        if (this.closed || pc !== this.pc || pc.connectionState === "connected") return;
        // Checks under way, or a description we are still applying, are left to finish: a busy phone
        // may take seconds for either, and ICE fails checks that cannot succeed.
        // An offer still out is first sent again (armOfferResend); a slow friend gets that long to answer.
        const offerOut = pc.signalingState === "have-local-offer" && performance.now() - this.offerSentAt < OFFER_PATIENCE_MS;
        const busy = pc.connectionState === "connecting" || this.makingOffer || pc.signalingState === "have-remote-offer" || offerOut;
        if (busy) return this.armStuckRebuild(pc);
        this.rebuilds += 1;
        this.teardownConnection();
        // Signals still queued belong to the closed connection; those arriving from now on do not.
        this.queue = Promise.resolve();
        this.createConnection();
      },
      STUCK_REBUILD_MS * (this.rebuilds + 1),
    );
  }

  private armFailTimer(): void {
    clearTimeout(this.failTimer);
    this.failTimer = setTimeout(() => {
      if (!this.closed && this.pc.connectionState !== "connected") this.setStatus("failed");
    }, CONNECT_TIMEOUT_MS);
  }

  private setStatus(status: PeerStatus): void {
    this.status = status;
    this.report();
  }

  private report(): void {
    if (!this.closed) this.options.onChange(this.status, streamOf(this.remoteTracks));
  }

  private async applyEncoding(): Promise<void> {
    const sender = this.senders.video;
    if (!sender) return;
    try {
      const parameters = sender.getParameters();
      const encoding = parameters.encodings?.[0];
      const wanted = this.wanted.encoding;
      if (
        !encoding ||
        (encoding.maxBitrate === wanted.maxBitrate &&
          encoding.scaleResolutionDownBy === wanted.scaleResolutionDownBy &&
          encoding.maxFramerate === wanted.maxFramerate)
      )
        return;
      encoding.maxBitrate = wanted.maxBitrate;
      encoding.scaleResolutionDownBy = wanted.scaleResolutionDownBy;
      if (wanted.maxFramerate === undefined) delete encoding.maxFramerate;
      else encoding.maxFramerate = wanted.maxFramerate;
      await sender.setParameters(parameters);
    } catch {
      // Before negotiation there are no encodings yet; the next sync sets it.
    }
  }

  private send(signal: { description?: RTCSessionDescriptionInit; candidate?: RTCIceCandidateInit }): void {
    void sendSignal(this.options.remoteId, signal);
  }
}

async function sendSignal(to: string, signal: { description?: RTCSessionDescriptionInit; candidate?: RTCIceCandidateInit }): Promise<void> {
  const payload = {
    to,
    ...(signal.description
      ? { description: { type: signal.description.type, ...(signal.description.sdp !== undefined ? { sdp: signal.description.sdp } : {}) } }
      : {}),
    ...(signal.candidate
      ? {
          candidate: {
            candidate: signal.candidate.candidate ?? "",
            sdpMid: signal.candidate.sdpMid ?? null,
            sdpMLineIndex: signal.candidate.sdpMLineIndex ?? null,
            usernameFragment: signal.candidate.usernameFragment ?? null,
          },
        }
      : {}),
  };
  for (let attempt = 0; attempt < SIGNAL_RETRIES; attempt += 1) {
    const answer = await sendRoomSignal(payload);
    if (answer.ok) return;
    // A burst of candidates can hit the per-second budget, and right after a reconnect our seat (or
    // the friend's) may not be back yet: wait and resend rather than lose the signal.
    if (answer.code !== "rate_limited" && answer.code !== "server_unreachable" && answer.code !== "not_in_room") {
      console.warn(`[call] signal to ${to} refused: ${answer.code} ${answer.message}`);
      return;
    }
    await delay(300 * (attempt + 1));
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function descriptionInit(description: RTCSessionDescription): RTCSessionDescriptionInit {
  return { type: description.type, sdp: description.sdp };
}

function candidateInit(candidate: RTCIceCandidate): RTCIceCandidateInit {
  return {
    candidate: candidate.candidate,
    sdpMid: candidate.sdpMid,
    sdpMLineIndex: candidate.sdpMLineIndex,
    usernameFragment: candidate.usernameFragment,
  };
}

/** The DTLS certificate fingerprint: new for every RTCPeerConnection, so it identifies one. */
function fingerprintOf(sdp: string | undefined): string | null {
  return sdp?.match(/^a=fingerprint:(\S+ \S+)/m)?.[1] ?? null;
}
