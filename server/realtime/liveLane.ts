/**
 * A room's live lane: the players' meters (live similarity) as presence, not events. Each sample
 * replaces the player's previous one and nothing is acked or run through the room machine; every
 * METER_BROADCAST_INTERVAL_MS the meters that changed go out in one message. The lane also keeps,
 * per player and round, the evidence an award is judged by (core/game/awardEvidence.ts) and the
 * best reading (for the saved match).
 */
import { RoundEvidence } from "@/core/game/awardEvidence";
import { STRIKE_EVIDENCE_RULE, STRIKE_STEADY_THRESHOLDS } from "@/core/game/copyRound";
import { THRESHOLDS } from "@/core/scoring/hold";
import type { Award } from "@/core/scoring/points";
import type { Difficulty } from "@/core/scoring/types";
import { METER_BROADCAST_INTERVAL_MS, type ServerPayload } from "@/core/protocol";
import type { RoomClock, TimerHandle } from "./roomClock";

interface PlayerLane {
  similarity: number;
  byRound: Map<number, { evidence: RoundEvidence; best: number }>;
  /** A copy round's leader: its steadiness during the strike, kept apart from any scoring in that round. */
  strikes: Map<number, RoundEvidence>;
}

export class LiveLane {
  private readonly players = new Map<string, PlayerLane>();
  private readonly changed = new Set<string>();
  private difficulty: Difficulty = "normal";
  private ticker: TimerHandle | null = null;

  constructor(
    private readonly clock: RoomClock,
    private readonly broadcast: (payload: ServerPayload<"game:meters">) => void,
    private readonly intervalMs = METER_BROADCAST_INTERVAL_MS,
  ) {}

  /**
   * A match begins: fresh meters and evidence, and the fixed-rate broadcast starts. Each room
   * ticks at its own random phase of the interval, so rooms that start together (or a server
   * with hundreds of them) spread their broadcasts over the interval instead of sending them in
   * one burst that holds up every other event.
   */
  start(difficulty: Difficulty): void {
    this.stop();
    this.difficulty = difficulty;
    this.ticker = this.clock.setRepeating(() => this.flush(), this.intervalMs, Math.random() * this.intervalMs);
  }

  /** The match is over (or the room closes): the ticker stops and everything is forgotten. */
  stop(): void {
    this.clock.clear(this.ticker);
    this.ticker = null;
    this.players.clear();
    this.changed.clear();
  }

  get running(): boolean {
    return this.ticker !== null;
  }

  /** One sample, already checked to be inside the round's window by the caller. */
  record(playerId: string, roundIndex: number, similarity: number, at: number): void {
    if (!this.running) return;
    const lane = this.laneOf(playerId);
    lane.similarity = similarity;
    let round = lane.byRound.get(roundIndex);
    if (!round) {
      round = { evidence: new RoundEvidence(THRESHOLDS[this.difficulty]), best: 0 };
      lane.byRound.set(roundIndex, round);
    }
    round.evidence.record(similarity, at);
    round.best = Math.max(round.best, similarity);
    this.changed.add(playerId);
  }

  /**
   * A leader's steadiness sample during a copy round's strike (core/game/copyRound.ts): shown on
   * its meter like any reading, and the evidence its pose is judged by; never award evidence.
   */
  recordStrike(playerId: string, roundIndex: number, steadiness: number, at: number): void {
    if (!this.running) return;
    const lane = this.laneOf(playerId);
    lane.similarity = steadiness;
    let evidence = lane.strikes.get(roundIndex);
    if (!evidence) {
      evidence = new RoundEvidence(STRIKE_STEADY_THRESHOLDS, STRIKE_EVIDENCE_RULE);
      lane.strikes.set(roundIndex, evidence);
    }
    evidence.record(steadiness, at);
    this.changed.add(playerId);
  }

  /** Did the leader's meter show the pose held steady during the strike? */
  supportsStrike(playerId: string, roundIndex: number): boolean {
    return this.players.get(playerId)?.strikes.get(roundIndex)?.supports("good") ?? false;
  }

  /** The player stopped playing for now (page hidden, connection lost): its meter reads 0. */
  zero(playerId: string): void {
    const lane = this.players.get(playerId);
    if (!lane || lane.similarity === 0) return;
    lane.similarity = 0;
    this.changed.add(playerId);
  }

  supports(playerId: string, roundIndex: number, grade: Award): boolean {
    return this.players.get(playerId)?.byRound.get(roundIndex)?.evidence.supports(grade) ?? false;
  }

  similarityOf(playerId: string): number {
    return this.players.get(playerId)?.similarity ?? 0;
  }

  /** The best reading the player's meter showed in a round (0 without any). */
  bestOf(playerId: string, roundIndex: number): number {
    return this.players.get(playerId)?.byRound.get(roundIndex)?.best ?? 0;
  }

  /** Sends the meters that changed since the last tick, if any. */
  flush(): void {
    if (this.changed.size === 0) return;
    const meters = [...this.changed].map((playerId) => ({ playerId, similarity: this.similarityOf(playerId) }));
    this.changed.clear();
    this.broadcast({ meters });
  }

  private laneOf(playerId: string): PlayerLane {
    let lane = this.players.get(playerId);
    if (!lane) {
      lane = { similarity: 0, byRound: new Map(), strikes: new Map() };
      this.players.set(playerId, lane);
    }
    return lane;
  }
}
