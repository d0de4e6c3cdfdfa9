import type { MeasureTarget } from '../search/measure.js';
import type { RankBy } from '../search/rank.js';
import { parseShard, type Shard } from '../search/shard.js';
import { UsageError } from './input.js';
import type { EvaluatedCandidate } from './search-eval.js';

// The flags of `effnet search`, read: numbers with their ranges, the shard, what to rank by.

export const SEARCH_FORMATS = ['md', 'json'] as const;

/** `2x`, `2`, `1.5x`: the MACs multiple a candidate should cost. */
export function parseFlops(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*x?\s*$/i.exec(text);
  const x = m ? Number(m[1]) : NaN;
  if (!(x > 1 && x <= 64)) throw new UsageError(`--flops takes a multiple of the base's MACs above 1, such as 2x, not ${JSON.stringify(text)}`);
  return x;
}

/** `5%` or `0.05`. */
export function parseTolerance(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text);
  const x = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
  if (!(x > 0 && x < 1)) throw new UsageError(`--tolerance takes a fraction such as 5% or 0.05, not ${JSON.stringify(text)}`);
  return x;
}

export function positive(flag: string, text: string, max: number): number {
  const x = Number(text);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(text) || !(x > 0 && x <= max)) throw new UsageError(`${flag} takes a number in (0, ${max}], not ${JSON.stringify(text)}`);
  return x;
}

/** The store a careful user finds: `<spec without .effnet>.search.jsonl`, beside the spec. */
export const defaultStore = (spec: string): string => `${spec.replace(/\.effnet$/, '')}.search.jsonl`;

export interface SearchFlags {
  base?: string;
  flops: string;
  tolerance: string;
  step: string;
  max: string;
  top: string;
  format: (typeof SEARCH_FORMATS)[number];
  write?: boolean;
  eval?: string;
  latency?: string;
  evalTimeout?: string;
  measure?: MeasureTarget;
  measureRuns: string;
  measureWarmup: string;
  batch: string;
  store?: string;
  shard?: string;
  shards?: string;
  metric?: string;
  retryFailed?: boolean;
  tfjsModule: string;
}

export const whole = (flag: string, text: string, least: number, most: number): number => {
  const x = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !(x >= least && x <= most)) throw new UsageError(`${flag} takes a whole number in ${least}..${most}, not ${JSON.stringify(text)}`);
  return x;
};

/** `--shard I/N`, or `--shards N` with the job's index in JOB_COMPLETION_INDEX (a Kubernetes Indexed Job). */
export function shardOf(flags: SearchFlags): Shard | null {
  if (flags.shard !== undefined && flags.shards !== undefined) throw new UsageError('give --shard I/N or --shards N (with JOB_COMPLETION_INDEX), not both');
  const text = flags.shard ?? (flags.shards === undefined ? undefined : `${process.env.JOB_COMPLETION_INDEX ?? ''}/${flags.shards}`);
  if (text === undefined) return null;
  if (flags.shards !== undefined && !process.env.JOB_COMPLETION_INDEX) throw new UsageError('--shards N takes the job index from JOB_COMPLETION_INDEX, which is not set; give --shard I/N');
  const s = parseShard(text);
  if (typeof s === 'string') throw new UsageError(s);
  return s;
}

/** What candidates are ranked by: --metric, else the evaluator's one metric, else latency. */
export function rankByOf(flags: SearchFlags, rows: readonly EvaluatedCandidate[]): RankBy {
  const m = flags.metric;
  if (m === 'macs' || m === 'MACs') return { kind: 'macs' };
  if (m === 'latency') return { kind: 'latency' };
  if (m !== undefined) return { kind: 'metric', name: m };
  if (flags.eval === undefined) return { kind: 'latency' };
  const seen = [...new Set(rows.flatMap((r) => Object.keys(r.eval?.metrics ?? {})))].sort();
  if (seen.length > 1 && !seen.includes('top1')) throw new UsageError(`the evaluator reports ${seen.join(', ')}: name the one to rank by with --metric`);
  return { kind: 'metric', name: seen.length === 1 ? seen[0]! : 'top1' };
}
