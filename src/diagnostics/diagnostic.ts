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

/**
 * An earlier place a diagnostic points back at, in the same file, with a short
 * label (`first given here`): renderers show it as a place, not as hint text.
 */
export interface Related {
  range: Range;
  message: string;
}

export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  file: string;
  range: Range;
  hint?: string;
  /** Earlier places this diagnostic points back at; absent (never empty) when there are none. */
  related?: Related[];
}

export const START_OF_FILE: Range = {
  start: { line: 1, column: 1, offset: 0 },
  end: { line: 1, column: 1, offset: 0 },
};

/** A hint, or a function computing it (a "did you mean" costs edit distances). */
export type Hint = string | (() => string | undefined);

/** How many diagnostics a sink keeps by default: more only cost memory, nobody reads them. */
export const MAX_DIAGNOSTICS = 1000;

/**
 * Collects diagnostics for one file; stages append, callers read. At most
 * `max` are kept (a million bad lines must not cost a million objects): the
 * rest are only counted, and `items` ends with one E008 that says how many.
 */
export class DiagnosticSink {
  private readonly kept: Diagnostic[] = [];
  private dropped = 0;
  private firstDropped: Range | undefined;
  private stoppedAt: Range | undefined;
  private errorCount = 0;
  constructor(
    readonly file: string,
    readonly max = MAX_DIAGNOSTICS,
  ) {}

  /**
   * A hint may be a function: it is then computed only for a diagnostic that is
   * kept. `related` names earlier places the diagnostic points back at.
   */
  error(code: string, range: Range, message: string, hint?: Hint, related?: readonly Related[]): void {
    this.add({ code, severity: 'error', message, file: this.file, range }, hint, related);
  }

  warning(code: string, range: Range, message: string, hint?: Hint, related?: readonly Related[]): void {
    this.add({ code, severity: 'warning', message, file: this.file, range }, hint, related);
  }

  /** A stage gave up at `range` because of the cap (the parser after `max` syntax errors). */
  stop(range: Range): void {
    this.stoppedAt ??= range;
  }

  private add(d: Diagnostic, hint: Hint | undefined, related: readonly Related[] | undefined): void {
    if (d.severity === 'error') this.errorCount++;
    if (this.kept.length < this.max) {
      this.kept.push(withExtras(d, typeof hint === 'function' ? hint() : hint, related));
      return;
    }
    if (this.dropped === 0) this.firstDropped = d.range;
    this.dropped++;
  }

  /** What was collected, then the E008 that counts what was not. */
  get items(): Diagnostic[] {
    const out = this.kept.slice();
    if (this.dropped > 0 || this.stoppedAt !== undefined) out.push(tooMany(this.file, this.firstDropped ?? this.stoppedAt!, this.dropped, this.max, this.stoppedAt));
    return out;
  }

  /** Counts dropped errors too. */
  get hasErrors(): boolean {
    return this.errorCount > 0;
  }
}

function tooMany(file: string, range: Range, dropped: number, max: number, stopped: Range | undefined): Diagnostic {
  const stop = stopped === undefined ? '' : `; checking stopped at ${where(stopped)}`;
  return {
    code: 'E008',
    severity: 'error',
    message: `too many diagnostics; ${dropped.toLocaleString('en-US')} more not collected${stop}`,
    file,
    range,
    hint: `effnet keeps the first ${max.toLocaleString('en-US')}: fix those and check again`,
  };
}

// Fields are added only when present: JSON and equality checks see no `hint: undefined` or `related: []`.
function withExtras(d: Diagnostic, hint: string | undefined, related: readonly Related[] | undefined): Diagnostic {
  if (hint === undefined && (related === undefined || related.length === 0)) return d;
  return {
    ...d,
    ...(hint === undefined ? {} : { hint }),
    ...(related === undefined || related.length === 0 ? {} : { related: [...related] }),
  };
}

/** A user's word as a message quotes it: long ones are cut, so a message stays one readable line. */
export function clip(text: string, max = 40): string {
  return text.length > max ? text.slice(0, max) + '…' : text;
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
    // E008 shares its position with a dropped diagnostic, never with a kept one's meaning.
    if (d.severity !== 'error' || d.code === 'E008') return true;
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
