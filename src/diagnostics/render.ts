import type { Diagnostic } from './diagnostic.js';

export interface RenderOptions {
  color?: boolean;
}

const paint = (on: boolean, code: string, text: string): string =>
  on ? `\u001b[${code}m${text}\u001b[0m` : text;

/**
 * `file:line:col: error E021: message`, then the source line with a caret
 * frame under the range, then the hint.
 */
export function renderDiagnostic(d: Diagnostic, source: string | undefined, options: RenderOptions = {}): string {
  const color = options.color ?? false;
  const { line, column } = d.range.start;
  const label = paint(color, d.severity === 'error' ? '1;31' : '1;33', `${d.severity} ${d.code}`);
  const out = [`${d.file}:${line}:${column}: ${label}: ${d.message}`];
  // No frame for a file that could not be read.
  const lines = source === undefined || source === '' ? [] : source.split(/\r\n?|\n/);
  const text = lines[line - 1];
  if (text !== undefined) {
    const gutter = String(line).length;
    const shown = text.replace(/\t/g, ' ');
    const endColumn = d.range.end.line === line ? d.range.end.column : shown.length + 1;
    const width = Math.max(1, Math.min(endColumn, shown.length + 1) - column);
    out.push(`${' '.repeat(gutter)} |`);
    out.push(`${line} | ${shown}`);
    out.push(`${' '.repeat(gutter)} | ${' '.repeat(column - 1)}${paint(color, '1;32', '^'.repeat(width))}`);
  }
  if (d.hint !== undefined) out.push(`  = hint: ${d.hint}`);
  return out.join('\n');
}

export function renderDiagnostics(
  diagnostics: readonly Diagnostic[],
  sources: ReadonlyMap<string, string>,
  options: RenderOptions = {},
): string {
  return diagnostics.map((d) => renderDiagnostic(d, sources.get(d.file), options)).join('\n\n');
}
