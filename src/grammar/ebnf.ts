import type { IProduction, TokenType } from 'chevrotain';
import {
  Alternation,
  Alternative,
  Lexer,
  NonTerminal,
  Option,
  Repetition,
  RepetitionMandatory,
  RepetitionMandatoryWithSeparator,
  RepetitionWithSeparator,
  Rule,
  Terminal,
} from '../lexer/chevrotain.js';
import * as T from '../lexer/tokens.js';
import { effnetParser } from '../parser/parser.js';

// Prints grammar/effnet.ebnf from the parser's GAST, so the published grammar
// is the grammar the parser runs.

/** Rules that exist only so that the parser can recover from errors. */
const ERROR_PRODUCTIONS: Record<string, string> = {
  unknownStatement:
    'Error production: exists only for error recovery. It absorbs a run of stray words\n' +
    'so that one unknown statement costs one diagnostic (E003); no valid spec uses it.',
  unknownAttribute:
    'Error production: exists only for error recovery. It absorbs an unknown attribute\n' +
    '(and its number) on a stem, head or stage line (E003); no valid spec uses it.',
};

/** Token classes: how a non-keyword terminal prints, and how the header explains it. */
const TOKEN_CLASSES: { token: TokenType; name: string; text: string }[] = [
  { token: T.Identifier, name: 'NAME', text: 'a name that is not a keyword' },
  { token: T.NumberLiteral, name: 'NUMBER', text: 'a number, optionally negative, with optional fraction and exponent' },
  {
    token: T.Compact,
    name: 'COMPACT',
    text: 'a compact attribute: one of k s e c n glued to a number (k3, s2, e4.5, c24, n2)',
  },
];
const WORD_CLASS = 'WORD';

/** Rules longer than this break at their alternatives; the header wraps well inside it. */
const MAX_WIDTH = 100;
const HEADER_WIDTH = 80;

/**
 * An ISO EBNF comment `(* … *)`. Regular expressions inside it are written as
 * quoted strings: ISO 14977 reads a quoted string in a comment as a string, so
 * a `*)` inside one (as in `\d*)`) does not end the comment.
 */
function comment(text: string): string {
  const bare = text.replace(/"[^"\n]*"/g, '""');
  if (bare.includes('*)') || bare.includes('(*')) throw new Error(`grammar comment would end early: ${JSON.stringify(text)}`);
  return text
    .split('\n')
    .map((line, i, all) => {
      const open = i === 0 ? '(* ' : '   ';
      const close = i === all.length - 1 ? ' *)' : '';
      return (open + line).trimEnd() + close;
    })
    .join('\n');
}

const unquote = (label: string): string => label.replace(/^'(.*)'$/s, '$1');
const quote = (s: string): string => '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
/** A token's regular expression as a quoted string (see `comment`). */
function regexOf(t: TokenType): string {
  const source = t.PATTERN instanceof RegExp ? t.PATTERN.source : String(t.PATTERN);
  if (source.includes('"')) throw new Error(`cannot quote the pattern of ${t.name}`);
  return '"' + source + '"';
}

function terminal(t: TokenType): string {
  if (t === T.Word) return WORD_CLASS;
  if (t === T.LineWord) return 'LINE_WORD';
  const cls = TOKEN_CLASSES.find((c) => c.token === t);
  if (cls) return cls.name;
  // Keywords (`Kw_family` → "family") and punctuation print as their text.
  if (t.LABEL !== undefined && /^'.*'$/s.test(t.LABEL)) return quote(unquote(t.LABEL));
  throw new Error(`no EBNF spelling for token ${t.name}: give it a label or a token class`);
}

const alternatives = (p: Alternation): IProduction[][] => (p.definition as Alternative[]).map((a) => a.definition);

/** A production in one line. `nested`: it sits inside a sequence, so alternatives need brackets. */
function inline(p: IProduction, nested: boolean): string {
  if (p instanceof Terminal) return terminal(p.terminalType);
  if (p instanceof NonTerminal) return p.nonTerminalName;
  if (p instanceof Alternation) {
    const alts = alternatives(p).map((a) => sequence(a));
    return nested ? '( ' + alts.join(' | ') + ' )' : alts.join(' | ');
  }
  if (p instanceof Option) return '[ ' + sequence(p.definition, false) + ' ]';
  if (p instanceof Repetition) return '{ ' + sequence(p.definition, false) + ' }';
  if (p instanceof RepetitionMandatory) {
    const body = sequence(p.definition);
    return body + ' { ' + body + ' }';
  }
  if (p instanceof RepetitionWithSeparator || p instanceof RepetitionMandatoryWithSeparator) {
    const body = sequence(p.definition);
    const more = '{ ' + terminal(p.separator) + ' ' + body + ' }';
    return p instanceof RepetitionMandatoryWithSeparator ? body + ' ' + more : '[ ' + body + ' ' + more + ' ]';
  }
  if (p instanceof Alternative || p instanceof Rule) return sequence(p.definition);
  throw new Error(`unexpected grammar production ${p.constructor.name}`);
}

/**
 * Items of a sequence separated by spaces. A lone alternation that fills the
 * whole of a `{ }`, `[ ]` or rule body needs no brackets (`nested` false).
 */
function sequence(items: IProduction[], nested = true): string {
  if (items.length === 0) return '(* empty *)';
  if (items.length === 1) return inline(items[0]!, nested);
  return items.map((p) => inline(p, true)).join(' ');
}

/** One rule, wrapped at alternatives when it does not fit in MAX_WIDTH columns. */
function printRule(rule: Rule): string {
  const head = rule.name + ' = ';
  const oneLine = head + sequence(rule.definition, false) + ' ;';
  if (oneLine.length <= MAX_WIDTH) return oneLine;
  const pad = ' '.repeat(head.length - 2);
  const def = rule.definition;
  // A rule that is one alternation: one alternative a line.
  if (def.length === 1 && def[0] instanceof Alternation) {
    const alts = alternatives(def[0]).map((a) => sequence(a));
    return head + alts.join('\n' + pad + '| ') + '\n' + pad + ';';
  }
  // A sequence: break its alternations (those that make the line long) one alternative a line.
  let line = head;
  for (const [i, p] of def.entries()) {
    const sep = i === 0 ? '' : ' ';
    const text = inline(p, true);
    const lastLine = line.slice(line.lastIndexOf('\n') + 1);
    if (p instanceof Alternation && lastLine.length + sep.length + text.length > MAX_WIDTH) {
      const col = ' '.repeat(lastLine.length + sep.length);
      const alts = alternatives(p).map((a) => sequence(a));
      line += sep + '( ' + alts.join('\n' + col + '| ') + '\n' + col + ')';
    } else {
      line += sep + text;
    }
  }
  return line + ' ;';
}

function header(): string {
  const statementWords = new Set<string>(T.STATEMENT_KEYWORDS);
  const words = T.KEYWORDS.map((k) => unquote(k.LABEL ?? k.name));
  const optionWords = words.filter((w) => !statementWords.has(w));
  const skipped = T.allTokens.filter((t) => t.GROUP === Lexer.SKIPPED);
  const malformed = T.allTokens.filter((t) => t.GROUP === 'malformed');
  const lexWidth = Math.max(...[...skipped, ...malformed].map((t) => t.name.length));
  const wordMembers = T.allTokens.filter((t) => t !== T.Word && (t.CATEGORIES ?? []).includes(T.Word));
  const wordParts = [
    ...TOKEN_CLASSES.filter((c) => wordMembers.includes(c.token)).map((c) => c.name),
    ...(wordMembers.some((t) => T.KEYWORDS.includes(t)) ? ['an option keyword'] : []),
  ];
  const wrap = (list: string[], indent: string): string[] => {
    const lines: string[] = [];
    let cur = '';
    for (const w of list) {
      const next = cur === '' ? w : cur + ' ' + w;
      if (indent.length + next.length > HEADER_WIDTH - 6 && cur !== '') {
        lines.push(indent + cur);
        cur = w;
      } else cur = next;
    }
    if (cur !== '') lines.push(indent + cur);
    return lines;
  };
  const width = Math.max(...TOKEN_CLASSES.map((c) => c.name.length), WORD_CLASS.length);
  const lines = [
    'The .effnet language, in EBNF.',
    '',
    'GENERATED from src/parser/parser.ts by `npm run grammar`: do not edit this file;',
    'change the parser and regenerate. grammar/README.md explains the language.',
    '',
    'Notation (ISO EBNF, with juxtaposition instead of commas):',
    '  rule = ... ;   a rule          "word"   a keyword or symbol, spelt as is',
    '  a b            a then b        [ a ]    a, optionally',
    '  a | b          a or b          { a }    a, zero or more times',
    '  ( a )          grouping        UPPER    a token class (below)',
    'Where two alternatives could both match, the first one listed wins.',
    '',
    'Token classes (regular expressions from src/lexer/tokens.ts, quoted):',
    ...TOKEN_CLASSES.flatMap((c) => [
      `  ${c.name.padEnd(width)} = ${regexOf(c.token)}`,
      `  ${' '.repeat(width)}   ${c.text}`,
    ]),
    `  ${WORD_CLASS.padEnd(width)} = ${wordParts.join(' | ')}`,
    `  ${' '.repeat(width)}   any word that can stand as an argument: family and variant`,
    `  ${' '.repeat(width)}   names (a letter or _, then letters, digits and _; else E018)`,
    `  ${' '.repeat(width)}   and the error productions`,
    `  ${'LINE_WORD'.padEnd(width)} = WORD | a statement keyword`,
    `  ${' '.repeat(width)}   what an unknown statement swallows up to the end of its line`,
    '',
    'Keywords are case-sensitive and reserved: a NAME never spells one, but a longer',
    'word that starts with one is a NAME (`stages`, `conv2`, `Stage`), as is a',
    'COMPACT run on into letters (`k3x`, `e1e5`). A family or variant name is a WORD,',
    'so an option keyword can be one (`variant min`); a statement keyword cannot.',
    'Statement keywords (begin a statement):',
    ...wrap([...statementWords], '  '),
    'Option keywords (only inside a statement):',
    ...wrap(optionWords, '  '),
    '',
    'Skipped between tokens (regular expressions, quoted):',
    ...skipped.map((t) => `  ${t.name.padEnd(lexWidth)} ${regexOf(t)}`),
    'Lexed only to be reported (E001, one error each):',
    ...malformed.map((t) => `  ${t.name.padEnd(lexWidth)} ${regexOf(t)}`),
    'Line breaks are \\r\\n, \\r or \\n.',
    '',
    'Statements need no terminator. A statement\'s options and attributes (the',
    'repeated normOption, roundOption, seOption, attribute and classifierOption)',
    'must be on the line of its keyword: the parser gates those repetitions on that',
    'line (the rules below do not show the gate), so a word on the next line starts',
    'the next statement. Braces and whole statements may be laid out freely: several',
    'statements may share a line, and `{` and `}` may stand on any line.',
  ];
  return comment(lines.join('\n'));
}

/** grammar/effnet.ebnf: every parser rule, in the order the parser defines them. */
export function grammarEbnf(): string {
  const rules = Object.values(effnetParser().getGAstProductions());
  const out = [header()];
  for (const rule of rules) {
    const note = ERROR_PRODUCTIONS[rule.name];
    out.push((note ? comment(note) + '\n' : '') + printRule(rule));
  }
  return out.join('\n\n') + '\n';
}
