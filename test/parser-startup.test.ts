import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TokenType } from 'chevrotain';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createToken, Lexer } from '../src/lexer/chevrotain.js';
import { scan } from '../src/lexer/scan.js';
import { allTokens, createLexer, Identifier } from '../src/lexer/tokens.js';
import { fuzzParams } from './support/fuzz-budget.js';
import { EffnetParser } from '../src/parser/parser.js';
import { root, runLogged } from './support/imports.js';

// The parser skips Chevrotain's checks of its definition to start faster (issue 15, item 5),
// and specs are lexed by scan.ts instead of a Chevrotain Lexer built at every start-up; the
// checks run here instead, and scan.ts is held to Chevrotain's Lexer of the same tokens, so a
// grammar or token change that breaks either still fails. And the CLI loads Chevrotain as its
// one bundled file, not its module tree.

afterEach(() => {
  vi.restoreAllMocks();
});

describe("Chevrotain's definition checks", () => {
  it('pass for the lexer: no error (it would throw) and no warning', () => {
    const warn = vi.spyOn(console, 'warn');
    const lexer = createLexer({ validate: true });
    expect(lexer.lexerDefinitionErrors).toEqual([]);
    expect(warn).not.toHaveBeenCalled();
    // The validated lexer reads a spec as the shipped one does.
    const text = 'family f {\n  stage mbconv k3 s2 e6 c24 n2 expand_from 8 // x\n}\n';
    const images = (l: typeof lexer) => l.tokenize(text).tokens.map((t) => `${t.tokenType.name}:${t.image}`);
    expect(images(lexer)).toEqual(scan(text).tokens.map((t) => `${t.tokenType.name}:${t.image}`));
    expect(images(lexer)).toEqual([
      'Kw_family:family', 'Identifier:f', 'LCurly:{',
      'Kw_stage:stage', 'Identifier:mbconv', 'Compact:k3', 'Compact:s2', 'Compact:e6', 'Compact:c24', 'Compact:n2', 'Kw_expand_from:expand_from', 'NumberLiteral:8',
      'RCurly:}',
    ]);
  });

  it('pass for the parser: ambiguities, left recursion and the rest (it would throw)', () => {
    const warn = vi.spyOn(console, 'warn');
    const parser = new EffnetParser({ validate: true });
    expect(Object.keys(parser.getGAstProductions())).toContain('spec');
    expect(warn).not.toHaveBeenCalled();
  });

  it('keywords are literal strings that a longer name still wins over', () => {
    const family = allTokens.find((t) => t.name === 'Kw_family')!;
    expect(family.PATTERN).toBe('family');
    expect(createLexer().tokenize('families family').tokens.map((t) => t.tokenType.name)).toEqual(['Identifier', 'Kw_family']);
  });
});

/**
 * The token types again without `start_chars_hint`: Chevrotain works the start characters out from the patterns.
 * `line_breaks` stays (Chevrotain cannot tell that a negated set such as `[^*]` takes a line break); the tests below hold the `false` ones to the text.
 */
function unhinted(): TokenType[] {
  const copies = new Map<string, TokenType>();
  const copy = (t: TokenType): TokenType => {
    const made = copies.get(t.name);
    if (made) return made;
    const config = {
      name: t.name,
      pattern: t.PATTERN!,
      ...(t.GROUP !== undefined ? { group: t.GROUP } : {}),
      ...(t.LABEL !== undefined ? { label: t.LABEL } : {}),
      ...(t.CATEGORIES?.length ? { categories: t.CATEGORIES.map(copy) } : {}),
      ...(t.LONGER_ALT ? { longer_alt: copy(t.LONGER_ALT as TokenType) } : {}),
      ...(t.LINE_BREAKS !== undefined ? { line_breaks: t.LINE_BREAKS } : {}),
    };
    const c = createToken(config);
    copies.set(t.name, c);
    return c;
  };
  copy(Identifier); // the keywords' longer alternative, made before them
  return allTokens.map(copy);
}

describe("scan.ts, the lexer specs go through, against Chevrotain's Lexer of the same tokens", () => {
  // Chevrotain's, working out where each pattern can start itself (the hints are what scan.ts dispatches on) …
  const derived = new Lexer(unhinted(), { positionTracking: 'onlyStart', ensureOptimizations: true });
  // … and of the very token types (the parser matches tokens by their index).
  const same = createLexer();
  type Lexed = ReturnType<typeof scan>;
  const shape = (r: Lexed, idx = false) => {
    const tokens = (ts: Lexed['tokens']) => ts.map((t) => [t.tokenType.name, t.image, t.startOffset, t.startLine, t.startColumn, ...(idx ? [t.tokenTypeIdx] : [])]);
    return { tokens: tokens(r.tokens), groups: Object.fromEntries(Object.entries(r.groups).map(([g, ts]) => [g, tokens(ts)])), errors: r.errors.map((e) => [e.offset, e.length, e.line, e.column]) };
  };
  const agree = (text: string, what?: string) => {
    expect(shape(scan(text)), what).toEqual(shape(derived.tokenize(text)));
    expect(shape(scan(text), true), what).toEqual(shape(same.tokenize(text), true));
  };

  it('every pattern that is a RegExp carries both hints', () => {
    const missing = allTokens.filter((t) => t.PATTERN instanceof RegExp && t.PATTERN !== Lexer.NA && (!Array.isArray(t.START_CHARS_HINT) || t.LINE_BREAKS === undefined)).map((t) => t.name);
    expect(missing).toEqual([]);
  });

  // Every character a token starts with or ends at, line breaks of each kind, and a few that none takes.
  const alphabet = [...'azAZ_ksecn09.-+eE{}/*#\n\r\t @é', '\r\n', '/*', '*/', '//', 'k3', '1e-3', 'family', 'families', 'expand_from'];
  // 'max': lengths up to 300 units (fast-check's default size keeps strings to a few units).
  const text = fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 300, size: 'max' });

  it("each RegExp's matches, wherever they start, begin with a hinted character and span lines only where it says so", () => {
    const patterns = allTokens.filter((t) => t.PATTERN instanceof RegExp && t.PATTERN !== Lexer.NA);
    fc.assert(
      fc.property(text, (s) => {
        for (const t of patterns) {
          const re = new RegExp((t.PATTERN as RegExp).source, 'y');
          for (let at = 0; at < s.length; at++) {
            re.lastIndex = at;
            const m = re.exec(s)?.[0];
            if (!m) continue;
            expect(t.START_CHARS_HINT, `${t.name} ${JSON.stringify(m)}`).toContain(m[0]);
            if (t.LINE_BREAKS === false) expect(m, t.name).not.toMatch(/[\r\n]/);
          }
        }
      }),
      fuzzParams(200),
    );
  });

  it('lexes every spec of the repository alike: shipped, examples, the hostile corpus', () => {
    const specs = ['specs', 'examples', 'test/hostile'].flatMap((dir) =>
      readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.effnet')).map((f) => join(dir, f)),
    );
    expect(specs.length).toBeGreaterThan(20);
    for (const f of specs) agree(readFileSync(join(root, f), 'utf8'), f);
  });

  it('lexes random text alike: tokens, lines and columns, the malformed group, errors', () => {
    fc.assert(
      fc.property(text, (s) => agree(s)),
      fuzzParams(300),
    );
  });

  it('lexes edge cases alike', () => {
    for (const s of ['', '\r', '\r\r\n\n', 'é', 'éé family', '/* a\r\n b */ c', '/* never closed\n x', '# hash\nfamily', 'family_x familyx family', 'k3.5.7 k3.a 1.e5 -.5 - .', '\u2028x', '{}{'])
      agree(s, JSON.stringify(s));
  });
});

describe('what `effnet check` loads of Chevrotain', () => {
  it('its one bundled file, not its module tree and lodash-es', () => {
    expect(existsSync(join(root, 'dist/src/cli/main.js')), 'run `npm run build` first').toBe(true);
    const r = runLogged(['check', 'specs/efficientnet.effnet'], root);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('ok specs/efficientnet.effnet: family efficientnet, 10 variants\n');
    const chevrotain = r.modules.filter((m) => /node_modules\/(@chevrotain|chevrotain|lodash-es)\//.test(m)).map((m) => m.replace(/^.*node_modules\//, ''));
    expect(chevrotain).toEqual(['chevrotain/lib/chevrotain.mjs']);
  });
});

describe('imports of Chevrotain in src/', () => {
  it('take values from the one bundled copy (src/lexer/chevrotain.ts), only types from the package', () => {
    const src = join(root, 'src');
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const valueImports = files.flatMap((f) => {
      const text = readFileSync(join(src, f), 'utf8');
      return [...text.matchAll(/^import (?!type )[^;]*?from 'chevrotain';/gms)].map(() => f);
    });
    expect(files.length).toBeGreaterThan(100);
    expect(valueImports).toEqual([]);
  });
});
