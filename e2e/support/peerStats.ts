/**
 * What a page's call connections report (RTCPeerConnection.getStats), for the network specs and
 * the bench's `network` section. The page's connections are collected by an init script
 * (RECORD_PEER_CONNECTIONS, added before the page loads); each one is one friend's tile.
 */
import type { Page } from "@playwright/test";

export interface CandidateView {
  type: string;
  protocol: string;
  relayProtocol?: string;
  address?: string;
}
export interface SelectedPair {
  local: CandidateView;
  remote: CandidateView;
}

/** One connection (one friend) at one moment: counters, so two samples give rates. */
export interface ConnectionSample {
  /** Stable for the life of the RTCPeerConnection (a rebuilt connection gets a new one). */
  id: number;
  state: RTCPeerConnectionState;
  atMs: number;
  pair: SelectedPair | null;
  rttMs: number | null;
  /** The connection's own estimate of what it may send (GCC), kbit/s. */
  availableOutgoingKbps: number | null;
  /** Payload and headers sent, audio and video together. */
  bytesSent: number;
  videoBytesSent: number;
  /** The friend's audio as received here. */
  audioBytesReceived: number;
  /** The friend's video as decoded here. */
  framesDecoded: number;
  freezeCount: number;
  totalFreezesDurationS: number;
  inboundHeight: number | null;
  /** What this phone encodes for the friend. */
  outboundHeight: number | null;
  outboundFps: number | null;
  qualityLimitationReason: string | null;
}

/** Keeps every RTCPeerConnection the page makes, numbered, so the test can ask each for its stats. */
export const RECORD_PEER_CONNECTIONS = () => {
  const Native = window.RTCPeerConnection;
  const made: RTCPeerConnection[] = [];
  (window as unknown as { __netlabPeerConnections: RTCPeerConnection[] }).__netlabPeerConnections = made;
  window.RTCPeerConnection = class extends Native {
    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      made.push(this);
    }
  };
};

/**
 * For pages driven from code run by tsx (the bench): esbuild's keepNames wraps named functions in
 * `__name(...)`, and a function sent to page.evaluate carries that call into a page that lacks it.
 */
export const KEEP_NAMES_SHIM = "globalThis.__name = (target) => target;";

/** Every connection the page made that is not closed, with its counters now. */
export function sampleConnections(page: Page): Promise<ConnectionSample[]> {
  return page.evaluate(async () => {
    const made = (window as unknown as { __netlabPeerConnections?: RTCPeerConnection[] }).__netlabPeerConnections ?? [];
    const samples: ConnectionSample[] = [];
    for (const [id, pc] of made.entries()) {
      if (pc.connectionState === "closed") continue;
      const stats = await pc.getStats();
      const sample: ConnectionSample = {
        id,
        state: pc.connectionState,
        atMs: performance.now(),
        pair: null,
        rttMs: null,
        availableOutgoingKbps: null,
        bytesSent: 0,
        videoBytesSent: 0,
        audioBytesReceived: 0,
        framesDecoded: 0,
        freezeCount: 0,
        totalFreezesDurationS: 0,
        inboundHeight: null,
        outboundHeight: null,
        outboundFps: null,
        qualityLimitationReason: null,
      };
      const view = (candidateId: string): CandidateView => {
        const candidate = stats.get(candidateId) as { candidateType: string; protocol: string; relayProtocol?: string; address?: string };
        return { type: candidate.candidateType, protocol: candidate.protocol, relayProtocol: candidate.relayProtocol, address: candidate.address };
      };
      stats.forEach((report: Record<string, unknown> & { type: string }) => {
        if (report.type === "transport" && typeof report.selectedCandidatePairId === "string") {
          const pair = stats.get(report.selectedCandidatePairId) as RTCIceCandidatePairStats | undefined;
          if (pair) {
            sample.pair = { local: view(pair.localCandidateId), remote: view(pair.remoteCandidateId) };
            if (typeof pair.currentRoundTripTime === "number") sample.rttMs = pair.currentRoundTripTime * 1000;
            if (typeof pair.availableOutgoingBitrate === "number") sample.availableOutgoingKbps = pair.availableOutgoingBitrate / 1000;
          }
        } else if (report.type === "outbound-rtp") {
          const bytes = Number(report.bytesSent ?? 0) + Number(report.headerBytesSent ?? 0);
          sample.bytesSent += bytes;
          if (report.kind === "video") {
            sample.videoBytesSent += bytes;
            if (typeof report.frameHeight === "number") sample.outboundHeight = report.frameHeight;
            if (typeof report.framesPerSecond === "number") sample.outboundFps = report.framesPerSecond;
            if (typeof report.qualityLimitationReason === "string") sample.qualityLimitationReason = report.qualityLimitationReason;
          }
        } else if (report.type === "inbound-rtp" && report.kind === "audio") {
          sample.audioBytesReceived += Number(report.bytesReceived ?? 0);
        } else if (report.type === "inbound-rtp" && report.kind === "video") {
          sample.framesDecoded += Number(report.framesDecoded ?? 0);
          sample.freezeCount += Number(report.freezeCount ?? 0);
          sample.totalFreezesDurationS += Number(report.totalFreezesDuration ?? 0);
          if (typeof report.frameHeight === "number") sample.inboundHeight = report.frameHeight;
        }
      });
      samples.push(sample);
    }
    return samples;
  });
}

/** The selected candidate pair of each connected peer connection. */
export async function selectedPairs(page: Page): Promise<SelectedPair[]> {
  return (await sampleConnections(page)).flatMap((sample) => (sample.state === "connected" && sample.pair ? [sample.pair] : []));
}

export const describePair = (pair: SelectedPair) =>
  `${pair.local.type}${pair.local.relayProtocol ? `(${pair.local.relayProtocol})` : ""}/${pair.local.protocol} -> ${pair.remote.type}/${pair.remote.protocol}`;

/** One friend's tile over a window between two samples of the same connection. */
export interface TileWindow {
  decodedFps: number;
  freezes: number;
  freezeSeconds: number;
  rttMs: number | null;
  inboundHeight: number | null;
  pair: SelectedPair | null;
}

/** One phone over a window: each friend's tile and what the phone sent in all. */
export interface PhoneWindow {
  tiles: TileWindow[];
  /** Everything the phone sent on its call connections (audio and video), kbit/s. */
  sentKbps: number;
  /** The lowest resolution it encoded at the end of the window. */
  outboundHeight: number | null;
  qualityLimitationReasons: string[];
}

/** Rates between two samples of one page; connections present in both count (a rebuilt one does not). */
export function phoneWindow(before: readonly ConnectionSample[], after: readonly ConnectionSample[]): PhoneWindow {
  const tiles: TileWindow[] = [];
  let sentBytes = 0;
  let seconds = 0;
  const heights: number[] = [];
  const reasons = new Set<string>();
  for (const end of after) {
    const start = before.find((sample) => sample.id === end.id);
    if (!start) continue;
    const elapsedS = (end.atMs - start.atMs) / 1000;
    if (elapsedS <= 0) continue;
    seconds = Math.max(seconds, elapsedS);
    sentBytes += end.bytesSent - start.bytesSent;
    if (end.outboundHeight !== null) heights.push(end.outboundHeight);
    if (end.qualityLimitationReason) reasons.add(end.qualityLimitationReason);
    tiles.push({
      // A friend's new video stream (camera back on, connection replaced) restarts its counters.
      decodedFps: Math.max(0, end.framesDecoded - start.framesDecoded) / elapsedS,
      freezes: end.freezeCount - start.freezeCount,
      freezeSeconds: end.totalFreezesDurationS - start.totalFreezesDurationS,
      rttMs: end.rttMs,
      inboundHeight: end.inboundHeight,
      pair: end.pair,
    });
  }
  return {
    tiles,
    sentKbps: seconds > 0 ? (sentBytes * 8) / 1000 / seconds : 0,
    outboundHeight: heights.length > 0 ? Math.min(...heights) : null,
    qualityLimitationReasons: [...reasons].sort(),
  };
}
