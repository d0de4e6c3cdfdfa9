import * as Plot from '@observablehq/plot';
import { stageCosts, type StageCost } from '../../cost/cost.js';
import type { Shape, VariantGraph } from '../../graph/graph.js';
import { grouped, human, shape } from '../format.js';
import { figure, plain, stackSvg, type Figure } from './render.js';
import { KIND_COLORS, KIND_ORDER } from './kinds.js';

// The architecture strip: stem, every block, head and classifier as boxes in
// execution order; width ∝ log2 of output channels, height ∝ output height
// (the tallest box fills the band), colour by block kind, each stage's output
// shape under it. Pixels per unit are fixed: strips of one family, and of two
// specs, compare by eye; a long strip wraps into rows at stage boundaries.

/** One box of a strip, in strip units (x: log2 channels, y: fraction of the band; row r centred at -r·ROW). */
export interface StripBox {
  x1: number;
  x2: number;
  y1: number;
  y2: number;
  kind: string;
  /** The SVG <title>: the block's and its stage's figures. */
  title: string;
}

/** One stage's group of boxes: its slot, and where its labels go. */
export interface StripStage {
  /** As the diff names stages: `stem`, `stage 1` … `stage N`, `head`, `classifier`. */
  key: string;
  /** The slot's ends (the boxes, or a wider slot when strips are aligned) and its middle. */
  x1: number;
  x2: number;
  x: number;
  /** The top and bottom of its row's band. */
  top: number;
  bottom: number;
  /** `stem`, `1` … `N`, `head`, `fc`. */
  name: string;
  /** Its output shape, `16×112×112`. */
  shape: string;
}

export interface StripLayout {
  /** The variant's name, as SVG text may hold it (`plain`). */
  variant: string;
  boxes: StripBox[];
  stages: StripStage[];
  /** The longest row, in strip units. */
  width: number;
  rows: number;
  /** The last row's length, in strip units. */
  lastRow: number;
}

const BLOCK_GAP = 0.5;
const STAGE_GAP = 2;
/** The flattest box still shows: 1.5% of the band. */
const MIN_HEIGHT = 0.015;
/** Pixels per strip unit, the same for every family: a strip longer than ROW_UNITS wraps at a stage. */
const PX_PER_UNIT = 3;
const ROW_UNITS = 290;
/** How far past ROW_UNITS balanced rows may run rather than leave a row of one small stage. */
const ROW_SLACK = 1.15;
/** Pixels: the band the boxes fill (a box as high as the input would fill it), the stage names above it, the shapes below. */
const BAND = 100;
const NAMES = 16;
const SHAPES = 64;
/** A row's pitch in band units. */
const ROW = (BAND + NAMES + SHAPES) / BAND;

const boxWidth = (channels: number) => 1 + Math.log2(Math.max(1, channels));

export const stageName = (s: StageCost): string => (s.role === 'stage' ? String(s.index) : s.role === 'classifier' ? 'fc' : s.role);

const percent = (part: number, whole: number) => (whole === 0 ? '0' : ((100 * part) / whole).toFixed(1));

/** One unit in the strip: a block, the stem, the head or the classifier. */
interface Unit {
  name: string;
  kind: string;
  outShape: Shape;
  params: number;
  macs: number;
}

function stageUnits(g: VariantGraph): Unit[][] {
  const sum = (layers: readonly { params: number; macs: number }[]) => layers.reduce((a, l) => ({ params: a.params + l.params, macs: a.macs + l.macs }), { params: 0, macs: 0 });
  const groups: Unit[][] = [[{ name: g.stem.name, kind: 'conv', outShape: g.stem.outShape, params: g.stem.params, macs: g.stem.macs }]];
  for (const s of g.stages) groups.push(s.blocks.map((b) => ({ name: b.name, kind: b.type, outShape: b.outShape, ...sum(b.layers) })));
  if (g.head) groups.push([{ name: g.head.name, kind: 'conv', outShape: g.head.outShape, params: g.head.params, macs: g.head.macs }]);
  const c = g.classifier;
  if (c) {
    const linears = [c.hidden, c.linear].flatMap((l) => (l ? [l] : []));
    const out = linears.at(-1)?.outFeatures ?? c.poolShape[0];
    groups.push([{ name: linears.at(-1)?.name ?? 'pool', kind: 'linear', outShape: [out, 1, 1], ...sum(linears) }]);
  }
  return groups;
}

const stageLength = (units: readonly Unit[]) => units.reduce((a, u) => a + boxWidth(u.outShape[0]), 0) + BLOCK_GAP * (units.length - 1);

/** The diff's name for a stage (src/diff/model.ts keys its rows the same way). */
export const stageKey = (s: StageCost): string => (s.role === 'stage' ? `stage ${s.index}` : s.role);

/** Slots to align two strips: each stage key's length, in drawing order. */
export interface Slots {
  keys: readonly string[];
  length: ReadonlyMap<string, number>;
}

/**
 * Lays the strip out in rows of at most `rowUnits`, wrapping at stages (inside a
 * stage no row could hold). With `slots`, each stage takes its key's slot, its
 * boxes centred in it, and a key this graph lacks leaves its slot empty.
 */
function layoutRows(g: VariantGraph, rowUnits: number, slots?: Slots): StripLayout {
  const costs = stageCosts(g);
  const total = costs.reduce((a, s) => ({ params: a.params + s.params, macs: a.macs + s.macs }), { params: 0, macs: 0 });
  const groups = stageUnits(g);
  const byKey = new Map(costs.map((s, i) => [stageKey(s), { cost: s, units: groups[i]! }]));
  // The tallest box fills the band: heights are output height over the tallest output's.
  const tallest = Math.max(...groups.flat().map((u) => u.outShape[1]));
  const boxes: StripBox[] = [];
  const stages: StripStage[] = [];
  let row = 0;
  let x = 0;
  let width = 0;
  const newRow = () => {
    width = Math.max(width, x);
    row += 1;
    x = 0;
  };
  for (const key of slots?.keys ?? costs.map(stageKey)) {
    const group = byKey.get(key);
    const own = group ? stageLength(group.units) : 0;
    const slot = Math.max(own, slots?.length.get(key) ?? 0);
    if (x > 0 && x + STAGE_GAP + slot > rowUnits) newRow();
    if (x > 0) x += STAGE_GAP;
    if (!group) {
      x += slot;
      continue;
    }
    const s = group.cost;
    let start = x;
    let wrapped = false;
    x += (slot - own) / 2;
    const stageLine = `stage ${stageName(s)} (${s.block}): ${grouped(s.params)} params (${percent(s.params, total.params)}%), ${grouped(s.macs)} MACs (${percent(s.macs, total.macs)}%)`;
    for (const [j, u] of group.units.entries()) {
      const w = boxWidth(u.outShape[0]);
      if (j > 0 && x + BLOCK_GAP + w > rowUnits) {
        newRow();
        start = 0;
        wrapped = true;
      } else if (j > 0) x += BLOCK_GAP;
      const h = Math.max(MIN_HEIGHT, u.outShape[1] / tallest);
      const centre = -row * ROW;
      boxes.push({
        x1: x,
        x2: x + w,
        y1: centre - h / 2,
        y2: centre + h / 2,
        kind: u.kind,
        title: `${u.name} · ${u.kind} → ${shape(u.outShape)}\n${grouped(u.params)} params, ${human(u.macs)} MACs\n${stageLine}`,
      });
      x += w;
    }
    // The slot's end exactly (two strips' slots must meet to the bit).
    x = wrapped ? x : start + slot;
    stages.push({ key, x1: start, x2: x, x: (start + x) / 2, top: -row * ROW + 0.5, bottom: -row * ROW - 0.5, name: stageName(s), shape: shape(s.outShape) });
  }
  width = Math.max(width, x);
  return { variant: plain(g.variant), boxes, stages, width: Math.max(1, width), rows: row + 1, lastRow: x };
}

/**
 * The strip in as few rows as ROW_UNITS allows (give or take ROW_SLACK, and one
 * more row if need be), about equally long: the shortest row length that keeps
 * that count and leaves the last row at least a third full (no row of just a
 * head and a classifier).
 */
export function stripLayout(g: VariantGraph): StripLayout {
  const one = layoutRows(g, Infinity);
  const fewest = Math.ceil(one.width / ROW_UNITS);
  if (fewest <= 1) return one;
  let fits: StripLayout | undefined;
  for (const rows of [fewest, fewest + 1])
    for (let target = one.width / rows; target <= ROW_UNITS * ROW_SLACK; target *= 1.03) {
      const layout = layoutRows(g, target);
      if (layout.rows > rows) continue;
      if (layout.lastRow >= layout.width / 3) return layout;
      fits ??= layout;
    }
  return fits ?? layoutRows(g, ROW_UNITS);
}

/**
 * Two variants' strips (of one spec or two) on one row each, stage slots
 * aligned by the diff's keys (stem, stage N, head, classifier): a stage on one
 * side only leaves an empty slot on the other.
 */
export function alignedStrips(a: VariantGraph, b: VariantGraph): [StripLayout, StripLayout] {
  const lengths = (g: VariantGraph) => new Map(layoutRows(g, Infinity).stages.map((s) => [s.key, s.x2 - s.x1]));
  const la = lengths(a);
  const lb = lengths(b);
  const rank = (k: string) => (k === 'stem' ? 0 : k === 'head' ? 1e6 : k === 'classifier' ? 1e6 + 1 : Number(k.slice('stage '.length)));
  const keys = [...new Set([...la.keys(), ...lb.keys()])].sort((x, y) => rank(x) - rank(y));
  const slots: Slots = { keys, length: new Map(keys.map((k) => [k, Math.max(la.get(k) ?? 0, lb.get(k) ?? 0)])) };
  const [sa, sb] = [layoutRows(a, Infinity, slots), layoutRows(b, Infinity, slots)];
  const width = Math.max(sa.width, sb.width);
  return [
    { ...sa, width },
    { ...sb, width },
  ];
}

const MARGIN = { top: 18 + NAMES, right: 12, bottom: SHAPES, left: 12 };

export interface StripOptions {
  /** Stage keys (`stem`, `stage 3`, `head`, `classifier`) drawn on a highlight, their names in red: a diff's changed stages. */
  highlight?: ReadonlySet<string>;
}

const HIGHLIGHT = '#fff3bf';
const HIGHLIGHT_TEXT = '#c92a2a';

/** One variant's strip. Pixels per unit are fixed, so strips of one family (and of two) line up. */
export function stripFigure(layout: StripLayout, options: StripOptions = {}): Figure {
  const span = (layout.rows - 1) * ROW + 1;
  const marked = (s: StripStage) => options.highlight?.has(s.key) ?? false;
  return figure({
    width: Math.ceil(MARGIN.left + MARGIN.right + layout.width * PX_PER_UNIT),
    height: Math.ceil(MARGIN.top + MARGIN.bottom + span * BAND),
    marginTop: MARGIN.top,
    marginRight: MARGIN.right,
    marginBottom: MARGIN.bottom,
    marginLeft: MARGIN.left,
    ariaLabel: 'architecture strip',
    x: { domain: [0, layout.width], axis: null },
    y: { domain: [0.5 - span, 0.5], axis: null },
    color: { domain: KIND_ORDER as string[], range: KIND_COLORS as string[] },
    marks: [
      Plot.text([layout.variant], { frameAnchor: 'top-left', dy: -MARGIN.top + 2, fontWeight: 'bold', fontSize: 12, textAnchor: 'start', lineAnchor: 'top', ariaDescription: 'variant' }),
      Plot.rect(layout.stages.filter(marked), { x1: 'x1', x2: 'x2', y1: 'bottom', y2: 'top', fill: HIGHLIGHT, inset: -3, ariaDescription: 'changed stage' }),
      Plot.rect(layout.boxes, { x1: 'x1', x2: 'x2', y1: 'y1', y2: 'y2', fill: 'kind', stroke: 'white', strokeWidth: 0.5, title: 'title', ariaDescription: 'block' }),
      Plot.text(layout.stages.filter((s) => !marked(s)), { x: 'x', y: 'top', text: 'name', dy: -4, lineAnchor: 'bottom', fontSize: 9, ariaDescription: 'stage' }),
      Plot.text(layout.stages.filter(marked), { x: 'x', y: 'top', text: 'name', dy: -4, lineAnchor: 'bottom', fontSize: 9, fontWeight: 'bold', fill: HIGHLIGHT_TEXT, ariaDescription: 'changed stage name' }),
      Plot.text(layout.stages, { x: 'x', y: 'bottom', text: 'shape', rotate: -90, textAnchor: 'end', dx: 3, dy: 4, fontSize: 9, ariaDescription: 'output shape' }),
    ],
  });
}

/** The colour key: a swatch and a name per kind, in the fixed order. */
export function kindLegend(kinds: ReadonlySet<string>): Figure {
  const items: { x: number; kind: string }[] = [];
  let x = 12;
  for (const kind of KIND_ORDER.filter((k) => kinds.has(k))) {
    items.push({ x, kind });
    x += 24 + 6.5 * kind.length;
  }
  const height = 24;
  return figure({
    width: Math.ceil(x),
    height,
    margin: 0,
    ariaLabel: 'block kinds',
    x: { type: 'identity', axis: null },
    y: { type: 'identity', axis: null },
    color: { domain: KIND_ORDER as string[], range: KIND_COLORS as string[] },
    marks: [
      Plot.rect(items, { x1: 'x', x2: (d: { x: number }) => d.x + 12, y1: 6, y2: 18, fill: 'kind' }),
      Plot.text(items, { x: (d: { x: number }) => d.x + 16, y: 12, text: 'kind', textAnchor: 'start' }),
    ],
  });
}

export const kindsOf = (layouts: readonly StripLayout[]): Set<string> => new Set(layouts.flatMap((l) => l.boxes.map((b) => b.kind)));

export interface SvgOptions {
  /** The spec path: a "generated by effnet from … — do not edit" comment opens the file (files under generated/). */
  banner?: string;
}

/** Every variant's strip under the colour key, as one standalone SVG document (generated/<family>/architecture.svg). */
export function architectureSvg(graphs: readonly VariantGraph[], options: SvgOptions = {}): string {
  const layouts = graphs.map(stripLayout);
  const family = graphs[0]?.family ?? '';
  return stackSvg([kindLegend(kindsOf(layouts)), ...layouts.map((l) => stripFigure(l))], { title: `${family}: architecture`, banner: options.banner });
}
