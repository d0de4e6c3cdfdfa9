import { LINE_BREAK, type Diagnostic, type Range } from './diagnostic.js';

export interface RenderOptions {
  color?: boolean;
  /** Render at most this many; a last line counts the rest. */
  max?: number;
}

const paint = (on: boolean, code: string, text: string): string =>
  on ? `\u001b[${code}m${text}\u001b[0m` : text;

/**
 * Characters a terminal acts on or hides instead of showing: C0 and C1
 * controls (ESC starts colour and cursor sequences), DEL, format characters
 * (bidi overrides, zero-width marks, tags) and line/paragraph separators.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

const escape = (ch: string): string => {
  const cp = ch.codePointAt(0)!;
  return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`;
};

/**
 * `text` safe to print on a terminal as one line: every control, format or
 * separator character is shown as its escape (`\u001b`). Spec lines, user
 * words and file names go through this before they reach stderr.
 */
export function printable(text: string): string {
  return text.replace(UNSAFE, escape);
}

/** Columns of context kept on each side of the caret in a long source line. */
const CONTEXT = 60;

export const splitLines = (source: string): string[] => (source === '' ? [] : source.split(LINE_BREAK));

/** A place to underline: the diagnostic's own (`^`), or a related one (`-` and its label). */
interface Mark {
  range: Range;
  underline: '^' | '-';
  colour: string;
  label?: string;
}

/**
 * Appends a source line, cut to a window around its marks when long, then one
 * line under it per mark (two places on one line share the source line).
 */
function frame(out: string[], text: string, line: number, marks: readonly Mark[], gutter: number, color: boolean): void {
  const full = text.replace(/\t/g, ' ');
  const endOf = (m: Mark): number => (m.range.end.line === line ? m.range.end.column : full.length + 1);
  // Long lines are cut to a window around the marks.
  let first = Infinity;
  let last = 0;
  for (const m of marks) {
    first = Math.min(first, m.range.start.column);
    last = Math.max(last, endOf(m) - 1, m.range.start.column);
  }
  const from = Math.max(0, first - 1 - CONTEXT);
  const to = Math.min(full.length, last + CONTEXT);
  const lead = from > 0 ? '…' : '';
  out.push(`${String(line).padStart(gutter)} | ${lead}${printable(full.slice(from, to))}${to < full.length ? '…' : ''}`);
  for (const m of marks) {
    const column = m.range.start.column;
    // Escapes are wider than what they stand for: the caret is placed by the escaped text before it.
    const before = lead + printable(full.slice(from, column - 1));
    const under = printable(full.slice(column - 1, Math.min(endOf(m) - 1, to)));
    const drawn = m.underline.repeat(Math.max(1, under.length)) + (m.label === undefined ? '' : ` ${printable(m.label)}`);
    out.push(`${' '.repeat(gutter)} | ${' '.repeat(before.length)}${paint(color, m.colour, drawn)}`);
  }
}

/**
 * `file:line:col: error E021: message`, then the source line with a caret
 * frame under the range, then the hint. Related places (`first given here`)
 * are framed too, lines in file order as rustc shows them and `...` for lines
 * left out; one whose line is not in the source is a `note:` line.
 * `lines` is the source split once.
 */
export function renderDiagnostic(d: Diagnostic, source: string | readonly string[] | undefined, options: RenderOptions = {}): string {
  const color = options.color ?? false;
  const { line, column } = d.range.start;
  const label = paint(color, d.severity === 'error' ? '1;31' : '1;33', `${d.severity} ${d.code}`);
  const out = [`${printable(d.file)}:${line}:${column}: ${label}: ${printable(d.message)}`];
  // No frame for a file that could not be read.
  const lines = source === undefined ? [] : typeof source === 'string' ? splitLines(source) : source;
  const marks: Mark[] = [
    { range: d.range, underline: '^', colour: '1;32' },
    ...(d.related ?? []).map((r): Mark => ({ range: r.range, underline: '-', colour: '1;34', label: r.message })),
  ];
  const byLine = new Map<number, Mark[]>();
  for (const m of marks) {
    if (lines[m.range.start.line - 1] === undefined) continue;
    const same = byLine.get(m.range.start.line);
    if (same === undefined) byLine.set(m.range.start.line, [m]);
    else same.push(m);
  }
  const framed = [...byLine.keys()].sort((a, b) => a - b);
  if (framed.length > 0) {
    const gutter = String(framed.at(-1)!).length;
    out.push(`${' '.repeat(gutter)} |`);
    framed.forEach((n, i) => {
      if (i > 0 && n - framed[i - 1]! > 1) out.push('...');
      frame(out, lines[n - 1]!, n, byLine.get(n)!, gutter, color);
    });
  }
  for (const m of marks) {
    if (m.label !== undefined && !byLine.has(m.range.start.line)) out.push(`  = note: ${printable(m.label)}: ${printable(d.file)}:${m.range.start.line}:${m.range.start.column}`);
  }
  if (d.hint !== undefined) out.push(`  = hint: ${printable(d.hint)}`);
  return out.join('\n');
}

export function renderDiagnostics(
  diagnostics: readonly Diagnostic[],
  sources: ReadonlyMap<string, string>,
  options: RenderOptions = {},
): string {
  const max = options.max ?? 50;
  const split = new Map([...sources].map(([file, text]) => [file, splitLines(text)]));
  const shown = diagnostics.slice(0, max).map((d) => renderDiagnostic(d, split.get(d.file), options));
  const rest = diagnostics.length - shown.length;
  if (rest > 0) {
    shown.push(`… and ${rest} more diagnostic${rest === 1 ? '' : 's'} not shown`);
    // "N more not collected" says the real count: it is shown even past the limit.
    for (const d of diagnostics.slice(max)) if (d.code === 'E008') shown.push(renderDiagnostic(d, split.get(d.file), options));
  }
  return shown.join('\n\n');
}
