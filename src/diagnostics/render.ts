import { LINE_BREAK, type Diagnostic } from './diagnostic.js';

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

/**
 * `file:line:col: error E021: message`, then the source line with a caret
 * frame under the range, then the hint. `lines` is the source split once.
 */
export function renderDiagnostic(d: Diagnostic, source: string | readonly string[] | undefined, options: RenderOptions = {}): string {
  const color = options.color ?? false;
  const { line, column } = d.range.start;
  const label = paint(color, d.severity === 'error' ? '1;31' : '1;33', `${d.severity} ${d.code}`);
  const out = [`${printable(d.file)}:${line}:${column}: ${label}: ${printable(d.message)}`];
  // No frame for a file that could not be read.
  const lines = source === undefined ? [] : typeof source === 'string' ? splitLines(source) : source;
  const text = lines[line - 1];
  if (text !== undefined) {
    const full = text.replace(/\t/g, ' ');
    const endColumn = d.range.end.line === line ? d.range.end.column : full.length + 1;
    // Long lines are cut to a window around the caret.
    const from = Math.max(0, column - 1 - CONTEXT);
    const to = Math.min(full.length, Math.max(endColumn - 1, column) + CONTEXT);
    // Escapes are wider than what they stand for: the caret is placed by the escaped text before it.
    const before = (from > 0 ? '…' : '') + printable(full.slice(from, column - 1));
    const under = printable(full.slice(column - 1, Math.min(endColumn - 1, to)));
    const shown = before + under + printable(full.slice(Math.max(column - 1, Math.min(endColumn - 1, to)), to)) + (to < full.length ? '…' : '');
    const width = Math.max(1, under.length);
    const gutter = String(line).length;
    out.push(`${' '.repeat(gutter)} |`);
    out.push(`${line} | ${shown}`);
    out.push(`${' '.repeat(gutter)} | ${' '.repeat(before.length)}${paint(color, '1;32', '^'.repeat(width))}`);
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
