import { markdownText } from '../emit/escape.js';
import { grouped, human, mib } from '../report/format.js';
import { isEmpty, STAGE_FIELDS, TOTALS, type Diff, type Num, type SettingChange, type SpecDiff, type StageRow, type Total, type VariantDiff } from './model.js';
import { markdownTable, textTable, type Cell, type Table } from '../report/table.js';

// Text, Markdown and JSON views of a diff. Deterministic: no times, no absolute paths.

export const DIFF_FORMATS = ['text', 'md', 'json'] as const;
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
  const a = r.a?.[f] ?? '—';
  const b = r.b?.[f] ?? '—';
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

function settingsTable(s: SettingChange[]): Table {
  return { header: ['setting', 'A', 'B'], align: 'lll', rows: s.map((c) => [{ text: c.path }, { text: c.a ?? '—', changed: true }, { text: c.b ?? '—', changed: true }]) };
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
  return [s.summary, ...body].join('\n\n') + '\n';
}

export function renderMarkdown(d: Diff): string {
  const s = sections(d);
  // Spec paths, refs and names are the user's: shown literally (markdownText), never as markup.
  const body = s.sections.map((x) => `### ${markdownText(x.title)}\n\n${typeof x.body === 'string' ? markdownText(x.body) : markdownTable(x.body)}`);
  return [`## effnet diff\n\n**${markdownText(s.summary)}**`, ...body].join('\n\n') + '\n';
}

/** JSON: the diff itself, with infinite percentages written as null and a summary line. */
export function renderJson(d: Diff): string {
  const summary = d.kind === 'variant' ? summaryLine(d) : specSummaryLine(d);
  return JSON.stringify({ summary, empty: isEmpty(d), ...d }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
}

export function renderDiff(d: Diff, format: DiffFormat, color: boolean): string {
  return format === 'json' ? renderJson(d) : format === 'md' ? renderMarkdown(d) : renderText(d, color);
}
