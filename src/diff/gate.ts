import type { Diff, Num, Total, VariantDiff } from './model.js';

// `--fail-on METRIC:N%`: a CI gate on the size of a change.

/** The metric names `--fail-on` takes; a Map, so `constructor` is no metric. */
export const GATE_METRICS: ReadonlyMap<string, Total> = new Map([
  ['params', 'params'],
  ['macs', 'macs'],
  ['flops', 'flops'],
  ['activations', 'activationBytes'],
]);

export interface GateRule {
  text: string;
  metric: Total;
  percent: number;
}

/** Parses `params:10%`; returns an error message for anything else. */
export function parseGate(text: string): GateRule | string {
  const m = /^([a-z]+):(\d+(?:\.\d+)?)%?$/.exec(text.trim());
  const metric = m ? GATE_METRICS.get(m[1]!) : undefined;
  if (!m || metric === undefined) return `--fail-on expects METRIC:N% with METRIC one of ${[...GATE_METRICS.keys()].join(', ')}, not ${JSON.stringify(text)}`;
  return { text, metric, percent: Number(m[2]) };
}

export interface GateViolation {
  rule: string;
  variant: string;
  value: Num;
}

const variantDiffs = (d: Diff): VariantDiff[] => (d.kind === 'variant' ? [d] : d.changed);

/** Every (rule, variant) whose |Δ%| exceeds the rule's threshold. */
export function violations(d: Diff, rules: GateRule[]): GateViolation[] {
  return rules.flatMap((r) =>
    variantDiffs(d)
      .filter((v) => v.totals[r.metric].pct !== null && Math.abs(v.totals[r.metric].pct!) > r.percent)
      .map((v) => ({ rule: r.text, variant: v.a === v.b ? v.a : `${v.a} → ${v.b}`, value: v.totals[r.metric] })),
  );
}
