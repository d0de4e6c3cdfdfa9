import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileSource } from '../src/compile/compile.js';
import { scan } from '../src/lexer/scan.js';
import { formatSpec } from '../src/format/format.js';
import { randomSpec } from './support/random-spec.js';

// The spec printer (`effnet fmt`): canonical layout, idempotent, and never a
// change of meaning: the IR before equals the IR after, comments are all kept.

const root = fileURLToPath(new URL('..', import.meta.url));
const corpus = (dir: string) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.effnet'))
    .sort()
    .map((f) => ({ file: `${dir}/${f}`, text: readFileSync(join(root, dir, f), 'utf8') }));
const shipped = corpus('specs');
const broken = corpus('test/broken');

const format = (text: string, file = 'spec.effnet'): string => {
  const r = formatSpec(text, file);
  if (!r.ok) throw new Error(`${file}: ${r.diagnostics.map((d) => `${d.code} ${d.message}`).join('; ')}`);
  return r.text;
};

/** The family IR without source positions (layout moves them; nothing else may change). */
const ir = (text: string, file = 'spec.effnet'): string =>
  JSON.stringify(compileSource(text, file, { irOnly: true }).family, (k, v) => (k === 'range' || k === 'ranges' || k.endsWith('Range') ? undefined : v));

/** Comments in text order, found independently of the printer (no spec token holds a `/`). */
const comments = (text: string): string[] => [...text.matchAll(/\/\/[^\n\r]*|\/\*[\s\S]*?\*\//g)].map((m) => m[0].replace(/\r\n?/g, '\n'));

const codes = (text: string, file: string) => compileSource(text, file, { irOnly: true }).diagnostics.map((d) => d.code);

describe('fmt on the shipped specs', () => {
  it('finds every spec', () => {
    expect(shipped.length).toBeGreaterThanOrEqual(14);
  });

  for (const { file, text } of shipped) {
    it(`${file}: idempotent, same IR, every comment kept`, () => {
      const once = format(text, file);
      expect(format(once, file)).toBe(once);
      expect(ir(once, file)).toBe(ir(text, file));
      expect(compileSource(once, file).diagnostics).toEqual([]);
      expect(comments(once)).toEqual(comments(text));
      // Only layout changes: the same words in the same order.
      expect(once.split(/\s+/).join(' ')).toBe(text.split(/\s+/).join(' '));
    });
    it(`${file} is formatted (run \`effnet fmt --write\`)`, () => expect(format(text, file)).toBe(text));
  }
});

describe('fmt on the broken-spec corpus', () => {
  const parseable = broken.filter((b) => formatSpec(b.text, b.file).ok);

  it('formats every spec without syntax errors and refuses the others', () => {
    for (const b of broken) {
      const r = formatSpec(b.text, b.file);
      const syntax = compileSource(b.text, b.file, { irOnly: true }).diagnostics.some((d) => ['E001', 'E002', 'E004', 'E005'].includes(d.code));
      expect(r.ok, b.file).toBe(!syntax);
    }
    // Most of the corpus is semantic errors: the formatter must handle them.
    expect(parseable.length).toBeGreaterThan(broken.length / 2);
    expect(broken.length - parseable.length).toBeGreaterThanOrEqual(10);
  });

  it('is idempotent on the parseable ones and keeps their diagnostics and comments', () => {
    for (const { file, text } of parseable) {
      const once = format(text, file);
      expect(format(once, file), file).toBe(once);
      expect(codes(once, file), file).toEqual(codes(text, file));
      expect(ir(once, file), file).toBe(ir(text, file));
      expect(comments(once), file).toEqual(comments(text));
    }
  });
});

/** A deterministic generator from a seed (mulberry32). */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n);
  };
}

/**
 * The same spec laid out carelessly: random indentation, spacing and tabs, and with `extras`
 * blank lines and comments at line ends, between tokens and on lines of their own. Every
 * statement stays on its keyword's line, so the spec means the same.
 */
function scramble(text: string, seed: number, extras = true): string {
  const pick = prng(seed);
  const maybe = (oneIn: number) => extras && pick(oneIn) === 0;
  let n = 0;
  const space = () => [' ', '  ', '\t', '   '][pick(4)]!;
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (maybe(4)) out.push('');
    if (maybe(5)) out.push(`${space()}// own ${n++}`);
    if (maybe(12)) out.push(`${space()}/* own ${n++}\n   over two lines */`);
    const words = line.trim().split(' ').map((w) => (maybe(8) ? `/* in ${n++} */${space()}${w}` : w));
    out.push(space().repeat(pick(3)) + words.join(space()) + (maybe(4) ? `${space()}// end ${n++}` : pick(6) === 0 ? ' ' : ''));
  }
  return out.join(pick(3) === 0 ? '\r\n' : '\n') + '\n';
}

describe('fmt on random specs', () => {
  it('is idempotent, keeps the IR and every comment', () => {
    fc.assert(
      fc.property(randomSpec({ maxStages: 5 }), fc.integer(), (spec, seed) => {
        const messy = scramble(spec.text, seed);
        const once = format(messy);
        expect(format(once)).toBe(once);
        expect(ir(once)).toBe(ir(spec.text));
        expect(ir(messy)).toBe(ir(spec.text));
        expect(comments(once)).toEqual(comments(messy));
        expect(once).not.toMatch(/[ \t]\n|\r|\n\n\n/);
      }),
      { numRuns: 150 },
    );
  });

  it('lays out a spec one way whatever its spacing', () => {
    fc.assert(
      fc.property(randomSpec({ maxStages: 4 }), fc.integer(), (spec, seed) => {
        expect(format(scramble(spec.text, seed, false))).toBe(format(spec.text));
      }),
      { numRuns: 100 },
    );
  });
});

/** Token images in order: what the parser sees, layout aside. */
const tokenImages = (text: string) => scan(text).tokens.map((t) => t.image);

// Wild specs: any words in any order, broken over lines anywhere, comments of every kind
// anywhere (inside statements too). Those that parse must keep their tokens, their statements
// (same diagnostics, same IR) and their comments.
const WORDS = ['input', 'channels', 'classes', 'stage', 'then', 'stem', 'head', 'conv', 'none', 'mbconv', 'ds_conv', 'k3', 'k3.5', 's2', 'e6', 'c16', 'n2',
  'se', 'act', 'relu', 'skip', 'off', 'mid', 'width', 'depth', 'resolution', 'dropout', 'norm', 'batch', 'eps', 'momentum', 'round', 'repeats', 'ceil',
  'compound', 'alpha', 'beta', 'gamma', 'features', 'classifier', 'hidden', 'fixed_width', '1', '0.25', '1e-3', '224', 'x'];
const SEPARATORS = [' ', ' ', ' ', '  ', '\n', '\n\n\n', ' /* c */ ', ' // c\n', '\n  // own\n', '\n/* a\n b */\n', ' /* x\ny */ ', '\t'];
const wild = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 6 }) },
      { weight: 1, arbitrary: fc.array(fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 4 }), { maxLength: 3 }).map((body) => ['variant', 'v', '{', ...body.flat(), '}']) },
    ),
    { maxLength: 8 },
  )
  .chain((items) => {
    const words = ['family', 'f', '{', ...items.flat(), '}'];
    return fc.array(fc.constantFrom(...SEPARATORS), { minLength: words.length + 1, maxLength: words.length + 1 }).map((seps) => seps[0]!.trimStart() + words.map((w, i) => w + seps[i + 1]).join(''));
  });

describe('fmt on wild specs', () => {
  it('keeps tokens, statements and comments of whatever parses, and is idempotent', () => {
    let parsed = 0;
    fc.assert(
      fc.property(wild, (text) => {
        const r = formatSpec(text, 'w.effnet');
        if (!r.ok) return;
        parsed++;
        const once = r.text;
        expect(format(once, 'w.effnet')).toBe(once);
        expect(tokenImages(once)).toEqual(tokenImages(text));
        expect(codes(once, 'w.effnet')).toEqual(codes(text, 'w.effnet'));
        expect(ir(once, 'w.effnet')).toBe(ir(text, 'w.effnet'));
        expect(comments(once)).toEqual(comments(text));
      }),
      { numRuns: 600 },
    );
    // Enough of them parse for the property to mean something.
    expect(parsed).toBeGreaterThan(80);
  });
});

describe('the canonical layout', () => {
  it('aligns stage tables by attribute, pads stem/then/head, keeps numbers as written', () => {
    const text = [
      'family   t {',
      'input channels 3',
      '    norm batch eps 1e-5 momentum 0.10',
      'stem conv k3 s2 c32',
      'stage ds_conv k3 s1 c16 n1',
      'stage   mbconv e6 k3.5 s2 c24 n2 se 0.25',
      'then mbconv e6 k5 s1 c24 se 0.25 act relu',
      '  head conv k1 c1280',
      '',
      '',
      '',
      'variant a { width 1. depth 1.0 resolution 224 }',
      'variant bb { width 1.25 resolution 240 dropout .3 }',
      '}',
    ].join('\n');
    expect(format(text)).toBe(
      [
        'family t {',
        '  input channels 3',
        '  norm batch eps 1e-5 momentum 0.10',
        '  stem  conv k3 s2 c32',
        '  stage ds_conv    k3   s1 c16 n1',
        '  stage mbconv  e6 k3.5 s2 c24 n2 se 0.25',
        '  then  mbconv  e6 k5   s1 c24    se 0.25 act relu',
        '  head  conv k1 c1280',
        '',
        '  variant a  { width 1.   depth 1.0 resolution 224 }',
        '  variant bb { width 1.25           resolution 240 dropout .3 }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('starts a new table where two rows order their attributes differently', () => {
    const text = 'family t {\n  stage mbconv k3 s1 c8 n1\n  stage mbconv k5 s2 c16 n2\n  stage mbconv s1 k3.5 c8\n  stage mbconv s2 k5 c16\n}\n';
    expect(format(text)).toBe('family t {\n  stage mbconv k3 s1 c8  n1\n  stage mbconv k5 s2 c16 n2\n  stage mbconv s1 k3.5 c8\n  stage mbconv s2 k5   c16\n}\n');
  });

  it('keeps comments where they were: own lines indented, line ends aligned, inline ones inline', () => {
    const text = [
      '// About t.',
      'family t { // the family',
      '  // settings',
      'input channels 3 // RGB',
      'classes 10 /* ten */',
      '      /* multi',
      '   line */',
      '  stem conv k3 /* odd */ s2 c8',
      '  stage mbconv e1 k3 s1 c8',
      '',
      '',
      '  // variants',
      '  variant a { resolution 32 }   // tiny',
      '  // last',
      '}',
      '// after',
    ].join('\n');
    expect(format(text)).toBe(
      [
        '// About t.',
        'family t {  // the family',
        '  // settings',
        '  input channels 3  // RGB',
        '  classes 10        /* ten */',
        '  /* multi',
        '   line */',
        '  stem  conv k3 /* odd */ s2 c8',
        '  stage mbconv e1 k3 s1 c8',
        '',
        '  // variants',
        '  variant a { resolution 32 }  // tiny',
        '  // last',
        '}',
        '// after',
        '',
      ].join('\n'),
    );
  });

  it('expands multi-line variants, keeps one-line ones, writes an empty block as {}', () => {
    const text = 'family t {\n  variant a { width 1.0\n  resolution 32 }\n  variant b {\n\n  }\n  variant c { resolution 32 }\n}';
    expect(format(text)).toBe('family t {\n  variant a {\n    width 1.0\n    resolution 32\n  }\n  variant b {}\n  variant c { resolution 32 }\n}\n');
  });

  it('keeps a statement split by a comment split, and a keyword apart from options on a later line', () => {
    // `k3` on the line after `stage` is not that stage's attribute: it must not join it.
    const text = 'family t {\n  stage\n  mbconv k3\n  input // why\n  channels 3\n}\n';
    const once = format(text);
    expect(once).toBe('family t {\n  stage mbconv\n  k3\n  input  // why\n    channels 3\n}\n');
    expect(codes(once, 'spec.effnet')).toEqual(codes(text, 'spec.effnet'));
    expect(ir(once)).toBe(ir(text));
  });

  it('keeps a byte-order mark and writes line feeds', () => {
    expect(format('\ufefffamily t {\r\n  input channels 3\r\n}\r\n')).toBe('\ufefffamily t {\n  input channels 3\n}\n');
  });

  it('refuses a spec with syntax errors, with the compiler\'s diagnostics', () => {
    const r = formatSpec('family t {\n  stage mbconv k3;\n}\n', 'bad.effnet');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics.map((d) => [d.code, d.file, d.range.start.line, d.range.start.column])).toEqual([['E001', 'bad.effnet', 2, 18]]);
    expect(formatSpec('# comment\nfamily t {\n}\n', 'x').ok).toBe(false);
    expect(formatSpec('family t {\n  /* open\n}\n', 'x').ok).toBe(false);
  });
});
