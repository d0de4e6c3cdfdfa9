import type { TokenType } from 'chevrotain';
import { createToken, Lexer } from './chevrotain.js';

// Statements need no terminator: a statement's options continue only on its
// keyword's line (the parser gates them), so layout between statements is free.

// Every RegExp token says which characters it can start with (`start_chars_hint`) and whether
// it can span lines (`line_breaks`): scan.ts, the lexer specs go through, dispatches on both
// (Chevrotain's Lexer would work them out by parsing each pattern). test/parser-startup.test.ts
// holds each pattern to its hints.
const chars = (s: string): string[] => [...s];
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_';
const DIGITS = '0123456789';

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED, start_chars_hint: chars(' \t\r\n'), line_breaks: true });
export const LineComment = createToken({ name: 'LineComment', pattern: /\/\/[^\n\r]*/, group: Lexer.SKIPPED, start_chars_hint: ['/'], line_breaks: false });
export const BlockComment = createToken({
  name: 'BlockComment',
  pattern: /\/\*[^*]*\*+(?:[^/*][^*]*\*+)*\//,
  group: Lexer.SKIPPED,
  start_chars_hint: ['/'],
  line_breaks: true,
});

/** Lexed only to be diagnosed (parse.ts): a `/*` never closed, a `#` comment. */
export const UnterminatedComment = createToken({ name: 'UnterminatedComment', pattern: /\/\*[\s\S]*/, group: 'malformed', start_chars_hint: ['/'], line_breaks: true });
export const HashComment = createToken({ name: 'HashComment', pattern: /#[^\n\r]*/, group: 'malformed', start_chars_hint: ['#'], line_breaks: false });

/** Any token that can stand as an argument: the parser's error productions consume these. */
export const Word = createToken({ name: 'Word', pattern: Lexer.NA });
/** Any word of a line, statement keywords included: what an unknown statement swallows up to its line's end. */
export const LineWord = createToken({ name: 'LineWord', pattern: Lexer.NA });

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, categories: [Word, LineWord], start_chars_hint: chars(LETTERS), line_breaks: false });

/** timm-style compact attributes: k3 (kernel) s2 (stride) e6 (expand) c24 (channels) n2 (repeats); k3.5.7 (mixed kernels). */
export const Compact = createToken({
  name: 'Compact',
  pattern: /[ksecn]\d+(?:\.\d+)*/,
  longer_alt: Identifier,
  categories: [Word, LineWord],
  start_chars_hint: chars('ksecn'),
  line_breaks: false,
});

export const NumberLiteral = createToken({
  name: 'NumberLiteral',
  pattern: /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/,
  categories: [Word, LineWord],
  start_chars_hint: chars('-.' + DIGITS),
  line_breaks: false,
});

// One character as a string: Chevrotain reads a string pattern's first character and line breaks.
export const LCurly = createToken({ name: 'LCurly', pattern: '{', label: "'{'" });
export const RCurly = createToken({ name: 'RCurly', pattern: '}', label: "'}'" });

const keywords: TokenType[] = [];
let optionKeywords = false;
function keyword(word: string): TokenType {
  const name = 'Kw_' + word;
  const categories = optionKeywords ? [Word, LineWord] : [LineWord];
  // A string pattern, not a RegExp: Chevrotain then reads the first character and the
  // absence of line breaks off the string instead of parsing a regular expression each.
  const t = createToken({ name, pattern: word, longer_alt: Identifier, label: `'${word}'`, categories });
  keywords.push(t);
  return t;
}

// Statement keywords (start a statement).
export const Family = keyword('family');
export const Variant = keyword('variant');
export const CompoundKw = keyword('compound');
export const Input = keyword('input');
export const Classes = keyword('classes');
export const ActivationKw = keyword('activation');
export const Norm = keyword('norm');
export const Padding = keyword('padding');
export const Naming = keyword('naming');
export const Round = keyword('round');
export const Se = keyword('se');
export const Stem = keyword('stem');
export const Stage = keyword('stage');
export const Then = keyword('then');
export const Head = keyword('head');
export const Classifier = keyword('classifier');
export const DropPath = keyword('drop_path');
export const Width = keyword('width');
export const Depth = keyword('depth');
export const Resolution = keyword('resolution');
export const Phi = keyword('phi');
export const Dropout = keyword('dropout');
export const OutputStride = keyword('output_stride');
export const Features = keyword('features');
export const Preprocess = keyword('preprocess');

// Option keywords (only inside a statement): they are Words, so a stray one is
// absorbed by the parser's error productions instead of derailing the parse.
optionKeywords = true;
export const Alpha = keyword('alpha');
export const Beta = keyword('beta');
export const Gamma = keyword('gamma');
export const Channels = keyword('channels');
export const Batch = keyword('batch');
export const Eps = keyword('eps');
export const Momentum = keyword('momentum');
export const Divisor = keyword('divisor');
export const Min = keyword('min');
export const Limit = keyword('limit');
export const Repeats = keyword('repeats');
export const Squeeze = keyword('squeeze');
export const From = keyword('from');
export const Act = keyword('act');
export const Gate = keyword('gate');
export const Conv = keyword('conv');
export const Hidden = keyword('hidden');
export const None = keyword('none');
export const Mid = keyword('mid');
export const ExpandFrom = keyword('expand_from');
export const Skip = keyword('skip');
export const FixedWidth = keyword('fixed_width');
export const FixedDepth = keyword('fixed_depth');
export const GrowOnly = keyword('grow_only');
export const KeepExpand = keyword('keep_expand');
export const Groups = keyword('groups');
export const GroupSize = keyword('group_size');
export const Dilation = keyword('dilation');
export const ExpandSplit = keyword('expand_split');
export const ProjectSplit = keyword('project_split');
export const Resize = keyword('resize');
export const Crop = keyword('crop');
export const CropPct = keyword('crop_pct');
export const Mean = keyword('mean');
export const Std = keyword('std');

/** Stage attributes written as a keyword and a number (`mid 96`, `groups 2`). */
export const NUMBER_ATTRIBUTES: readonly TokenType[] = [Mid, ExpandFrom, Groups, GroupSize, Dilation, ExpandSplit, ProjectSplit];

/** Keywords that begin a statement: used for "did you mean" hints. */
export const STATEMENT_KEYWORDS = [
  'family', 'variant', 'compound', 'input', 'classes', 'activation', 'norm', 'padding', 'naming', 'round', 'se',
  'stem', 'stage', 'then', 'head', 'classifier', 'drop_path', 'width', 'depth', 'resolution', 'phi', 'dropout',
  'output_stride', 'features', 'preprocess',
] as const;

/** Longest keywords first so that e.g. `expand_from` is never cut short by a prefix. */
const keywordsLongestFirst = [...keywords].sort(
  (a, b) => String(b.PATTERN).length - String(a.PATTERN).length,
);

export const KEYWORDS: readonly TokenType[] = keywords;

export const allTokens: TokenType[] = [
  Word,
  LineWord,
  WhiteSpace,
  LineComment,
  BlockComment,
  UnterminatedComment,
  HashComment,
  LCurly,
  RCurly,
  NumberLiteral,
  Compact,
  ...keywordsLongestFirst,
  Identifier,
];

/**
 * Chevrotain's lexer of these tokens: what scan.ts, the lexer specs go through, is held to
 * (test/parser-startup.test.ts). Start positions only, as scan.ts: a token's end follows from
 * its image (parse.ts tokenRange). `validate` runs Chevrotain's checks of the definitions.
 */
export function createLexer({ validate = false }: { validate?: boolean } = {}): Lexer {
  return new Lexer(allTokens, { positionTracking: 'onlyStart', ensureOptimizations: false, skipValidations: !validate });
}

/** How a token type reads in a message: `stage`, `{`, a number, a name. */
export function describeToken(t: TokenType): string {
  switch (t.name) {
    case 'Identifier':
      return 'a name';
    case 'NumberLiteral':
      return 'a number';
    case 'Compact':
      return 'an attribute such as `k3`';
    case 'Word':
      return 'a name';
    case 'EOF':
      return 'end of input';
    default:
      return '`' + (t.LABEL ?? t.name).replace(/^'|'$/g, '') + '`';
  }
}
