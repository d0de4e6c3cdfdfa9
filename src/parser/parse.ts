import type { CstNode, IRecognitionException, IToken } from 'chevrotain';
import { clip, DiagnosticSink, type Range } from '../diagnostics/diagnostic.js';
import { printable } from '../diagnostics/render.js';
import { didYouMean } from '../diagnostics/suggest.js';
import { overrun, type Budget } from '../lexer/budget.js';
import { scan } from '../lexer/scan.js';
import { STATEMENT_KEYWORDS } from '../lexer/tokens.js';
import { effnetParser } from './parser.js';

export interface ParseResult {
  cst: CstNode | undefined;
  /** The text does not begin as a spec (`famly x {`): the CST is not worth lowering. */
  unrecognised: boolean;
}

/**
 * The range a token covers (columns 1-based, end exclusive). The lexer tracks
 * start positions only; the end follows from the image (which holds a line
 * break only in a comment).
 */
export function tokenRange(t: IToken): Range {
  const line = t.startLine ?? 1;
  const column = t.startColumn ?? 1;
  const start = { line, column, offset: t.startOffset };
  const image = t.image;
  const end = Number.isNaN(t.startOffset) ? start.offset : t.startOffset + image.length;
  // Only a comment spans lines: every other token ends on its own line (and is most of a spec).
  if (!image.includes('\n') && !image.includes('\r')) return { start, end: { line, column: column + image.length, offset: end } };
  let endLine = line;
  let lineStart = -column + 1; // offset in `image` of the current line's first column
  for (const m of image.matchAll(/\r\n?|\n/g)) {
    endLine++;
    lineStart = m.index + m[0].length;
  }
  return { start, end: { line: endLine, column: image.length - lineStart + 1, offset: end } };
}

/** Where the text ends, counting line breaks as the lexer does, without splitting the text. */
function endOfText(text: string): Range {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
      line++;
      lineStart = i + 1;
    }
  }
  const at = { line, column: text.length - lineStart + 1, offset: text.length };
  return { start: at, end: at };
}

const show = (t: IToken): string => clip(t.image, 24);

/**
 * Far above any real spec (the shipped ones have under 1,000 tokens), and low
 * enough that the worst spec within it (200,000 one-word statements) compiles
 * in a few hundred megabytes.
 */
export const DEFAULT_BUDGET: Budget = { maxTokens: 200_000, maxVariants: 1_000 };

/** Room for 20 tokens a variant when a caller allows more variants than the default. */
export const budgetFor = (maxVariants = DEFAULT_BUDGET.maxVariants, maxTokens?: number): Budget => ({
  maxVariants,
  maxTokens: maxTokens ?? Math.max(DEFAULT_BUDGET.maxTokens, 20 * maxVariants),
});

/** Lex and parse; every problem becomes a diagnostic in `sink`. */
export function parseText(text: string, sink: DiagnosticSink, budget: Budget = DEFAULT_BUDGET): ParseResult {
  const over = overrun(text, budget);
  if (over !== undefined) {
    reportOverrun(text, over, sink);
    return { cst: undefined, unrecognised: true };
  }
  const lexed = scan(text);
  for (const e of lexed.errors) {
    const start = { line: e.line ?? 1, column: e.column ?? 1, offset: e.offset };
    const ch = text.slice(e.offset, e.offset + Math.min(e.length, 41));
    const shown = /^[\x21-\x7e]+$/.test(ch) ? `\`${clip(ch)}\`` : `"${printable(clip(ch))}"`;
    sink.error(
      'E001',
      { start, end: { ...start, column: start.column + e.length, offset: e.offset + e.length } },
      `unexpected character${e.length > 1 ? 's' : ''} ${shown}`,
      'effnet specs use words, numbers, `{ }` and `//` or `/* */` comments',
    );
  }
  for (const t of lexed.groups['malformed'] ?? []) {
    const hash = t.image.startsWith('#');
    const r = tokenRange(t);
    const range = hash ? r : { start: r.start, end: { ...r.start, column: r.start.column + 2, offset: r.start.offset + 2 } };
    sink.error('E001', range, hash ? '`#` does not start a comment' : 'this `/*` comment is never closed', hash ? 'comments start with `//` or are enclosed in `/* */`' : 'close it with `*/`');
  }
  const parser = effnetParser();
  parser.input = lexed.tokens;
  // Syntax errors past what the sink keeps are not worth an exception and a recovery each.
  parser.maxErrors = sink.max;
  const cst = parser.spec();
  // When the very first token is wrong (`famly x {`), what follows is noise.
  const unrecognised = parser.errors.length > 0 && parser.errors[0]!.token.startOffset === lexed.tokens[0]?.startOffset;
  let errors = unrecognised ? parser.errors.slice(0, 1) : parser.errors;
  // An unclosed `/*` swallowed the rest: "unexpected end of input" only echoes it.
  const unclosed = (lexed.groups['malformed'] ?? []).some((t) => t.image.startsWith('/*'));
  if (unclosed) errors = errors.filter((e) => e.token.tokenType.name !== 'EOF');
  for (const e of errors) reportParseError(e, text, sink);
  const stop = parser.stopToken;
  if (stop !== undefined) sink.stop(stop.tokenType.name === 'EOF' ? endOfText(text) : tokenRange(stop));
  return { cst, unrecognised };
}

function reportOverrun(text: string, over: NonNullable<ReturnType<typeof overrun>>, sink: DiagnosticSink): void {
  const at = positionOf(text, over.offset);
  const range = { start: at, end: at };
  const count = over.count.toLocaleString('en-US');
  const limit = over.limit.toLocaleString('en-US');
  if (over.what === 'variants')
    sink.error('E038', range, `the spec declares ${count} variants, more than the limit of ${limit}`, '--max-variants raises the limit; every variant is compiled, so each one costs time and memory');
  else
    sink.error('E007', range, `the spec has ${count} tokens, more than the limit of ${limit}`, 'effnet specs hold a few thousand tokens at most: this one looks generated or corrupted, and was not parsed');
}

/** Line and column of an offset, counting line breaks as the lexer does. */
function positionOf(text: string, offset: number): Range['start'] {
  const upTo = endOfText(text.slice(0, offset)).start;
  return { line: upTo.line, column: upTo.column, offset };
}

function reportParseError(e: IRecognitionException, text: string, sink: DiagnosticSink): void {
  const t = e.token;
  const atEnd = t.tokenType.name === 'EOF';
  const range = atEnd ? endOfText(text) : tokenRange(t);
  const expected = expectedFromMessage(e);
  if (e.name === 'NotAllInputParsedException') {
    sink.error('E005', range, `unexpected \`${show(t)}\` after the family block`, 'a spec holds exactly one `family { … }` block');
    return;
  }
  if (atEnd) {
    sink.error('E004', range, `unexpected end of input${expected ? `, expected ${expected}` : ''}`,
      expected === '`}`' ? 'a `{` was not closed' : undefined);
    return;
  }
  sink.error('E002', range, `unexpected \`${show(t)}\`${expected ? `, expected ${expected}` : ''}`,
    () => didYouMean(t.image, STATEMENT_KEYWORDS));
}

/** Our errorMessageProvider (parser.ts) packs the expected token list into the message. */
function expectedFromMessage(e: IRecognitionException): string {
  const m = /^expected:(.*)$/s.exec(e.message);
  return m ? m[1]! : '';
}
