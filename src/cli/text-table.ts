/**
 * A plain-text table: the first column left-aligned, the others
 * right-aligned (they hold figures), a dashed line under the head.
 *
 * @example
 * ```ts
 * table(['queue', 'ready'], [['app:tasks', '12']])
 * // queue      ready
 * // ---------  -----
 * // app:tasks     12
 * ```
 */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
