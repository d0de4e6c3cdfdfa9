// Ranking evaluated candidates by one metric, and the Pareto fronts a user picks from: the
// candidates no other beats on both the metric and MACs (or measured latency).

/** What candidates are ranked by: an evaluator metric (higher is better), latency or MACs (lower is better). */
export type RankBy = { kind: 'metric'; name: string } | { kind: 'latency' } | { kind: 'macs' };

export interface Ranked {
  macs: number;
  metrics?: Record<string, number>;
  latencyMs?: number;
}

/** The value ranked on, oriented so that higher is better; undefined when the candidate has none (a failure). */
export function score(r: Ranked, by: RankBy): number | undefined {
  if (by.kind === 'macs') return -r.macs;
  if (by.kind === 'latency') return r.latencyMs === undefined ? undefined : -r.latencyMs;
  const m = r.metrics;
  return m !== undefined && Object.hasOwn(m, by.name) ? m[by.name] : undefined;
}

/** Indices of `rows` by score, best first; rows without a score last; ties keep input order. */
export function rankOrder(rows: readonly Ranked[], by: RankBy): number[] {
  const s = rows.map((r) => score(r, by));
  return rows
    .map((_, i) => i)
    .sort((i, j) => {
      const a = s[i];
      const b = s[j];
      if (a === undefined || b === undefined) return Number(a === undefined) - Number(b === undefined) || i - j;
      return b - a || rows[i]!.macs - rows[j]!.macs || i - j;
    });
}

/**
 * Which rows are on the Pareto front of `gain` (higher better) against `cost` (lower better):
 * no other row is at least as good on both and better on one. Rows missing either are not.
 */
export function paretoFront(rows: readonly { gain?: number; cost?: number }[]): boolean[] {
  return rows.map((r, i) => {
    const { gain, cost } = r;
    if (gain === undefined || cost === undefined) return false;
    return !rows.some((o, j) => j !== i && o.gain !== undefined && o.cost !== undefined && o.gain >= gain && o.cost <= cost && (o.gain > gain || o.cost < cost));
  });
}
