import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { allTokens, createLexer } from '../src/lexer/tokens.js';
import { EffnetParser } from '../src/parser/parser.js';
import { root, runLogged } from './support/imports.js';

// The shipped lexer and parser skip Chevrotain's checks of their definitions to start
// faster (issue 15, item 5); the checks run here instead, so a grammar change that breaks
// them still fails. And the CLI loads Chevrotain as its one bundled file, not its module tree.

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
    expect(images(lexer)).toEqual(images(createLexer()));
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
