import { htmlText, markdownText } from '../emit/escape.js';

// One table model, drawn as aligned plain/coloured text (diff), as Markdown (reports, diff) or as HTML.

export interface Cell {
  text: string;
  /** A changed value: coloured on a terminal, bold in Markdown. */
  changed?: boolean;
}

export interface Table {
  header: string[];
  /** 'l' or 'r' per column. */
  align: string;
  rows: Cell[][];
}

const YELLOW = '\u001b[33m';
const RESET = '\u001b[0m';

/** A terminal cell never grows past this; a whole stage present on one side only would. */
const MAX_CELL = 60;
const clip = (c: Cell): Cell => (c.text.length > MAX_CELL ? { ...c, text: `${c.text.slice(0, MAX_CELL - 1)}…` } : c);

export function textTable(table: Table, color: boolean): string {
  const t = { ...table, rows: table.rows.map((r) => r.map(clip)) };
  const widths = t.header.map((h, i) => Math.max(h.length, ...t.rows.map((r) => r[i]!.text.length)));
  const pad = (s: string, i: number) => (t.align[i] === 'r' ? s.padStart(widths[i]!) : s.padEnd(widths[i]!));
  const line = (cells: Cell[]) =>
    cells
      .map((c, i) => (color && c.changed ? `${YELLOW}${pad(c.text, i)}${RESET}` : pad(c.text, i)))
      .join('  ')
      .trimEnd();
  return [line(t.header.map((text) => ({ text }))), ...t.rows.map(line)].map((l) => `  ${l}`).join('\n');
}

/** A Markdown table; every data cell is shown literally (markdownText); the header is the caller's own words. */
export function markdownTable(t: Table): string {
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    row(t.header),
    row([...t.align].map((a) => (a === 'r' ? '---:' : ':---'))),
    ...t.rows.map((r) => row(r.map((c) => (c.changed && c.text !== '' ? `**${markdownText(c.text)}**` : markdownText(c.text))))),
  ].join('\n');
}

/** An HTML table; every cell is text (htmlText); a changed cell is <strong>, a right-aligned one has class "r". */
export function htmlTable(t: Table): string {
  const cls = (i: number) => (t.align[i] === 'r' ? ' class="r"' : '');
  const cell = (c: Cell, i: number) => `<td${cls(i)}>${c.changed && c.text !== '' ? `<strong>${htmlText(c.text)}</strong>` : htmlText(c.text)}</td>`;
  return [
    '<table>',
    `<thead><tr>${t.header.map((h, i) => `<th${cls(i)}>${htmlText(h)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...t.rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`),
    '</tbody>',
    '</table>',
  ].join('\n');
}
