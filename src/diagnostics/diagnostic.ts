// Diagnostics are values: every stage returns them, none throws them through the pipeline.

export interface Position {
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
  /** 0-based character offset. */
  offset: number;
}

export interface Range {
  start: Position;
  /** Exclusive end. */
  end: Position;
}

/** Line breaks as the lexer counts them: \n, \r\n and a lone \r. */
export const LINE_BREAK = /\r\n?|\n/;

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  file: string;
  range: Range;
  hint?: string;
}

export const START_OF_FILE: Range = {
  start: { line: 1, column: 1, offset: 0 },
  end: { line: 1, column: 1, offset: 0 },
};

/** Collects diagnostics for one file; stages append, callers read. */
export class DiagnosticSink {
  readonly items: Diagnostic[] = [];
  constructor(readonly file: string) {}

  error(code: string, range: Range, message: string, hint?: string): void {
    this.items.push(withHint({ code, severity: 'error', message, file: this.file, range }, hint));
  }

  warning(code: string, range: Range, message: string, hint?: string): void {
    this.items.push(withHint({ code, severity: 'warning', message, file: this.file, range }, hint));
  }

  get hasErrors(): boolean {
    return hasErrors(this.items);
  }
}

function withHint(d: Diagnostic, hint: string | undefined): Diagnostic {
  return hint === undefined ? d : { ...d, hint };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** `6:19`, the way hints point back at an earlier place. */
export const where = (r: Range): string => `${r.start.line}:${r.start.column}`;

/**
 * Stable order (file, position, code) with one error per position: when the
 * parser already reported a token, a later stage's error on it is a follow-on.
 */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const firstPerPosition = diagnostics.filter((d) => {
    if (d.severity !== 'error') return true;
    const key = `${d.file}:${d.range.start.offset}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return firstPerPosition.sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      a.range.start.offset - b.range.start.offset ||
      a.code.localeCompare(b.code),
  );
}
