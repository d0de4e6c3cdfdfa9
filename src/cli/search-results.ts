import { markdownCodeSpan, markdownText } from '../emit/escape.js';
import { grouped, human, mib } from '../report/format.js';
import { markdownTable } from '../report/table.js';
import type { Candidate, GridOptions, GridResult } from '../search/grid.js';
import type { MeasureOptions } from '../search/measure.js';
import { paretoFront, rankOrder, score, type RankBy } from '../search/rank.js';
import type { Shard } from '../search/shard.js';
import type { EvaluatedCandidate } from './search-eval.js';

// What `effnet search` prints: the grid under the MACs budget, or, evaluated, the outcome: candidates ranked by the chosen metric, the Pareto fronts
// of that metric against MACs and against measured latency, and the coefficients chosen.

export interface SearchOutcome {
  family: string;
  spec: string;
  options: GridOptions;
  /** What a candidate must meet: the MACs multiple of the base (--flops), or a latency (--latency). */
  constraint: { kind: 'macs'; multiple: number } | { kind: 'latency'; ms: number };
  base: GridResult['base'];
  store: string;
  shard: Shard | null;
  command: string | null;
  measure: Omit<MeasureOptions, 'importer' | 'seed'> | null;
  rankBy: RankBy;
  /** Best first; failures last. */
  ranked: RankedCandidate[];
  chosen: RankedCandidate | null;
}

/** A grid candidate's coefficients, network and cost, as the ranked table and the JSON show them. */
export interface RankedCandidate extends Pick<Candidate, 'alpha' | 'beta' | 'gamma' | 'width' | 'depth' | 'resolution' | 'params' | 'macs' | 'ratio'> {
  /** 1, 2, …; null for a candidate with no value to rank on. */
  rank: number | null;
  variant: string;
  metrics: Record<string, number> | null;
  error: string | null;
  latencyMs: number | null;
  latencyError: string | null;
  /** On the Pareto front of the metric against MACs / against latency. */
  front: { macs: boolean; latency: boolean };
}

export const rankByName = (by: RankBy): string => (by.kind === 'metric' ? by.name : by.kind === 'latency' ? 'latency' : 'MACs');

export function outcome(base: Omit<SearchOutcome, 'ranked' | 'chosen'>, rows: readonly EvaluatedCandidate[]): SearchOutcome {
  const flat = rows.map((r) => {
    const l = r.latency?.latency;
    return {
      r,
      macs: r.candidate.macs,
      ...(r.eval?.metrics ? { metrics: r.eval.metrics } : {}),
      ...(l ? { latencyMs: l.medianMs } : {}),
    };
  });
  const gain = flat.map((f) => score(f, base.rankBy));
  // Against MACs, ranking by MACs is a front of one; against latency, ranking by latency too.
  const byMacs = paretoFront(flat.map((f, i) => ({ gain: base.rankBy.kind === 'macs' ? undefined : gain[i], cost: f.macs })));
  const byLatency = paretoFront(flat.map((f, i) => ({ gain: base.rankBy.kind === 'latency' ? undefined : gain[i], cost: f.latencyMs })));
  let next = 1;
  const ranked = rankOrder(flat, base.rankBy).map((i): RankedCandidate => {
    const { r } = flat[i]!;
    const c = r.candidate;
    return {
      rank: gain[i] === undefined ? null : next++,
      alpha: c.alpha,
      beta: c.beta,
      gamma: c.gamma,
      width: c.width,
      depth: c.depth,
      resolution: c.resolution,
      params: c.params,
      macs: c.macs,
      ratio: c.ratio,
      variant: r.name,
      metrics: r.eval?.metrics ?? null,
      error: r.eval?.error ?? null,
      latencyMs: flat[i]!.latencyMs ?? null,
      latencyError: r.latencyError ?? r.latency?.error ?? null,
      front: { macs: byMacs[i]!, latency: byLatency[i]! },
    };
  });
  return { ...base, ranked, chosen: ranked[0]?.rank === 1 ? ranked[0] : null };
}

const f2 = (x: number) => x.toFixed(2);
const f3 = (x: number) => x.toFixed(3);
const metricText = (x: number) => (Number.isInteger(x) ? String(x) : Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(4));

export const compoundLine = (c: { alpha: number; beta: number; gamma: number }): string => `compound alpha ${c.alpha} beta ${c.beta} gamma ${c.gamma}`;

export function outcomeMarkdown(o: SearchOutcome, top: number): string {
  // The metric ranked on first, then the evaluator's others.
  const first = o.rankBy.kind === 'metric' ? o.rankBy.name : undefined;
  const names = [...new Set(o.ranked.flatMap((r) => Object.keys(r.metrics ?? {})))].sort((a, b) => Number(b === first) - Number(a === first) || (a < b ? -1 : a > b ? 1 : 0));
  const measured = o.measure !== null;
  const shown = o.ranked.slice(0, top);
  const note = (r: RankedCandidate) => [r.error !== null ? `evaluator failed: ${r.error}` : '', r.latencyError !== null ? `no latency: ${r.latencyError}` : ''].filter(Boolean).join('; ');
  const notes = shown.some((r) => note(r) !== '');
  const header = ['rank', 'α', 'β', 'γ', 'MACs ratio', 'resolution', 'params', 'MACs', ...names.map(markdownText), ...(measured ? ['latency ms'] : []), 'Pareto front', ...(notes ? ['why no value'] : [])];
  const rows = shown.map((r) =>
    [
      r.rank === null ? '–' : String(r.rank),
      f2(r.alpha),
      f2(r.beta),
      f2(r.gamma),
      r.ratio.toFixed(3),
      String(r.resolution),
      grouped(r.params),
      human(r.macs),
      ...names.map((n) => (r.metrics && Object.hasOwn(r.metrics, n) ? metricText(r.metrics[n]!) : '')),
      ...(measured ? [r.latencyMs !== null ? r.latencyMs.toFixed(2) : ''] : []),
      [r.front.macs ? 'MACs' : '', r.front.latency ? 'latency' : ''].filter(Boolean).join(', '),
      ...(notes ? [note(r)] : []),
    ].map((text) => ({ text })),
  );
  const what = [
    o.command !== null ? `evaluated by ${markdownCodeSpan(o.command)}` : null,
    o.measure ? `latency on ${o.measure.target}: median of ${o.measure.runs} runs after ${o.measure.warmup} warm-up, batch ${o.measure.batch}` : null,
  ].filter(Boolean);
  const failures = o.ranked.filter((r) => r.rank === null).length;
  const lines = [
    `# ${markdownText(o.family)}: compound-scaling search at φ = 1`,
    '',
    `Base: width ${o.base.width}, depth ${o.base.depth}, ${o.base.resolution}×${o.base.resolution}: ${grouped(o.base.params)} parameters, ${human(o.base.macs)} MACs. ` +
      `Candidates within ${(100 * o.options.tolerance).toFixed(1)} % of ${o.constraint.kind === 'macs' ? `${o.constraint.multiple}× its MACs (exact, rounded graphs)` : `${o.constraint.ms} ms measured (of those built within a factor of 2 of ${o.options.target}× its MACs)`}${o.shard ? `, shard ${o.shard.index}/${o.shard.count}` : ''}: ` +
      `${o.ranked.length}, ${what.join('; ')}. Ranked by ${markdownText(rankByName(o.rankBy))} (${o.rankBy.kind === 'metric' ? 'higher' : 'lower'} is better)${failures > 0 ? `; ${failures} without a value` : ''}. ` +
      `Results: ${markdownCodeSpan(o.store)}.`,
    '',
    o.ranked.length > 0 ? markdownTable({ header, align: 'r'.repeat(header.length - (notes ? 2 : 1)) + (notes ? 'll' : 'l'), rows }) : 'No candidate.',
  ];
  const latencies = o.ranked.flatMap((r) => (r.latencyMs !== null ? [r.latencyMs] : []));
  if (latencies.length > 1) {
    const lo = Math.min(...latencies);
    const hi = Math.max(...latencies);
    lines.push('', `Latency: fastest ${lo.toFixed(2)} ms, slowest ${hi.toFixed(2)} ms (${(hi / lo).toFixed(2)}× apart).`);
  }
  lines.push('', o.chosen ? `Chosen (best ${markdownText(rankByName(o.rankBy))}): \`${compoundLine(o.chosen)}\`` : 'No candidate has a value to rank on: nothing chosen.');
  return lines.join('\n') + '\n';
}

/** The grid alone (no --eval or --measure): candidates within the MACs budget, closest first. */

function gridRow(c: Candidate): string[] {
  return [f2(c.alpha), f2(c.beta), f2(c.gamma), f3(c.nominal), f3(c.ratio), c.accepted ? 'yes' : 'no', String(c.resolution), grouped(c.params), human(c.macs), mib(c.peakActivationBytes)];
}

export function searchMarkdown(family: string, r: GridResult, options: GridOptions, top: number, own: { alpha: number; beta: number; gamma: number } | null): string {
  const accepted = r.candidates.filter((c) => c.accepted);
  const shown = accepted.slice(0, top);
  const header = ['α', 'β', 'γ', 'α·β²·γ²', 'MACs ratio', 'within', 'resolution', 'params', 'MACs', 'peak activations'];
  const table = (rows: Candidate[]) => markdownTable({ header, align: 'rrrrrlrrrr', rows: rows.map((c) => gridRow(c).map((text) => ({ text }))) });
  const lines = [
    `# ${family}: compound-scaling grid at φ = 1`,
    '',
    `Base: width ${r.base.width}, depth ${r.base.depth}, ${r.base.resolution}×${r.base.resolution}: ${grouped(r.base.params)} parameters, ${human(r.base.macs)} MACs. ` +
      `Target ${options.target}× its MACs within ${(100 * options.tolerance).toFixed(1)} %, measured on each candidate's rounded graph; ` +
      `α, β, γ from 1 to ${options.max} in steps of ${options.step}. ${accepted.length} of ${r.candidates.length} candidates built are within (${r.skipped} grid points skipped: α·β²·γ² far from the target).`,
    '',
    shown.length > 0 ? table(shown) : 'No candidate is within the tolerance.',
  ];
  if (own) {
    const c = r.candidates.find((x) => x.alpha === own.alpha && x.beta === own.beta && x.gamma === own.gamma);
    lines.push('', `The family's own \`compound alpha ${own.alpha} beta ${own.beta} gamma ${own.gamma}\`: ${c ? `MACs ratio ${f3(c.ratio)} (α·β²·γ² ${f3(c.nominal)}), ${c.accepted ? 'within' : 'outside'} the tolerance.` : 'not on this grid.'}`);
  }
  if (accepted[0]) lines.push('', `Chosen (closest to ${options.target}×): \`compound alpha ${accepted[0].alpha} beta ${accepted[0].beta} gamma ${accepted[0].gamma}\``);
  return lines.join('\n') + '\n';
}
