/**
 * One finished match: ranking and every round's result, with target names as the results
 * screen shows them. Shared by the history page (server-rendered) and the room's history sheet
 * (fetched from /api/matches/<id>), so both read the same. No hooks: the caller passes the text.
 */
import type { Locale, Messages } from "@/client/messages";
import { rankStandings } from "@/core/game/ranking";
import { leaderPoseTarget } from "@/core/game/copyRound";
import { resolveTarget } from "@/core/targets/pick";
import { TargetArt } from "./TargetFigure";
import type { MatchDetail } from "@/core/matchHistory";
import { RelaxedNote } from "./RelaxedNote";

type StoredRound = Pick<MatchDetail["rounds"][number], "kind" | "targetId" | "index"> &
  Partial<Pick<MatchDetail["rounds"][number], "leaderNickname" | "leaderPose">>;

/** A round's target as players saw it: its name, or the stored id when it is no longer known. */
export function targetLabel(round: StoredRound, locale: Locale): string {
  if (round.kind === "copy" && round.leaderNickname && round.leaderPose)
    return leaderPoseTarget(round.index, round.leaderNickname, round.leaderPose).name[locale];
  return resolveTarget(round)?.name[locale] ?? round.targetId;
}

export function MatchDetailView({ match, t, locale }: { match: MatchDetail; t: Messages; locale: Locale }) {
  const players = rankStandings(
    match.players.filter((player) => !player.wasSpectator).map((player) => ({ ...player, name: player.nickname, total: player.finalScore })),
  );
  const spectators = match.players.filter((player) => player.wasSpectator);
  return (
    <>
      <RelaxedNote timeScale={match.timeScale} label={t.playedRelaxed} className="banner banner-info relaxed" />
      <section className="card" data-testid="match-ranking">
        <h2>{t.ranking}</h2>
        <ol className="podium-list">
          {players.map((player) => (
            <li key={player.nickname} data-testid="match-ranking-row" data-rank={player.rank}>
              <span className="rank">{player.rank}</span> <span className="member-name">{player.nickname}</span>
              {player.tied && <span className="tag"> {t.tie}</span>} <span className="score">{player.finalScore}</span>
            </li>
          ))}
          {spectators.map((player) => (
            <li key={player.nickname} className="away">
              <span className="rank">–</span> <span className="member-name">{player.nickname}</span> <span className="tag">{t.spectatorLabel}</span>
            </li>
          ))}
        </ol>
      </section>
      {match.rounds.map((round) => {
        // Points first; equal points by name, the ranking's rule (core/game/ranking.ts).
        const results = rankStandings(round.results.map((result) => ({ ...result, name: result.nickname, total: result.points })));
        return (
          <section key={round.index} className="card" data-testid="match-round" data-kind={round.kind} data-target={round.targetId}>
            <h2>
              {round.index + 1}. <span data-testid="match-round-target">{targetLabel(round, locale)}</span>{" "}
              <span className="tag">{t[`roundKind_${round.kind}`]}</span>
            </h2>
            {round.kind === "copy" && (
              <p className="copy-history" data-testid="match-round-leader" data-leader={round.leaderNickname ?? ""}>
                {round.leaderPose && round.leaderNickname ? (
                  <>
                    <span className="copy-history-figure">
                      <TargetArt target={leaderPoseTarget(round.index, round.leaderNickname, round.leaderPose)} label={targetLabel(round, locale)} />
                    </span>
                    {t.copyLedBy.replace("{name}", round.leaderNickname)}
                  </>
                ) : (
                  t.copyFellBack.replace("{name}", round.leaderNickname ?? "—")
                )}
              </p>
            )}
            <ul className="member-list">
              {results.map((result) => (
                <li key={result.nickname}>
                  <span className="member-name">{result.nickname}</span> <span className="tag">{t[result.grade]}</span>{" "}
                  <span className="score">
                    {result.points} {t.points}
                  </span>
                </li>
              ))}
            </ul>
          </section>
        );
      })}
    </>
  );
}
