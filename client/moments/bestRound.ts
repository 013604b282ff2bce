/** The round a player did best in (most points; the earlier one on a tie), for the podium's stand-in figure. */
export function bestRoundIndex(rounds: readonly { roundIndex: number; points: number }[]): number {
  let best: { roundIndex: number; points: number } | null = null;
  for (const round of rounds) {
    if (!best || round.points > best.points || (round.points === best.points && round.roundIndex < best.roundIndex)) best = round;
  }
  // Nothing scored: the match's first round stands for it.
  return best?.roundIndex ?? 0;
}
