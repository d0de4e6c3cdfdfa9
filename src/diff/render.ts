import { htmlText, markdownText } from '../emit/escape.js';
import { grouped, human, mib } from '../report/format.js';
import { cellText, isEmpty, printable, STAGE_FIELDS, TOTALS, type Diff, type Num, type SettingChange, type SettingValue, type SpecDiff, type StageRow, type Total, type VariantDiff } from './model.js';
import { htmlTable, markdownTable, textTable, type Cell, type Table } from '../report/table.js';
import { figureHtml, htmlPage } from '../report/html.js';
import { alignedStrips, kindLegend, kindsOf, stripFigure } from '../report/svg/architecture.js';

// Text, Markdown and JSON views of a diff. Deterministic: no times, no absolute paths.

export const DIFF_FORMATS = ['text', 'md', 'json', 'html'] as const;
export type DiffFormat = (typeof DIFF_FORMATS)[number];

/** +131 %, -4.2 %, 0 %; "new" / "gone" when one side is 0. */
export function percent(p: number | null): string {
  if (p === null || p === 0) return p === null ? '—' : '0 %';
  if (!Number.isFinite(p)) return p > 0 ? 'new' : 'gone';
  const digits = Math.abs(p) >= 100 ? 0 : 1;
  const s = Math.abs(p).toFixed(digits);
  return Number(s) === 0 ? '0 %' : `${p > 0 ? '+' : '-'}${s} %`;
}

export function signed(n: number, f: (x: number) => string): string {
  return n === 0 ? '0' : `${n > 0 ? '+' : '-'}${f(Math.abs(n))}`;
}

const TOTAL_VIEW: Record<Total, { label: string; f: (n: number) => string }> = {
  params: { label: 'params', f: grouped },
  macs: { label: 'MACs', f: human },
  flops: { label: 'FLOPs', f: human },
  activationBytes: { label: 'activations', f: mib },
  peakActivationBytes: { label: 'peak activations', f: mib },
  resolution: { label: 'resolution', f: String },
};

const arrow = (a: string, b: string) => (a === b ? a : `${a} → ${b}`);

export function summaryLine(d: VariantDiff): string {
  const t = d.totals;
  const names = d.a === d.b ? d.a : `${d.a} → ${d.b}`;
  if (isEmpty(d)) return `${names}: no differences`;
  const res = arrow(String(t.resolution.a), String(t.resolution.b));
  const more = d.settings.length > 0 ? `, ${d.settings.length} setting${d.settings.length === 1 ? '' : 's'} changed` : '';
  return `${names}: params ${percent(t.params.pct)}, MACs ${percent(t.macs.pct)}, resolution ${res}${more}`;
}

export function specSummaryLine(d: SpecDiff): string {
  const variants = (k: number) => `${k} variant${k === 1 ? '' : 's'}`;
  if (d.absent === 'a') return `${d.a} → ${d.b}: new spec (family ${d.families.b}), ${variants(d.added.length)} added`;
  if (d.absent === 'b') return `${d.a} → ${d.b}: spec removed (family ${d.families.a}), ${variants(d.removed.length)} removed`;
  if (isEmpty(d)) return `${d.a} → ${d.b}: no differences`;
  const n = (k: number, what: string) => `${k} ${what}`;
  const family = d.families.a === d.families.b ? '' : `family ${d.families.a} → ${d.families.b}, `;
  return `${d.a} → ${d.b}: ${family}variants ${n(d.added.length, 'added')}, ${n(d.removed.length, 'removed')}, ${n(d.changed.length, 'changed')}; ${n(d.settings.length, 'family settings changed')}`;
}

const numCells = (n: Num, f: (x: number) => string): Cell[] => [
  { text: f(n.a), changed: n.delta !== 0 },
  { text: f(n.b), changed: n.delta !== 0 },
  { text: signed(n.delta, f), changed: n.delta !== 0 },
  { text: percent(n.pct), changed: n.delta !== 0 },
];

function totalsTable(d: VariantDiff): Table {
  return {
    header: ['metric', 'A', 'B', 'Δ', 'Δ%'],
    align: 'lrrrr',
    rows: TOTALS.map((t) => [{ text: TOTAL_VIEW[t].label }, ...numCells(d.totals[t], TOTAL_VIEW[t].f)]),
  };
}

function stageCell(r: StageRow, f: (typeof STAGE_FIELDS)[number]): Cell {
  const a = cellText(r.a?.[f]);
  const b = cellText(r.b?.[f]);
  return { text: arrow(a, b), changed: a !== b };
}

function stagesTable(d: VariantDiff): Table {
  const count = (n: number): Cell => ({ text: n === 0 ? '' : signed(n, String), changed: n !== 0 });
  return {
    header: ['stage', 'block', 'k', 's', 'exp', 'SE', 'channels', 'repeats', 'output', 'params A', 'params B', 'Δ params', 'Δ%', 'MACs A', 'MACs B', 'Δ MACs', 'Δ%', 'blocks', 'layers'],
    align: 'lllllllllrrrrrrrrrr',
    rows: d.stages.map((r) => [
      { text: r.key },
      ...STAGE_FIELDS.map((f) => stageCell(r, f)),
      ...numCells(r.params, grouped),
      ...numCells(r.macs, human),
      count(r.blocks),
      count(r.layers),
    ]),
  };
}

/** A setting as the tables show it: `—` where the side lacks it, `none` where it is set to none. */
const settingText = (v: SettingValue | undefined): string => (v === undefined ? '—' : printable(v));

function settingsTable(s: SettingChange[]): Table {
  return {
    header: ['setting', 'A', 'B'],
    align: 'lll',
    rows: s.map((c) => [{ text: c.path }, { text: settingText(c.a), changed: true }, { text: settingText(c.b), changed: true }]),
  };
}

/** What the reader must know about how the sides were matched, in words. */
export function notes(d: Diff): string[] {
  if (d.kind !== 'variant' || d.byName === undefined || d.refs === undefined) return [];
  const [bare, named] = d.byName === 'a' ? [d.refs.a, d.refs.b] : [d.refs.b, d.refs.a];
  const variant = (d.byName === 'a' ? d.a : d.b).replace(/^.*#/, '');
  return [`note: ${bare} names no variant; its \`${variant}\` is compared, by the name ${named} gives`];
}

interface Section {
  title: string;
  body: Table | string;
}

function variantSections(d: VariantDiff, prefix: string): Section[] {
  if (isEmpty(d)) return [];
  return [
    { title: `${prefix}totals`, body: totalsTable(d) },
    { title: `${prefix}stages`, body: stagesTable(d) },
    ...(d.settings.length > 0 ? [{ title: `${prefix}settings`, body: settingsTable(d.settings) }] : []),
  ];
}

function sections(d: Diff): { summary: string; sections: Section[] } {
  if (d.kind === 'variant') return { summary: summaryLine(d), sections: variantSections(d, '') };
  const list = (title: string, names: string[]): Section[] => (names.length > 0 ? [{ title, body: names.join(', ') }] : []);
  return {
    summary: specSummaryLine(d),
    sections: [
      ...list('variants added', d.added),
      ...list('variants removed', d.removed),
      ...list('variants unchanged', d.unchanged),
      ...(d.settings.length > 0 ? [{ title: 'family settings', body: settingsTable(d.settings) }] : []),
      ...d.changed.flatMap((v) => [{ title: `variant ${v.a}`, body: summaryLine(v) }, ...variantSections(v, `${v.a} `)]),
    ],
  };
}

export function renderText(d: Diff, color: boolean): string {
  const s = sections(d);
  const bold = (t: string) => (color ? `\u001b[1m${t}\u001b[0m` : t);
  const body = s.sections.map((x) => `${bold(x.title)}\n${typeof x.body === 'string' ? `  ${x.body}` : textTable(x.body, color)}`);
  return [[s.summary, ...notes(d)].join('\n'), ...body].join('\n\n') + '\n';
}

export function renderMarkdown(d: Diff): string {
  const s = sections(d);
  // Spec paths, refs and names are the user's: shown literally (markdownText), never as markup.
  const body = s.sections.map((x) => `### ${markdownText(x.title)}\n\n${typeof x.body === 'string' ? markdownText(x.body) : markdownTable(x.body)}`);
  const said = notes(d).map((n) => `_${markdownText(n)}_`);
  return [`## effnet diff\n\n**${markdownText(s.summary)}**`, ...said, ...body].join('\n\n') + '\n';
}

/** JSON: the diff itself (numbers as numbers, shapes as arrays), with infinite percentages written as null and a summary line. */
export function renderJson(d: Diff): string {
  const summary = d.kind === 'variant' ? summaryLine(d) : specSummaryLine(d);
  return JSON.stringify({ summary, empty: isEmpty(d), ...d }, (k, v) => (k === 'graphs' ? undefined : typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
}

/** One self-contained page: per compared variant, both architecture strips aligned stage by stage (changed stages marked) and the tables. */
export function renderHtml(d: Diff): string {
  const s = sections(d);
  const variants = d.kind === 'variant' ? [d] : d.changed;
  const pictures = variants.flatMap((v) => {
    if (!v.graphs) return [];
    const layouts = alignedStrips(v.graphs[0], v.graphs[1]);
    const changed = new Set(v.stages.filter((r) => r.changed.length > 0 || r.a === null || r.b === null).map((r) => r.key));
    return [
      `<h2>${htmlText(`${v.a} → ${v.b}`)}</h2>`,
      figureHtml(kindLegend(kindsOf(layouts)), 'class="legend"'),
      figureHtml(stripFigure(layouts[0], { highlight: changed }), `class="strip" data-side="a"`, htmlText(v.a)),
      figureHtml(stripFigure(layouts[1], { highlight: changed }), `class="strip" data-side="b"`, htmlText(v.b)),
    ];
  });
  const body = s.sections.map((x) => `<h3>${htmlText(x.title)}</h3>\n${typeof x.body === 'string' ? `<p>${htmlText(x.body)}</p>` : htmlTable(x.body)}`);
  return htmlPage({
    title: `effnet diff: ${d.a} → ${d.b}`,
    body: ['<h1>effnet diff</h1>', `<p><strong>${htmlText(s.summary)}</strong></p>`, ...notes(d).map((n) => `<p><em>${htmlText(n)}</em></p>`), ...pictures, ...body],
  });
}

export function renderDiff(d: Diff, format: DiffFormat, color: boolean): string {
  return format === 'json' ? renderJson(d) : format === 'md' ? renderMarkdown(d) : format === 'html' ? renderHtml(d) : renderText(d, color);
}
