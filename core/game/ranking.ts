/**
 * The one ranking rule, used wherever standings are shown (live scoreboard, results, match
 * history), so a tie reads the same everywhere:
 * - more points first;
 * - equal points share a rank ("1, 1, 3": competition ranking) and are marked `tied`;
 * - within a tie, names in plain code-unit order (not the locale's collation, which differs
 *   between the browser, the server and the database), then ids, so the order never depends
 *   on who joined first or which query returned the rows.
 */
export interface Standing {
  /** Stable tie-breaker after the name (a player id); optional where only names are kept. */
  readonly id?: string;
  readonly name: string;
  readonly total: number;
}

export type Ranked<T> = T & {
  /** 1-based; equal totals share it. */
  readonly rank: number;
  /** Another entry has the same total (and so the same rank). */
  readonly tied: boolean;
};

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareStandings(a: Standing, b: Standing): number {
  return b.total - a.total || compareText(a.name, b.name) || compareText(a.id ?? "", b.id ?? "");
}

export function rankStandings<T extends Standing>(entries: readonly T[]): Ranked<T>[] {
  const sorted = [...entries].sort(compareStandings);
  const count = new Map<number, number>();
  for (const entry of sorted) count.set(entry.total, (count.get(entry.total) ?? 0) + 1);
  let rank = 0;
  return sorted.map((entry, index) => {
    if (index === 0 || sorted[index - 1]!.total !== entry.total) rank = index + 1;
    return { ...entry, rank, tied: (count.get(entry.total) ?? 0) > 1 };
  });
}
