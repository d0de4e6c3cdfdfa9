import { MarkupKind, type Hover, type Position } from 'vscode-languageserver/node.js';
import { analyzeVariant } from '../cost/cost.js';
import { markdownCodeSpan } from '../emit/escape.js';
import { grouped, shape } from '../report/format.js';
import { summaryTable } from '../report/markdown.js';
import { markdownTable } from '../report/table.js';
import type { Analysis } from './analysis.js';
import { lineFigures, type LineFigures } from './figures.js';
import { fromLspPosition, statementAt, toLspRange } from './positions.js';
import { variantNodes } from './settings.js';

// Hover on a stem, stage, head or classifier line: what the line resolves to
// (layers, output shape, params, MACs) in the variant around the cursor, or
// else in the spec's first variant that does not override the line. Hover on
// a `variant` line: that variant's row of the report's summary table.

/** A deep variant's stage has many blocks: the table stops here and says how many more. */
export const MAX_LAYER_ROWS = 24;

function layerTable(f: LineFigures): string {
  const rows = f.layers.slice(0, MAX_LAYER_ROWS).map((l) => [
    l.name,
    l.role,
    shape(l.outShape),
    l.kernel === null ? '–' : String(l.kernel),
    l.stride === null ? '–' : String(l.stride),
    grouped(l.params),
    grouped(l.macs),
  ]);
  const table = markdownTable({
    header: ['layer', 'role', 'output', 'k', 's', 'params', 'MACs'],
    align: 'lllrrrr',
    rows: rows.map((r) => r.map((text) => ({ text }))),
  });
  const more = f.layers.length - rows.length;
  return more > 0 ? `${table}\n\n… and ${more} more layers` : table;
}

export function figuresMarkdown(f: LineFigures): string {
  const g = f.graph;
  const out = [
    `**${f.title}** of variant ${markdownCodeSpan(g.variant)} at ${g.resolution}×${g.resolution}`,
    '',
    `${markdownCodeSpan(f.config)} → output **${f.outShape ? shape(f.outShape) : '–'}** · params **${grouped(f.params)}** · MACs **${grouped(f.macs)}**`,
  ];
  if (f.stage) out.push('', `The whole stage ${f.stage.index}: output ${shape(f.stage.outShape)} · params ${grouped(f.stage.params)} · MACs ${grouped(f.stage.macs)}`);
  out.push('', layerTable(f));
  if (!f.ownVariant) out.push('', `_Figures for ${markdownCodeSpan(g.variant)}, the first variant that uses this line: hover inside a \`variant\` block for that variant's._`);
  return out.join('\n');
}

function variantRow(a: Analysis, name: string): string | undefined {
  const g = a.compilation.graphs.find((x) => x.variant === name);
  if (!g) return undefined;
  const v = analyzeVariant(g);
  return `${summaryTable([v])}\n\nparams ${grouped(v.params)} · MACs ${grouped(v.macs)}`;
}

export function hover(a: Analysis, position: Position): Hover | null {
  const family = a.compilation.ast.family;
  if (!family) return null;
  const p = fromLspPosition(position, a.bom);
  const at = statementAt(family, p);
  if (at && (at.statement.kind === 'stem' || at.statement.kind === 'stage' || at.statement.kind === 'head' || at.statement.kind === 'classifier')) {
    const r = lineFigures(a.compilation, at.statement, at.variant);
    const value = r.ok ? figuresMarkdown(r.figures) : `_${r.reason}_`;
    return { contents: { kind: MarkupKind.Markdown, value }, range: toLspRange(at.statement.range, a.bom) };
  }
  // A `variant` line: the one its block starts on.
  const v = variantNodes(family).find((n) => n.range.start.line === p.line && n.name !== undefined);
  if (v) {
    const row = variantRow(a, v.name!.text);
    const value = row ?? '_figures appear once the spec compiles without errors_';
    return { contents: { kind: MarkupKind.Markdown, value }, range: toLspRange(v.name!.range, a.bom) };
  }
  return null;
}
