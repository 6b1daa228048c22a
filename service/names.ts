/** "Did you mean …?": candidates within a few edits of what was typed. */

/** Edits (insert, delete, substitute, swap two neighbours) from a to b: optimal string alignment distance. */
function distance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2][j - 2] + 1);
      rows[i][j] = best;
    }
  }
  return rows[a.length][b.length];
}

/** Candidates that differ from `typed` by at most a quarter of its length (at least one edit), case aside. */
export function closeMatches(typed: string, candidates: readonly string[]): string[] {
  const allowed = Math.max(1, Math.floor(typed.length / 4));
  return candidates.filter((candidate) => candidate !== typed && distance(candidate.toLowerCase(), typed.toLowerCase()) <= allowed);
}

/** ` Did you mean "x" or "y"?`, or nothing. */
export function didYouMean(typed: string, candidates: readonly string[]): string {
  const close = closeMatches(typed, candidates).slice(0, 3);
  return close.length > 0 ? ` Did you mean ${close.map((candidate) => `"${candidate}"`).join(' or ')}?` : '';
}
