import type { Diagnostic } from './diagnostic.js';

// Diagnostics as JSON for scripts and editors (`effnet check --format json`):
// the fields of a Diagnostic, positions 1-based with an exclusive end (as the
// text renderer shows them), columns counted in UTF-16 code units.

export interface JsonPosition {
  line: number;
  column: number;
}

export interface JsonDiagnostic {
  code: string;
  severity: 'error' | 'warning';
  message: string;
  file: string;
  range: { start: JsonPosition; end: JsonPosition };
  hint?: string;
}

export function jsonDiagnostic(d: Diagnostic): JsonDiagnostic {
  const { start, end } = d.range;
  return {
    code: d.code,
    severity: d.severity,
    message: d.message,
    file: d.file,
    range: { start: { line: start.line, column: start.column }, end: { line: end.line, column: end.column } },
    ...(d.hint === undefined ? {} : { hint: d.hint }),
  };
}

/** What was checked, one entry a file: its family and variant count when it compiled. */
export interface JsonFile {
  file: string;
  family?: string;
  variants?: number;
  errors: number;
  warnings: number;
}

export interface JsonReport {
  files: JsonFile[];
  diagnostics: JsonDiagnostic[];
}

/** `{ files, diagnostics }` as indented JSON with a final newline. */
export function renderJson(diagnostics: readonly Diagnostic[], files: readonly JsonFile[] = []): string {
  const report: JsonReport = { files: [...files], diagnostics: diagnostics.map(jsonDiagnostic) };
  return JSON.stringify(report, null, 2) + '\n';
}
