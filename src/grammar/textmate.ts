import { BLOCK_ALIASES, BLOCK_TYPES } from '../blocks/registry.js';
import { ACTIVATION_ALIASES, ACTIVATIONS } from '../ir/ir.js';
import * as T from '../lexer/tokens.js';

// grammar/effnet.tmLanguage.json: a TextMate grammar for editors (VS Code,
// Sublime, GitHub's linguist, Shiki). Every word list comes from the lexer or
// the IR, so a new keyword, block type or activation shows up here on the next
// `npm run grammar`.
//
// The regexes stay inside the subset shared by Oniguruma and JavaScript, so
// test/grammar.test.ts can run them.

const escape = (w: string): string => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `a|b|c`, longest words first so that no word is cut short by a prefix. */
function alternatives(list: readonly string[]): string {
  const sorted = [...new Set(list)].sort((a, b) => b.length - a.length || (a < b ? -1 : a > b ? 1 : 0));
  return sorted.map(escape).join('|');
}

/** `\b(?:a|b|c)\b`: whole words only. */
const words = (list: readonly string[]): string => '\\b(?:' + alternatives(list) + ')\\b';

/** The word a keyword token matches (`Kw_drop_path` → `drop_path`). */
const keywordWord = (t: (typeof T.KEYWORDS)[number]): string =>
  t.PATTERN instanceof RegExp ? t.PATTERN.source : String(t.PATTERN);

export interface TextMateRule {
  name?: string;
  match?: string;
  begin?: string;
  end?: string;
  captures?: Record<string, { name: string }>;
  beginCaptures?: Record<string, { name: string }>;
  endCaptures?: Record<string, { name: string }>;
  patterns?: TextMateRule[];
  include?: string;
  comment?: string;
}

export interface TextMateGrammar {
  $schema: string;
  name: string;
  scopeName: string;
  fileTypes: string[];
  comment: string;
  patterns: TextMateRule[];
  repository: Record<string, TextMateRule>;
}

export function textMateGrammar(): TextMateGrammar {
  const statementWords = new Set<string>(T.STATEMENT_KEYWORDS);
  const keywordWords = T.KEYWORDS.map(keywordWord);
  const optionWords = keywordWords.filter((w) => !statementWords.has(w));
  const blockWords = [...BLOCK_TYPES, ...Object.keys(BLOCK_ALIASES)];
  // `conv` and `none` are keywords too: `conv` is coloured as a block type only
  // after `stage`, `none` stays a keyword (as in `head none`).
  const blocksNotKeywords = blockWords.filter((w) => !keywordWords.includes(w));
  const activationWords = [...ACTIVATIONS, ...Object.keys(ACTIVATION_ALIASES)].filter((w) => !keywordWords.includes(w));
  const name = T.Identifier.PATTERN instanceof RegExp ? T.Identifier.PATTERN.source : '[A-Za-z_][A-Za-z0-9_]*';
  const number = T.NumberLiteral.PATTERN instanceof RegExp ? T.NumberLiteral.PATTERN.source : '\\d+';

  return {
    $schema: 'https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json',
    name: 'effnet',
    scopeName: 'source.effnet',
    fileTypes: ['effnet'],
    comment: 'GENERATED from src/lexer/tokens.ts and src/ir/ir.ts by `npm run grammar`: do not edit.',
    patterns: [
      { include: '#comments' },
      { include: '#declarations' },
      { include: '#stage' },
      { include: '#compact' },
      { include: '#numbers' },
      { include: '#block-types' },
      { include: '#activations' },
      { include: '#statement-keywords' },
      { include: '#option-keywords' },
      { include: '#braces' },
    ],
    repository: {
      comments: {
        patterns: [
          { name: 'comment.line.double-slash.effnet', match: '//.*$' },
          {
            name: 'comment.block.effnet',
            begin: '/\\*',
            end: '\\*/',
            beginCaptures: { '0': { name: 'punctuation.definition.comment.begin.effnet' } },
            endCaptures: { '0': { name: 'punctuation.definition.comment.end.effnet' } },
          },
        ],
      },
      declarations: {
        comment: '`family NAME` and `variant NAME`',
        match: `\\b(family|variant)\\b(?:\\s+(${name})\\b)?`,
        captures: {
          '1': { name: 'keyword.control.effnet' },
          '2': { name: 'entity.name.type.effnet' },
        },
      },
      stage: {
        comment: '`stage BLOCK`: the block type after `stage`, `conv` included',
        match: `\\b(stage)\\s+(${alternatives(blockWords)})\\b`,
        captures: {
          '1': { name: 'keyword.control.effnet' },
          '2': { name: 'support.type.block.effnet' },
        },
      },
      compact: {
        comment: 'Compact attributes: k3 (kernel), s2 (stride), e6 (expand), c24 (channels), n2 (repeats)',
        name: 'constant.other.attribute.effnet',
        match: '\\b([ksecn])(\\d+(?:\\.\\d+)?)\\b',
        captures: {
          '1': { name: 'variable.parameter.attribute.effnet' },
          '2': { name: 'constant.numeric.effnet' },
        },
      },
      numbers: {
        name: 'constant.numeric.effnet',
        match: `(?<![A-Za-z0-9_.])${number}(?![A-Za-z0-9_.])`,
      },
      'block-types': { name: 'support.type.block.effnet', match: words(blocksNotKeywords) },
      activations: { name: 'support.function.activation.effnet', match: words(activationWords) },
      'statement-keywords': { name: 'keyword.control.effnet', match: words([...statementWords]) },
      'option-keywords': { name: 'keyword.other.effnet', match: words(optionWords) },
      braces: {
        patterns: [
          { name: 'punctuation.section.block.begin.effnet', match: '\\{' },
          { name: 'punctuation.section.block.end.effnet', match: '\\}' },
        ],
      },
    },
  };
}

/** The grammar as written to grammar/effnet.tmLanguage.json. */
export function grammarTextMate(): string {
  return JSON.stringify(textMateGrammar(), null, 2) + '\n';
}
