/**
 * The name in `names` nearest to `typed` by edit distance (insertions,
 * deletions, substitutions and swaps of neighbours), when it is near
 * enough to be a typo: at most 2 edits, and fewer than half the typed
 * length. `undefined` when nothing is that close.
 *
 * @example
 * ```ts
 * closestName('valdate', ['run', 'validate']) // 'validate'
 * closestName('app:taks', ['app:tasks'])      // 'app:tasks'
 * ```
 */
export function closestName(typed: string, names: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.min(3, Math.ceil(typed.length / 2));
  for (const name of names) {
    const d = editDistance(typed.toLowerCase(), name.toLowerCase());
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

/** Optimal string alignment distance: Levenshtein plus a swap of two neighbours as one edit. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}
