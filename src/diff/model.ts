import { analyzeVariant, type StageCost, type VariantCost } from '../cost/cost.js';
import type { VariantGraph } from '../graph/graph.js';
import type { FamilyIR, VariantIR } from '../ir/ir.js';
import { shape } from '../report/format.js';

// The structured difference between two variants, or two whole specs.
// Everything is computed A → B: delta = b − a, pct relative to a.

export interface Num {
  a: number;
  b: number;
  delta: number;
  /** Percent change from a; null when both are 0, ±Infinity when only a is 0. */
  pct: number | null;
}

export const STAGE_FIELDS = ['block', 'kernel', 'stride', 'expand', 'se', 'channels', 'repeats', 'outShape'] as const;
export type StageField = (typeof STAGE_FIELDS)[number];
export type StageCells = Record<StageField, string>;

export interface StageRow {
  /** stem, stage N, head, classifier: aligned by role and position, not by index. */
  key: string;
  a: StageCells | null;
  b: StageCells | null;
  changed: StageField[];
  params: Num;
  macs: Num;
  /** Blocks (repeats) and layers added (+) or removed (−). */
  blocks: number;
  layers: number;
}

export interface SettingChange {
  path: string;
  a: string | null;
  b: string | null;
}

export const TOTALS = ['params', 'macs', 'flops', 'activationBytes', 'peakActivationBytes', 'resolution'] as const;
export type Total = (typeof TOTALS)[number];

export interface VariantDiff {
  kind: 'variant';
  /** Display names: the variant names when both come from one spec, else the references. */
  a: string;
  b: string;
  /** The references as written (top-level variant diffs only). */
  refs?: { a: string; b: string };
  totals: Record<Total, Num>;
  stages: StageRow[];
  settings: SettingChange[];
}

export interface SpecDiff {
  kind: 'spec';
  a: string;
  b: string;
  families: { a: string; b: string };
  added: string[];
  removed: string[];
  /** Common variants that differ in any number or setting. */
  changed: VariantDiff[];
  unchanged: string[];
  /** Family-level settings: compound coefficients and the base network. */
  settings: SettingChange[];
}

export type Diff = VariantDiff | SpecDiff;

export function num(a: number, b: number): Num {
  const delta = b - a;
  return { a, b, delta, pct: delta === 0 ? (a === 0 ? null : 0) : a === 0 ? (delta > 0 ? Infinity : -Infinity) : (100 * delta) / a };
}

const cell = (v: number | string | null): string => (v === null ? '—' : String(v));

function stageCells(s: StageCost, se: number | null): StageCells {
  return {
    block: s.block,
    kernel: cell(s.kernel),
    stride: cell(s.stride),
    expand: cell(s.expand),
    se: cell(se),
    channels: cell(s.channels),
    repeats: cell(s.repeats),
    outShape: shape(s.outShape),
  };
}

interface Side {
  cost: VariantCost;
  graph: VariantGraph;
}

function keyed(side: Side): Map<string, { cells: StageCells; cost: StageCost; layers: number }> {
  const se = new Map(side.graph.stages.map((s) => [s.index, s.config.se]));
  return new Map(
    side.cost.stages.map((s) => [
      s.role === 'stage' ? `stage ${s.index}` : s.role,
      { cells: stageCells(s, se.get(s.index) ?? null), cost: s, layers: side.cost.layers.filter((l) => l.stage === s.index).length },
    ]),
  );
}

const rank = (k: string) => (k === 'stem' ? 0 : k === 'head' ? 1e6 : k === 'classifier' ? 1e6 + 1 : Number(k.slice('stage '.length)));

/** Both sides' keys: stem, stages by position, head, classifier. */
const keyOrder = (a: string[], b: string[]): string[] => [...new Set([...a, ...b])].sort((x, y) => rank(x) - rank(y));

function stageRows(a: Side, b: Side): StageRow[] {
  const ka = keyed(a);
  const kb = keyed(b);
  return keyOrder([...ka.keys()], [...kb.keys()]).map((key) => {
    const x = ka.get(key);
    const y = kb.get(key);
    return {
      key,
      a: x?.cells ?? null,
      b: y?.cells ?? null,
      changed: STAGE_FIELDS.filter((f) => x?.cells[f] !== y?.cells[f]),
      params: num(x?.cost.params ?? 0, y?.cost.params ?? 0),
      macs: num(x?.cost.macs ?? 0, y?.cost.macs ?? 0),
      blocks: (y?.cost.repeats ?? 0) - (x?.cost.repeats ?? 0),
      layers: (y?.layers ?? 0) - (x?.layers ?? 0),
    };
  });
}

const SKIPPED = new Set(['range', 'file']);
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';
/** A list of numbers (a stage's kernel sizes) is one setting, written as the spec writes it: `3.5.7`. */
const isNumberList = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number');
const entries = (v: Record<string, unknown>): [string, unknown][] =>
  Array.isArray(v) ? v.map((x, i) => [`[${i}]`, x]) : Object.entries(v).filter(([k]) => !SKIPPED.has(k)).map(([k, x]) => [`.${k}`, x]);

/** A leaf or a whole subtree (present on one side only) as one line, without source ranges. */
export function printable(v: unknown): string {
  if (v === null) return 'none';
  if (isNumberList(v)) return v.join('.');
  if (!isObject(v)) return String(v);
  const inner = entries(v).map(([k, x]) => (Array.isArray(v) ? printable(x) : `${k.slice(1)}: ${printable(x)}`));
  return Array.isArray(v) ? `[${inner.join(', ')}]` : `{ ${inner.join(', ')} }`;
}

/** Every setting that differs, by dotted path; a subtree on one side only is one change. */
export function settingChanges(a: unknown, b: unknown, path = ''): SettingChange[] {
  if (isObject(a) && isObject(b) && Array.isArray(a) === Array.isArray(b) && !isNumberList(a) && !isNumberList(b)) {
    const ea = new Map(entries(a));
    const eb = new Map(entries(b));
    const keys = [...new Set([...ea.keys(), ...eb.keys()])];
    return keys.flatMap((k) => {
      const sub = path === '' && k.startsWith('.') ? k.slice(1) : path + k;
      if (!ea.has(k) || !eb.has(k)) return [{ path: sub, a: ea.has(k) ? printable(ea.get(k)) : null, b: eb.has(k) ? printable(eb.get(k)) : null }];
      return settingChanges(ea.get(k), eb.get(k), sub);
    });
  }
  const pa = printable(a);
  const pb = printable(b);
  return pa === pb ? [] : [{ path, a: pa, b: pb }];
}

/** The settings of a variant that the stage table and totals do not already show by name. */
const variantSettings = (v: VariantIR) => ({ phi: v.phi, width: v.width, depth: v.depth, resolution: v.resolution, network: v.network });

export function diffVariants(la: string, ga: VariantGraph, va: VariantIR, lb: string, gb: VariantGraph, vb: VariantIR): VariantDiff {
  const a = { graph: ga, cost: analyzeVariant(ga) };
  const b = { graph: gb, cost: analyzeVariant(gb) };
  const totals = Object.fromEntries(TOTALS.map((t) => [t, num(a.cost[t], b.cost[t])])) as Record<Total, Num>;
  return { kind: 'variant', a: la, b: lb, totals, stages: stageRows(a, b), settings: settingChanges(variantSettings(va), variantSettings(vb)) };
}

export interface DiffSide {
  label: string;
  family: FamilyIR;
  graphs: VariantGraph[];
  /** Set when the side names one variant. */
  variant?: string;
}

const pick = (s: DiffSide, name: string) => ({ graph: s.graphs.find((g) => g.variant === name)!, ir: s.family.variants.find((v) => v.name === name)! });

export function isEmptyVariantDiff(d: VariantDiff): boolean {
  return d.settings.length === 0 && d.stages.every((s) => s.changed.length === 0 && s.params.delta === 0 && s.macs.delta === 0) && TOTALS.every((t) => d.totals[t].delta === 0);
}

export function isEmpty(d: Diff): boolean {
  return d.kind === 'variant'
    ? isEmptyVariantDiff(d)
    : d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0 && d.settings.length === 0 && d.families.a === d.families.b;
}

export function diff(a: DiffSide, b: DiffSide): Diff {
  if (a.variant !== undefined && b.variant !== undefined) {
    const x = pick(a, a.variant);
    const y = pick(b, b.variant);
    const spec = (l: string) => l.replace(/#[^#/]*$/, '');
    const short = spec(a.label) === spec(b.label) && a.variant !== b.variant;
    const d = diffVariants(short ? a.variant : a.label, x.graph, x.ir, short ? b.variant : b.label, y.graph, y.ir);
    return { ...d, refs: { a: a.label, b: b.label } };
  }
  const na = a.family.variants.map((v) => v.name);
  const nb = b.family.variants.map((v) => v.name);
  const common = na.filter((n) => nb.includes(n));
  const diffs = common.map((n) => {
    const x = pick(a, n);
    const y = pick(b, n);
    return diffVariants(n, x.graph, x.ir, n, y.graph, y.ir);
  });
  return {
    kind: 'spec',
    a: a.label,
    b: b.label,
    families: { a: a.family.name, b: b.family.name },
    added: nb.filter((n) => !na.includes(n)),
    removed: na.filter((n) => !nb.includes(n)),
    changed: diffs.filter((d) => !isEmptyVariantDiff(d)),
    unchanged: diffs.filter(isEmptyVariantDiff).map((d) => d.a),
    settings: settingChanges({ compound: a.family.compound, base: a.family.base }, { compound: b.family.compound, base: b.family.base }),
  };
}
