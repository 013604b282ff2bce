/**
 * The best moments of a room's finished match (issue 24): one small still per player, shown
 * beside its name on everyone's podium. Kept here, in the room's memory, and nowhere else: not
 * in the room state (snapshots, carry-over across restarts), not in the match record, not in
 * any log line. Dropped the moment the room leaves the results.
 */
import type { RoomState } from "@/core/room";
import type { ErrorAck, Moment } from "@/core/protocol";

export type MomentAnswer = { ok: true; moment: Moment; matchId: string } | ErrorAck;

export class RoomMoments {
  /** playerId -> still, for the match whose results are shown (matchId). */
  private readonly images = new Map<string, string>();
  private matchId: string | null = null;

  /**
   * A player's still (or its withdrawal, `image` null), judged against the room as it is now:
   * only while its results are shown, and only from a player ranked in that match.
   */
  accept(state: RoomState, playerId: string, image: string | null): MomentAnswer {
    const results = state.phase === "results" ? state.game?.results : null;
    if (!results) return { ok: false, code: "wrong_phase", message: "Best moments are shared only while the results are shown." };
    if (!results.ranking.some((entry) => entry.playerId === playerId)) {
      return { ok: false, code: "spectator", message: "Only the players of this match share a best moment." };
    }
    if (this.matchId !== results.matchId) this.clear();
    this.matchId = results.matchId;
    if (image === null) this.images.delete(playerId);
    else this.images.set(playerId, image);
    return { ok: true, moment: { playerId, image }, matchId: results.matchId };
  }

  /** Every still kept, for a member who (re)joins during the results; null when there are none. */
  all(): { matchId: string; moments: Moment[] } | null {
    if (this.matchId === null || this.images.size === 0) return null;
    return { matchId: this.matchId, moments: [...this.images].map(([playerId, image]) => ({ playerId, image })) };
  }

  /** A member left the room: its still goes too. The withdrawal to tell the room, if it had one. */
  forget(playerId: string): { matchId: string; moments: Moment[] } | null {
    if (this.matchId === null || !this.images.delete(playerId)) return null;
    return { matchId: this.matchId, moments: [{ playerId, image: null }] };
  }

  clear(): void {
    this.images.clear();
    this.matchId = null;
  }

  get size(): number {
    return this.images.size;
  }
}
