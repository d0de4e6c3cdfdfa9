import type { SpecNode, Statement } from '../ast/ast.js';
import { emitNetwork } from '../emit/network.js';
import type { VariantGraph } from '../graph/graph.js';
import { emitTfjs } from '../tfjs/emit.js';
import { emitWgsl } from '../wgsl/emit.js';
import type { Candidate } from './grid.js';

// What an evaluator gets for a candidate: the user's spec with the candidate added as a variant
// (the base variant's own statements kept, its width, depth and resolution replaced, its eval
// preprocessing left to the family's), and that variant's generated model sources, as
// `effnet generate` writes them.

/** `search_a1_2_b1_1_g1_15`: a variant name from the coefficients, not already a variant of the family. */
export function candidateName(c: Pick<Candidate, 'alpha' | 'beta' | 'gamma'>, taken: ReadonlySet<string>): string {
  const part = (x: number) => String(x).replace('.', '_');
  let name = `search_a${part(c.alpha)}_b${part(c.beta)}_g${part(c.gamma)}`;
  while (taken.has(name)) name += '_';
  return name;
}

const SCALED = new Set(['width', 'depth', 'resolution', 'phi']);
/** Statement kinds of the base variant not carried over: its eval crop is for its own resolution. */
const DROPPED = new Set(['preprocess']);

/**
 * The spec text with `variant <name> { … }` before the family's closing brace: the base variant's
 * statements other than width, depth, resolution, phi and preprocess (a dropout of its own, say), then the
 * candidate's width, depth and resolution. `baseName` undefined: the family's base network.
 */
export function candidateSpecText(source: string, ast: SpecNode, baseName: string | undefined, c: Pick<Candidate, 'width' | 'depth' | 'resolution'>, name: string): string {
  const family = ast.family;
  if (!family) return source;
  const base = baseName === undefined ? undefined : family.items.find((i) => i.kind === 'variant' && i.name?.text === baseName);
  const own = base?.kind === 'variant' ? base.statements.filter((s: Statement) => !(s.kind === 'scalar' && SCALED.has(s.key)) && !DROPPED.has(s.kind)).map((s) => source.slice(s.range.start.offset, s.range.end.offset)) : [];
  const body = [...own, `width ${c.width}`, `depth ${c.depth}`, `resolution ${c.resolution}`].join(' ');
  const eol = source.includes('\r\n') ? '\r\n' : '\n';
  const brace = family.range.end.offset - 1;
  return `${source.slice(0, brace)}${eol}  // Added by \`effnet search\`: one candidate of the grid.${eol}  variant ${name} { ${body} }${eol}${source.slice(brace)}`;
}

/** The candidate's model folder: `network.ts`, `model.tfjs.ts` and `model.wgsl.ts`. */
export async function candidateModelFiles(g: VariantGraph, options: { spec: string; tfjsModule: string }): Promise<{ name: string; content: string }[]> {
  return [
    { name: 'network.ts', content: await emitNetwork(g, { spec: options.spec }) },
    { name: 'model.tfjs.ts', content: await emitTfjs(g, { spec: options.spec, tfjsModule: options.tfjsModule }) },
    { name: 'model.wgsl.ts', content: await emitWgsl(g, { spec: options.spec }) },
  ];
}
