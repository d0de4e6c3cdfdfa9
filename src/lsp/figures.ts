import type { FamilyNode, Statement, VariantNode } from '../ast/ast.js';
import type { Compilation } from '../compile/compile.js';
import { layerCosts, stageCosts, type LayerCost, type StageCost } from '../cost/cost.js';
import type { ScaledStage, Shape, VariantGraph } from '../graph/graph.js';
import type { VariantIR } from '../ir/ir.js';
import { overrides, settingKey, variantNodes } from './settings.js';

// What one stem, stage, head or classifier line resolves to in one variant:
// its layers, output shape, parameters and MACs, read off the variant's graph
// (Block.line maps a block to its stage line, StageIR.range to the text).

export type LineKind = 'stem' | 'stage' | 'head' | 'classifier';

export interface LineFigures {
  kind: LineKind;
  graph: VariantGraph;
  /** The variant was the one around the cursor, not the default. */
  ownVariant: boolean;
  /** `stage 2`, `stem`, … */
  title: string;
  /** The line's resolved configuration after width and depth scaling (`mbconv k3 s2 e6 c24 n2`). */
  config: string;
  layers: LayerCost[];
  outShape: Shape | null;
  params: number;
  macs: number;
  /** The whole stage when the line is one of several (`then`). */
  stage?: StageCost;
}

export type FiguresResult = { ok: true; figures: LineFigures } | { ok: false; reason: string };

const sum = (ls: readonly LayerCost[], k: 'params' | 'macs') => ls.reduce((a, l) => a + l[k], 0);

/** The first variant (in the spec's order) that was built and does not give the setting itself. */
function defaultVariant(c: Compilation, family: FamilyNode, key: string): { graph: VariantGraph; ir: VariantIR } | undefined {
  const nodes = new Map(variantNodes(family).map((v) => [v.name?.text, v]));
  for (const ir of c.family?.variants ?? []) {
    const node = nodes.get(ir.name);
    const graph = c.graphs.find((g) => g.variant === ir.name);
    if (graph && node && !overrides(node, key)) return { graph, ir };
  }
  return undefined;
}

function scaledConfig(s: ScaledStage): string {
  const parts = [s.block, `k${s.kernels.join('.')}`, `s${s.stride}`];
  if (s.mid !== null) parts.push(`mid ${s.mid}`);
  else if (s.expand !== 1) parts.push(`e${s.expand}`);
  parts.push(`c${s.channels}`, `n${s.repeats}`);
  if (s.se !== null) parts.push(`se ${s.se}`);
  parts.push(`act ${s.act}`);
  return parts.join(' ');
}

function stageLine(s: Statement, ir: VariantIR, g: VariantGraph, own: boolean): FiguresResult {
  const line = ir.network.stages.findIndex((st) => st.range.start.offset === s.range.start.offset);
  const stage = g.stages.find((st) => st.blocks.some((b) => b.line === line));
  if (line < 0 || stage === undefined) return { ok: false, reason: `variant \`${g.variant}\` does not build this line` };
  const lines = [...new Set(stage.blocks.map((b) => b.line!))].sort((a, b) => a - b);
  const blocks = new Set(stage.blocks.filter((b) => b.line === line).map((b) => b.index));
  const layers = layerCosts(g).filter((l) => l.stage === stage.index && l.block !== null && blocks.has(l.block));
  const last = stage.blocks.filter((b) => b.line === line).at(-1)!;
  const part = lines.length > 1 ? `, line ${lines.indexOf(line) + 1} of ${lines.length}` : '';
  return {
    ok: true,
    figures: {
      kind: 'stage',
      graph: g,
      ownVariant: own,
      title: `stage ${stage.index}${part}`,
      config: scaledConfig(stage.segments[lines.indexOf(line)]!),
      layers,
      outShape: last.outShape,
      params: sum(layers, 'params'),
      macs: sum(layers, 'macs'),
      ...(lines.length > 1 ? { stage: stageCosts(g).find((r) => r.index === stage.index)! } : {}),
    },
  };
}

function otherLine(kind: Exclude<LineKind, 'stage'>, g: VariantGraph, own: boolean): FiguresResult {
  const head = g.stages.length + 1;
  const index = kind === 'stem' ? 0 : kind === 'head' ? head : head + 1;
  const layers = layerCosts(g).filter((l) => l.stage === index);
  if (layers.length === 0) return { ok: false, reason: `variant \`${g.variant}\` has no ${kind === 'classifier' ? 'classifier (a feature network)' : kind}` };
  const conv = kind === 'stem' ? g.stem : kind === 'head' ? g.head : null;
  const config = conv
    ? `conv k${conv.kernel} s${conv.stride} c${conv.outShape[0]} act ${conv.act}`
    : `linear ${layers.map((l) => `${l.inShape[0]}→${l.outShape[0]}`).join(', ')}${g.classifier ? `, dropout ${g.classifier.dropout}` : ''}`;
  return {
    ok: true,
    figures: { kind, graph: g, ownVariant: own, title: kind, config, layers, outShape: layers.at(-1)!.outShape, params: sum(layers, 'params'), macs: sum(layers, 'macs') },
  };
}

/**
 * The figures of a stem, stage, head or classifier statement: for the variant
 * it is written in, or, for a family line, the first variant that does not
 * override it.
 */
export function lineFigures(c: Compilation, s: Statement, variant: VariantNode | undefined): FiguresResult {
  const family = c.ast.family;
  if (s.kind !== 'stem' && s.kind !== 'stage' && s.kind !== 'head' && s.kind !== 'classifier') return { ok: false, reason: 'not a layer line' };
  if (family === undefined || c.family === undefined) return { ok: false, reason: 'figures appear once the spec compiles without errors' };
  let chosen: { graph: VariantGraph; ir: VariantIR } | undefined;
  if (variant) {
    const name = variant.name?.text;
    const ir = c.family.variants.find((v) => v.name === name);
    const graph = c.graphs.find((g) => g.variant === name);
    chosen = ir && graph ? { graph, ir } : undefined;
    if (!chosen) return { ok: false, reason: `variant \`${name ?? ''}\` was not built` };
  } else {
    chosen = defaultVariant(c, family, settingKey(s)!);
    if (!chosen) return { ok: false, reason: 'every variant overrides this line' };
  }
  const own = variant !== undefined;
  return s.kind === 'stage' ? stageLine(s, chosen.ir, chosen.graph, own) : otherLine(s.kind, chosen.graph, own);
}
