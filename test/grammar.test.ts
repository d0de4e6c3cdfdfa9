import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { grammarDiagramsHtml } from '../src/grammar/diagrams.js';
import { grammarEbnf } from '../src/grammar/ebnf.js';
import { grammarTextMate, textMateGrammar, type TextMateRule } from '../src/grammar/textmate.js';
import { grammarFiles } from '../src/grammar/write.js';
import { BLOCK_ALIASES, BLOCK_TYPES } from '../src/blocks/registry.js';
import { ACTIVATION_ALIASES, ACTIVATIONS } from '../src/ir/ir.js';
import { scan } from '../src/lexer/scan.js';
import { BlockComment, KEYWORDS, LineComment, STATEMENT_KEYWORDS } from '../src/lexer/tokens.js';
import { effnetParser } from '../src/parser/parser.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const specDir = join(root, 'specs');
const specs = readdirSync(specDir)
  .filter((f) => f.endsWith('.effnet'))
  .sort()
  .map((f) => ({ file: f, text: readFileSync(join(specDir, f), 'utf8') }));

const ruleNames = Object.keys(effnetParser().getGAstProductions());
const keywordWords = KEYWORDS.map((k) => String(k.LABEL).replace(/^'|'$/g, ''));
const statementWords = new Set<string>(STATEMENT_KEYWORDS);

describe('committed grammar files', () => {
  it('equal freshly generated ones (run `npm run grammar` after changing the parser)', () => {
    for (const f of grammarFiles()) {
      const committed = readFileSync(join(root, f.path), 'utf8');
      expect(committed, `${f.path} is stale: run \`npm run grammar\``).toBe(f.content);
    }
  });

  it('are generated deterministically and end with a newline', () => {
    const a = grammarFiles();
    const b = grammarFiles();
    expect(a.map((f) => f.path)).toEqual(['grammar/effnet.ebnf', 'grammar/syntax-diagrams.html', 'grammar/effnet.tmLanguage.json', 'grammar/blocks.md']);
    expect(b).toEqual(a);
    for (const f of a) expect(f.content.endsWith('\n') && !f.content.endsWith('\n\n'), f.path).toBe(true);
  });
});

/** ISO EBNF comments; a quoted string inside one may hold `*)` (as in a regex). */
const EBNF_COMMENT = /\(\*(?:"[^"\n]*"|[^"*]|\*(?!\)))*\*\)/g;

describe('EBNF', () => {
  const ebnf = grammarEbnf();
  const definitions = [...ebnf.matchAll(/^(\w+) = /gm)].map((m) => m[1]!);

  it('is headed as generated from the parser', () => {
    expect(ebnf.startsWith('(* ')).toBe(true);
    expect(ebnf).toContain('GENERATED from src/parser/parser.ts by `npm run grammar`');
    expect(ebnf).toMatch(/do not edit/);
  });

  it('defines every parser rule, once, in the parser order', () => {
    expect(definitions).toEqual(ruleNames);
  });

  it('refers only to defined rules and token classes', () => {
    const body = ebnf.replace(EBNF_COMMENT, '').replace(/"[^"]*"/g, '');
    const used = new Set(body.match(/\b[A-Za-z_]\w*\b/g));
    for (const w of used) {
      expect(ruleNames.includes(w) || ['NAME', 'NUMBER', 'COMPACT', 'WORD', 'LINE_WORD'].includes(w), w).toBe(true);
    }
    for (const cls of ['NAME', 'NUMBER', 'COMPACT', 'WORD', 'LINE_WORD']) expect(ebnf, cls).toMatch(new RegExp(`^ {3,}${cls} += `, 'm'));
  });

  it('spells every keyword of the lexer as a terminal', () => {
    const body = ebnf.slice(ebnf.indexOf('\nspec = '));
    for (const w of keywordWords) expect(body, w).toContain(`"${w}"`);
    expect(body).not.toMatch(/Kw_/);
  });

  it('marks the error productions as recovery-only', () => {
    for (const rule of ['unknownStatement', 'unknownAttribute']) {
      expect(ebnf, rule).toMatch(new RegExp(`\\(\\* Error production: exists only for error recovery\\.[^*]*\\*\\)\\n${rule} = `));
    }
    expect(ebnf.match(/Error production/g)).toHaveLength(2);
  });

  it('says that options and attributes stay on their keyword\'s line, naming rules that exist', () => {
    const head = ebnf.slice(0, ebnf.indexOf('\nspec = '));
    expect(head).toContain('must be on the line of its keyword');
    expect(head).not.toMatch(/line breaks carry no meaning/);
    for (const rule of ['normOption', 'roundOption', 'seOption', 'attribute', 'classifierOption']) {
      expect(head, rule).toContain(rule);
      expect(ruleNames, rule).toContain(rule);
    }
  });

  it('has balanced comments (a quoted `*)` does not close one)', () => {
    const outside = ebnf.replace(EBNF_COMMENT, '');
    expect(outside).not.toMatch(/\(\*|\*\)/);
    expect(outside.trim().split('\n')[0]).toBe('spec = family ;');
  });
});

describe('syntax diagrams', () => {
  it('embed every rule of the parser', () => {
    const html = grammarDiagramsHtml();
    expect(html).toContain('<!DOCTYPE html>');
    expect(html).toContain('GENERATED from src/parser/parser.ts by `npm run grammar`');
    for (const r of ruleNames) expect(html, r).toContain(`"name": "${r}"`);
  });
});

// A small TextMate tokenizer: enough of the semantics (leftmost match wins,
// ties go to the earlier rule; begin/end spans lines; captures) to check the
// grammar against the real lexer.

type Scopes = string[][];

function flatten(rules: TextMateRule[], repo: Record<string, TextMateRule>): TextMateRule[] {
  return rules.flatMap((r) => {
    if (r.include) return flatten([repo[r.include.replace(/^#/, '')]!], repo);
    if (r.match === undefined && r.begin === undefined) return flatten(r.patterns ?? [], repo);
    return [r];
  });
}

function paint(scopes: Scopes, at: number, m: RegExpExecArray, name: string | undefined, captures: TextMateRule['captures']): void {
  const [start, end] = m.indices![0]!;
  if (name) for (let i = start; i < end; i++) scopes[at + i]!.push(name);
  for (const [group, { name: n }] of Object.entries(captures ?? {})) {
    const span = m.indices![Number(group)];
    if (span) for (let i = span[0]; i < span[1]; i++) scopes[at + i]!.push(n);
  }
}

function highlight(text: string): Scopes {
  const g = textMateGrammar();
  const rules = flatten(g.patterns, g.repository);
  const scopes: Scopes = Array.from({ length: text.length }, () => []);
  let open: TextMateRule | undefined;
  let lineStart = 0;
  for (const line of text.split('\n')) {
    let pos = 0;
    while (pos <= line.length) {
      if (open) {
        const end = new RegExp(open.end!, 'dg');
        end.lastIndex = pos;
        const m = end.exec(line);
        const stop = m ? m.index + m[0].length : line.length;
        for (let i = pos; i < stop; i++) scopes[lineStart + i]!.push(open.name!);
        if (!m) break;
        paint(scopes, lineStart, m, undefined, open.endCaptures);
        open = undefined;
        pos = stop;
        continue;
      }
      let best: { rule: TextMateRule; m: RegExpExecArray } | undefined;
      for (const rule of rules) {
        const re = new RegExp(rule.match ?? rule.begin!, 'dg');
        re.lastIndex = pos;
        const m = re.exec(line);
        if (m && (best === undefined || m.index < best.m.index)) best = { rule, m };
      }
      if (best === undefined) break;
      const { rule, m } = best;
      paint(scopes, lineStart, m, rule.name, rule.begin ? rule.beginCaptures : rule.captures);
      if (rule.begin) open = rule;
      pos = m.index + Math.max(1, m[0].length);
    }
    lineStart += line.length + 1;
  }
  return scopes;
}

/** The scope every character of a lexer token must carry; null: none at all. */
function expectedScope(type: string, image: string, previous: string | undefined): string | null {
  if (previous === 'Kw_family' || previous === 'Kw_variant') return 'entity.name.type.effnet';
  if (previous === 'Kw_stage' && ((BLOCK_TYPES as readonly string[]).includes(image) || image in BLOCK_ALIASES)) return 'support.type.block.effnet';
  switch (type) {
    case 'NumberLiteral':
      return 'constant.numeric.effnet';
    case 'Compact':
      return 'constant.other.attribute.effnet';
    case 'LCurly':
      return 'punctuation.section.block.begin.effnet';
    case 'RCurly':
      return 'punctuation.section.block.end.effnet';
    case 'Identifier':
      if ((BLOCK_TYPES as readonly string[]).includes(image) || image in BLOCK_ALIASES) return 'support.type.block.effnet';
      if ((ACTIVATIONS as readonly string[]).includes(image) || image in ACTIVATION_ALIASES) return 'support.function.activation.effnet';
      return null;
    default:
      if (type.startsWith('Kw_')) return statementWords.has(image) ? 'keyword.control.effnet' : 'keyword.other.effnet';
      throw new Error(`unexpected token type ${type}`);
  }
}

function checkHighlighting(text: string, file: string): void {
  const scopes = highlight(text);
  const lexed = scan(text);
  expect(lexed.errors, file).toEqual([]);
  let previous: string | undefined;
  for (const t of lexed.tokens) {
    const want = expectedScope(t.tokenType.name, t.image, previous);
    const where = `${file}:${t.startLine}:${t.startColumn} \`${t.image}\``;
    for (let i = t.startOffset; i <= t.endOffset!; i++) {
      if (want === null) expect(scopes[i], where).toEqual([]);
      else expect(scopes[i], where).toContain(want);
    }
    previous = t.tokenType.name;
  }
  // Comments, found with the lexer's own patterns, are comments throughout; nothing else is.
  const comments = new RegExp(`${(LineComment.PATTERN as RegExp).source}|${(BlockComment.PATTERN as RegExp).source}`, 'g');
  const inComment = new Set<number>();
  for (const m of text.matchAll(comments)) for (let i = m.index; i < m.index + m[0].length; i++) inComment.add(i);
  for (let i = 0; i < text.length; i++) {
    const isComment = scopes[i]!.some((s) => s.startsWith('comment.'));
    if (text[i] !== '\n') expect(isComment, `${file} offset ${i} (${JSON.stringify(text.slice(i, i + 12))})`).toBe(inComment.has(i));
  }
}

describe('TextMate grammar', () => {
  const json = JSON.parse(grammarTextMate()) as ReturnType<typeof textMateGrammar>;
  const repo = json.repository;

  it('parses as JSON and names the language', () => {
    expect(json.scopeName).toBe('source.effnet');
    expect(json.fileTypes).toEqual(['effnet']);
    expect(json).toEqual(textMateGrammar());
  });

  it('matches every keyword as a whole word, with the right scope', () => {
    const control = new RegExp(`^(?:${repo['statement-keywords']!.match})$`);
    const other = new RegExp(`^(?:${repo['option-keywords']!.match})$`);
    expect(repo['statement-keywords']!.name).toBe('keyword.control.effnet');
    expect(repo['option-keywords']!.name).toBe('keyword.other.effnet');
    for (const w of keywordWords) {
      expect(statementWords.has(w) ? control.test(w) : other.test(w), w).toBe(true);
      expect(statementWords.has(w) ? other.test(w) : control.test(w), w).toBe(false);
    }
    for (const w of ['stages', 'conv2', 'Stage', 'sex', 'x_stage']) {
      expect(new RegExp(repo['statement-keywords']!.match!).test(w), w).toBe(false);
      expect(new RegExp(repo['option-keywords']!.match!).test(w), w).toBe(false);
    }
  });

  it('knows every block type and activation', () => {
    const blocks = new RegExp(repo.stage!.match!);
    for (const b of [...BLOCK_TYPES, ...Object.keys(BLOCK_ALIASES)]) expect(blocks.test(`stage ${b} k3`), b).toBe(true);
    const acts = new RegExp(`^(?:${repo.activations!.match})$`);
    for (const a of [...ACTIVATIONS, ...Object.keys(ACTIVATION_ALIASES)].filter((a) => !keywordWords.includes(a))) expect(acts.test(a), a).toBe(true);
  });

  for (const { file, text } of specs) {
    it(`highlights specs/${file} as the lexer reads it`, () => {
      checkHighlighting(text, file);
      // Spelt out for the most common word: `stage` is a statement keyword.
      const scopes = highlight(text);
      const stages = scan(text).tokens.filter((t) => t.tokenType.name === 'Kw_stage');
      expect(stages.length).toBeGreaterThan(0);
      for (const t of stages) expect(scopes[t.startOffset]).toEqual(['keyword.control.effnet']);
    });
  }

  it('highlights the corners of the language', () => {
    const sample = [
      '/* a block comment',
      '   over lines: stage k3 */ family f { // a line comment with stage k3',
      '  activation swish /* inline */ padding same',
      '  round repeats round round channels divisor 8 min 8 limit 0.9',
      '  se squeeze from expanded divisor 8 act relu gate hard_sigmoid',
      '  stem conv k3 s2 c32 act none fixed_width',
      '  stage conv k3 s1 c24 n1 skip off',
      '  stage fused e4.5 k3 c48 n2 mid 96 expand_from 24 se 0.25 fixed_depth',
      '  stage ds k3x c16 e1e5',
      '  head none classifier dropout 0.2 hidden 512 act gelu',
      '  drop_path 0.2 width 1.0 depth 1.1 resolution 224 phi -1 dropout 1e-1',
      '  variant n2 { norm batch eps 1e-3 momentum 0.01 } variant lite0 { compound alpha 1.2 beta 1.1 gamma 1.15 }',
      '}',
    ].join('\n');
    checkHighlighting(sample, 'sample');
  });
});
