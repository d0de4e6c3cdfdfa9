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

/** A stage's figures as values (JSON carries numbers and shapes, not their display): null where none applies. */
export interface StageCells {
  block: string;
  /** A kernel size, or a mixed convolution's sizes as the spec writes them (`3.5.7`), as in the report's JSON. */
  kernel: number | string | null;
  stride: number | null;
  expand: number | null;
  se: number | null;
  channels: number;
  repeats: number;
  /** [C, H, W]. */
  outShape: readonly number[];
}

/** A stage cell as the tables show it: `—` for none (or no such stage), a shape as C×H×W. */
export const cellText = (v: StageCells[StageField] | undefined): string => (v === null || v === undefined ? '—' : Array.isArray(v) ? shape(v) : String(v));

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

/** A setting's value as the IR holds it (numbers as numbers, a subtree as an object), without source ranges. */
export type SettingValue = null | boolean | number | string | SettingValue[] | { [key: string]: SettingValue };

export interface SettingChange {
  path: string;
  /** Absent (undefined, no key in JSON) on the side that lacks the setting; null where it is set to none. */
  a?: SettingValue;
  b?: SettingValue;
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
  /** The side that named no variant: its variant of the name the other side gives was compared. */
  byName?: 'a' | 'b';
  totals: Record<Total, Num>;
  stages: StageRow[];
  settings: SettingChange[];
  /** Both sides' graphs, for the pictures of `--format html` (the JSON leaves them out). */
  graphs?: readonly [VariantGraph, VariantGraph];
}

export interface SpecDiff {
  kind: 'spec';
  a: string;
  b: string;
  /** Null for a side that has no such spec (`absent`). */
  families: { a: string | null; b: string | null };
  /** A git reference to a file that is not at its revision: the spec is new (a) or removed (b), all its variants added or removed. */
  absent?: 'a' | 'b';
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

function stageCells(s: StageCost, se: number | null): StageCells {
  return { block: s.block, kernel: s.kernel, stride: s.stride, expand: s.expand, se, channels: s.channels, repeats: s.repeats, outShape: [...s.outShape] };
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
      // A stage on one side only: every field changed.
      changed: STAGE_FIELDS.filter((f) => x === undefined || y === undefined || cellText(x.cells[f]) !== cellText(y.cells[f])),
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

/** A setting's value for JSON: the IR's own, without source ranges. */
export function settingValue(v: unknown): SettingValue {
  if (v === null || v === undefined) return null;
  if (!isObject(v)) return v as SettingValue;
  if (Array.isArray(v)) return v.map(settingValue);
  return Object.fromEntries(entries(v).map(([k, x]) => [k.slice(1), settingValue(x)]));
}

/** Every setting that differs, by dotted path; a subtree on one side only is one change. */
export function settingChanges(a: unknown, b: unknown, path = ''): SettingChange[] {
  if (isObject(a) && isObject(b) && Array.isArray(a) === Array.isArray(b) && !isNumberList(a) && !isNumberList(b)) {
    const ea = new Map(entries(a));
    const eb = new Map(entries(b));
    const keys = [...new Set([...ea.keys(), ...eb.keys()])];
    return keys.flatMap((k) => {
      const sub = path === '' && k.startsWith('.') ? k.slice(1) : path + k;
      if (!ea.has(k) || !eb.has(k)) return [{ path: sub, ...(ea.has(k) ? { a: settingValue(ea.get(k)) } : {}), ...(eb.has(k) ? { b: settingValue(eb.get(k)) } : {}) }];
      return settingChanges(ea.get(k), eb.get(k), sub);
    });
  }
  return printable(a) === printable(b) ? [] : [{ path, a: settingValue(a), b: settingValue(b) }];
}

/** The settings of a variant that the stage table and totals do not already show by name. */
const variantSettings = (v: VariantIR) => ({ phi: v.phi, width: v.width, depth: v.depth, resolution: v.resolution, network: v.network });

export function diffVariants(la: string, ga: VariantGraph, va: VariantIR, lb: string, gb: VariantGraph, vb: VariantIR): VariantDiff {
  const a = { graph: ga, cost: analyzeVariant(ga) };
  const b = { graph: gb, cost: analyzeVariant(gb) };
  const totals = Object.fromEntries(TOTALS.map((t) => [t, num(a.cost[t], b.cost[t])])) as Record<Total, Num>;
  return { kind: 'variant', a: la, b: lb, totals, stages: stageRows(a, b), settings: settingChanges(variantSettings(va), variantSettings(vb)), graphs: [ga, gb] };
}

export interface DiffSide {
  label: string;
  /** Undefined for a spec that is not there (a git reference to a file absent at its revision). */
  family?: FamilyIR;
  graphs: VariantGraph[];
  /** Set when one variant is compared. */
  variant?: string;
  /** The variant was not named on this side but by the other side's reference. */
  byName?: boolean;
}

const pick = (s: DiffSide, name: string) => ({ graph: s.graphs.find((g) => g.variant === name)!, ir: s.family!.variants.find((v) => v.name === name)! });

export function isEmptyVariantDiff(d: VariantDiff): boolean {
  return d.settings.length === 0 && d.stages.every((s) => s.changed.length === 0 && s.params.delta === 0 && s.macs.delta === 0) && TOTALS.every((t) => d.totals[t].delta === 0);
}

export function isEmpty(d: Diff): boolean {
  return d.kind === 'variant'
    ? isEmptyVariantDiff(d)
    : d.absent === undefined && d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0 && d.settings.length === 0 && d.families.a === d.families.b;
}

/** The variants a side compares: the one it names (or is given by name), else all. */
const names = (s: DiffSide): string[] => (s.variant !== undefined ? [s.variant] : s.family!.variants.map((v) => v.name));

/** A spec on one side only: all its (selected) variants added or removed. */
function oneSided(a: DiffSide, b: DiffSide): SpecDiff {
  return {
    kind: 'spec',
    a: a.label,
    b: b.label,
    families: { a: a.family?.name ?? null, b: b.family?.name ?? null },
    absent: a.family === undefined ? 'a' : 'b',
    added: b.family === undefined ? [] : names(b),
    removed: a.family === undefined ? [] : names(a),
    changed: [],
    unchanged: [],
    settings: [],
  };
}

export function diff(a: DiffSide, b: DiffSide): Diff {
  if (a.family === undefined || b.family === undefined) return oneSided(a, b);
  if (a.variant !== undefined && b.variant !== undefined) {
    const x = pick(a, a.variant);
    const y = pick(b, b.variant);
    // A variant taken by name shows in its side's label, so no output reads as a whole spec.
    const label = (s: DiffSide) => (s.byName ? `${s.label}#${s.variant}` : s.label);
    const spec = (l: string) => l.replace(/#[^#/]*$/, '');
    const short = spec(label(a)) === spec(label(b)) && a.variant !== b.variant;
    const d = diffVariants(short ? a.variant : label(a), x.graph, x.ir, short ? b.variant : label(b), y.graph, y.ir);
    const byName = a.byName ? 'a' : b.byName ? 'b' : undefined;
    return { ...d, refs: { a: a.label, b: b.label }, ...(byName === undefined ? {} : { byName }) };
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
