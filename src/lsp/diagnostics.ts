import { DiagnosticSeverity, type Diagnostic as LspDiagnostic, type DiagnosticRelatedInformation } from 'vscode-languageserver/node.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { splitLines } from '../diagnostics/render.js';
import type { Analysis } from './analysis.js';
import { toLspRange } from './positions.js';

// `check`'s diagnostics as the editor shows them: the same code, severity
// and range; the hint on a second line of the message (and in `data`, for the
// quick fixes); an earlier place a hint points at ("the first is at 6:11")
// as related information.

export interface DiagnosticData {
  hint?: string;
}

/** `the first is at 6:11`: how hints point back at an earlier definition (diagnostics/diagnostic.ts `where`). */
const FIRST_AT = /the first is at (\d+):(\d+)/;

/** The word (a name, a number, an attribute such as `k3.5`) that starts at a column of a line. */
export function wordAt(line: string, column: number): string {
  return /^[A-Za-z0-9_.+-]*/.exec(line.slice(column - 1))![0];
}

function related(d: Diagnostic, a: Analysis, lines: readonly string[]): DiagnosticRelatedInformation[] {
  const m = d.hint === undefined ? null : FIRST_AT.exec(d.hint);
  if (m === null) return [];
  const line = Number(m[1]);
  const column = Number(m[2]);
  const text = lines[line - 1];
  if (text === undefined) return [];
  const width = Math.max(1, wordAt(text, column).length);
  const range = { start: { line, column, offset: 0 }, end: { line, column: column + width, offset: 0 } };
  return [{ location: { uri: a.uri, range: toLspRange(range, a.bom) }, message: 'first defined here' }];
}

export function toLspDiagnostics(a: Analysis): LspDiagnostic[] {
  const lines = splitLines(a.compilation.source);
  return a.compilation.diagnostics.map((d) => {
    const info = related(d, a, lines);
    const data: DiagnosticData = d.hint === undefined ? {} : { hint: d.hint };
    return {
      range: toLspRange(d.range, a.bom),
      severity: d.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
      code: d.code,
      source: 'effnet',
      message: d.hint === undefined ? d.message : `${d.message}\n${d.hint}`,
      data,
      ...(info.length > 0 ? { relatedInformation: info } : {}),
    };
  });
}
