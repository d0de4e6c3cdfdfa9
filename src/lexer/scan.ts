import type { ILexingError, ILexingResult, IToken, TokenType } from 'chevrotain';
import { Lexer } from './chevrotain.js';
import { allTokens } from './tokens.js';

// The lexer of specs: Chevrotain's lexing rules run by a small loop over the token types'
// own patterns. Chevrotain's Lexer analyses every pattern each time it is built, about 10 ms
// of each `effnet check` on this machine, for a spec of a few hundred tokens. The rules, as
// Chevrotain applies them to these token types (no modes, no custom patterns):
// - at each offset, the first type in `allTokens` order whose pattern matches there wins;
//   a keyword or compact attribute yields to its `longer_alt` (Identifier) when that matches
//   more (`families` is a name, not `family` and `ies`);
// - skipped types are dropped, a type with a group goes to that group, the rest are tokens;
// - a run of characters no pattern starts at is one error, the next token starting where any
//   pattern matches again;
// - lines count `\n`, `\r\n` and a lone `\r`, inside tokens that may span lines.
// test/parser-startup.test.ts holds this scanner to Chevrotain's Lexer on random text.

interface Rule {
  type: TokenType;
  /** Characters matched at `at`, or 0. */
  length: (text: string, at: number) => number;
  /** undefined: a token; null: skipped; else the group's name. */
  group: string | null | undefined;
  lines: boolean;
  longer: Rule | undefined;
}

function matcher(pattern: TokenType['PATTERN']): Rule['length'] {
  if (typeof pattern === 'string') return (text, at) => (text.startsWith(pattern, at) ? pattern.length : 0);
  if (pattern instanceof RegExp) {
    const sticky = new RegExp(pattern.source, 'y');
    return (text, at) => {
      sticky.lastIndex = at;
      return sticky.test(text) ? sticky.lastIndex - at : 0;
    };
  }
  throw new Error('the scanner takes string and RegExp patterns');
}

function groupOf(t: TokenType): Rule['group'] {
  if (t.GROUP === undefined) return undefined;
  return t.GROUP === Lexer.SKIPPED ? null : (t.GROUP as string);
}

const rules = new Map<TokenType, Rule>();
const ruleOf = (t: TokenType): Rule => {
  let r = rules.get(t);
  if (r === undefined) {
    const longer = t.LONGER_ALT;
    if (Array.isArray(longer)) throw new Error(`${t.name}: the scanner takes one longer_alt`);
    r = { type: t, length: matcher(t.PATTERN), group: groupOf(t), lines: t.LINE_BREAKS === true, longer: undefined };
    rules.set(t, r);
    if (longer) r.longer = ruleOf(longer as TokenType);
  }
  return r;
};

/** The rules that can match at a character, by its code, in `allTokens` order. */
const byStart = new Map<number, Rule[]>();
for (const t of allTokens) {
  if (t.PATTERN === Lexer.NA) continue;
  const starts = typeof t.PATTERN === 'string' ? [t.PATTERN[0]!] : t.START_CHARS_HINT;
  if (!Array.isArray(starts)) throw new Error(`${t.name}: a RegExp token needs start_chars_hint`);
  const rule = ruleOf(t);
  for (const c of starts) {
    const code = typeof c === 'number' ? c : c.charCodeAt(0);
    const list = byStart.get(code);
    if (list === undefined) byStart.set(code, [rule]);
    else if (!list.includes(rule)) list.push(rule);
  }
}

const groups = [...new Set([...rules.values()].map((r) => r.group).filter((g): g is string => typeof g === 'string'))];

/** The first rule matching at `at` and its length (a longer alternative taken), or undefined. */
function matchAt(text: string, at: number): { rule: Rule; length: number } | undefined {
  const candidates = byStart.get(text.charCodeAt(at));
  if (candidates === undefined) return undefined;
  for (const rule of candidates) {
    const length = rule.length(text, at);
    if (length === 0) continue;
    const longer = rule.longer && rule.longer.length(text, at);
    return longer !== undefined && longer > length ? { rule: rule.longer!, length: longer } : { rule, length };
  }
  return undefined;
}

/** Tokens (start positions only, as Chevrotain's `positionTracking: 'onlyStart'`), groups and errors of `text`. */
export function scan(text: string): ILexingResult {
  const tokens: IToken[] = [];
  const grouped: Record<string, IToken[]> = Object.fromEntries(groups.map((g) => [g, []]));
  const errors: ILexingError[] = [];
  let line = 1;
  let column = 1;
  let at = 0;
  while (at < text.length) {
    const m = matchAt(text, at);
    if (m === undefined) {
      const start = at;
      do at++;
      while (at < text.length && matchAt(text, at) === undefined);
      const length = at - start;
      errors.push({ offset: start, line, column, length, message: `unexpected character: ->${text[start]}<- at offset: ${start}, skipped ${length} characters.` });
      column += length;
      continue;
    }
    const { rule, length } = m;
    const image = text.substring(at, at + length);
    if (rule.group !== null) {
      const token: IToken = { image, startOffset: at, startLine: line, startColumn: column, tokenTypeIdx: rule.type.tokenTypeIdx!, tokenType: rule.type };
      if (rule.group === undefined) tokens.push(token);
      else grouped[rule.group]!.push(token);
    }
    let lastBreak = -1;
    if (rule.lines) {
      for (let i = 0; i < length; i++) {
        const c = image.charCodeAt(i);
        if (c === 10 || (c === 13 && image.charCodeAt(i + 1) !== 10)) {
          line++;
          lastBreak = i;
        }
      }
    }
    column = lastBreak < 0 ? column + length : length - lastBreak;
    at += length;
  }
  return { tokens, groups: grouped, errors };
}
