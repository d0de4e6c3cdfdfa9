import { createHash } from 'node:crypto';
import type { VariantGraph } from '../graph/graph.js';
import { modelSpec } from '../graph/model-spec.js';
import type { MeasureOptions } from './measure.js';

// What a store record is keyed by: the candidate's network as built (every layer's shape, the
// input and the classes, not the spec's text, so comments, other variants or a rewritten
// `compound` line do not invalidate results) and what was done to it (the evaluator's command,
// or the latency target and its settings). Not the coefficients: rounding often makes several
// α, β, γ the same network (repeats round up), which is evaluated once.

/** JSON with object keys sorted: the same value gives the same text whatever order it was built in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** sha256 of the network a candidate builds: its runtime layer specs, input shape and classes. */
export function networkFingerprint(g: VariantGraph): string {
  return sha256(canonicalJson({ input: g.input, resolution: g.resolution, classes: g.classes, model: modelSpec(g) }));
}

/** The built network a record is about. */
export interface NetworkRef {
  /** networkFingerprint of its graph. */
  network: string;
  resolution: number;
  params: number;
  macs: number;
}

export type MeasureSettings = Pick<MeasureOptions, 'target' | 'runs' | 'warmup' | 'batch'>;

export const evalKey = (n: NetworkRef, command: string): string => sha256(canonicalJson({ kind: 'eval', network: n.network, command }));

export const latencyKey = (n: NetworkRef, m: MeasureSettings): string =>
  sha256(canonicalJson({ kind: 'latency', network: n.network, measure: { target: m.target, runs: m.runs, warmup: m.warmup, batch: m.batch } }));
