import type { Diagnostic, Range } from './diagnostic.js';

// Diagnostics as JSON for scripts and editors (`effnet check --format json`):
// the fields of a Diagnostic, positions 1-based with an exclusive end (as the
// text renderer shows them), columns counted in UTF-16 code units. `related`
// is there only when a diagnostic points back at an earlier place.

export interface JsonPosition {
  line: number;
  column: number;
}

export interface JsonRange {
  start: JsonPosition;
  end: JsonPosition;
}

export interface JsonDiagnostic {
  code: string;
  severity: 'error' | 'warning';
  message: string;
  file: string;
  range: JsonRange;
  hint?: string;
  /** Earlier places in the same file the diagnostic points back at (`first given here`). */
  related?: { range: JsonRange; message: string }[];
}

const jsonRange = ({ start, end }: Range): JsonRange => ({ start: { line: start.line, column: start.column }, end: { line: end.line, column: end.column } });

export function jsonDiagnostic(d: Diagnostic): JsonDiagnostic {
  return {
    code: d.code,
    severity: d.severity,
    message: d.message,
    file: d.file,
    range: jsonRange(d.range),
    ...(d.hint === undefined ? {} : { hint: d.hint }),
    ...(d.related === undefined ? {} : { related: d.related.map((r) => ({ range: jsonRange(r.range), message: r.message })) }),
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
