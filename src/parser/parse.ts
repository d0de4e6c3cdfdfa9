import type { CstNode, IRecognitionException, IToken } from 'chevrotain';
import { DiagnosticSink, LINE_BREAK, type Range } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import { effnetLexer, STATEMENT_KEYWORDS } from '../lexer/tokens.js';
import { effnetParser } from './parser.js';

export interface ParseResult {
  cst: CstNode | undefined;
  /** The text does not begin as a spec (`famly x {`): the CST is not worth lowering. */
  unrecognised: boolean;
}

/** The range a token covers (columns 1-based, end exclusive). */
export function tokenRange(t: IToken): Range {
  const line = t.startLine ?? 1;
  const column = t.startColumn ?? 1;
  const endLine = t.endLine ?? line;
  const endColumn = (t.endColumn ?? column) + 1;
  return {
    start: { line, column, offset: t.startOffset },
    end: { line: endLine, column: endColumn, offset: (t.endOffset ?? t.startOffset) + 1 },
  };
}

function endOfText(text: string): Range {
  const lines = text.split(LINE_BREAK);
  const line = lines.length;
  const column = (lines[line - 1] ?? '').length + 1;
  const at = { line, column, offset: text.length };
  return { start: at, end: at };
}

const show = (t: IToken): string => (t.image.length > 24 ? t.image.slice(0, 24) + '…' : t.image);

/** Lex and parse; every problem becomes a diagnostic in `sink`. */
export function parseText(text: string, sink: DiagnosticSink): ParseResult {
  const lexed = effnetLexer.tokenize(text);
  for (const e of lexed.errors) {
    const start = { line: e.line ?? 1, column: e.column ?? 1, offset: e.offset };
    const ch = text.slice(e.offset, e.offset + e.length);
    const printable = /^[\x21-\x7e]+$/.test(ch) ? `\`${ch}\`` : JSON.stringify(ch);
    sink.error(
      'E001',
      { start, end: { ...start, column: start.column + e.length, offset: e.offset + e.length } },
      `unexpected character ${printable}`,
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
  const cst = parser.spec();
  // When the very first token is wrong (`famly x {`), what follows is noise.
  const unrecognised = parser.errors.length > 0 && parser.errors[0]!.token.startOffset === lexed.tokens[0]?.startOffset;
  let errors = unrecognised ? parser.errors.slice(0, 1) : parser.errors;
  // An unclosed `/*` swallowed the rest: "unexpected end of input" only echoes it.
  const unclosed = (lexed.groups['malformed'] ?? []).some((t) => t.image.startsWith('/*'));
  if (unclosed) errors = errors.filter((e) => e.token.tokenType.name !== 'EOF');
  for (const e of errors) reportParseError(e, text, sink);
  return { cst, unrecognised };
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
    didYouMean(t.image, [...STATEMENT_KEYWORDS]));
}

/** Our errorMessageProvider (parser.ts) packs the expected token list into the message. */
function expectedFromMessage(e: IRecognitionException): string {
  const m = /^expected:(.*)$/s.exec(e.message);
  return m ? m[1]! : '';
}
