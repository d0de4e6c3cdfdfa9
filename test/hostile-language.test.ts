import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { compileFile, compileSource, type Compilation } from '../src/compile/compile.js';
import { DiagnosticSink, MAX_DIAGNOSTICS, type Diagnostic } from '../src/diagnostics/diagnostic.js';
import { printable, renderDiagnostic, renderDiagnostics } from '../src/diagnostics/render.js';
import { parseText } from '../src/parser/parse.js';
import { positionAt } from './support/positions.js';

// Hostile input to the language front end (issue 14, items 5–8 and 11):
// prototype words, blow-ups, names that cannot be folders, files that are not
// files, byte-order marks and terminal escapes.

const where = (d: Diagnostic): string => `${d.code} ${d.range.start.line}:${d.range.start.column}`;
const codes = (c: Compilation): string[] => c.diagnostics.map(where);

/** A small family that compiles clean; `extra` lines go before the variant. */
const spec = (extra = '', variants = '  variant a { resolution 32 }\n'): string =>
  `family tiny {\n  stem conv k3 s2 c8\n  stage mbconv e1 k3 s1 c8 n1\n  head conv k1 c16\n  classes 10\n${extra}${variants}}\n`;
/** Line 6: where `extra`'s first line lands. */
const EXTRA_LINE = 6;

const compile = (text: string, options = {}): Compilation => compileSource(text, 'hostile.effnet', options);

it('the base spec compiles clean', () => {
  const c = compile(spec());
  expect(codes(c)).toEqual([]);
  expect(c.graphs.map((g) => g.variant)).toEqual(['a']);
});

describe('item 7: words named like Object.prototype properties are unknown words', () => {
  const cases: [string, string, string][] = [
    ['  activation constructor\n', 'E011', 'activation `constructor`'],
    ['  activation __proto__\n', 'E011', 'activation `__proto__`'],
    ['  padding toString\n', 'E012', 'padding scheme `toString`'],
    ['  naming constructor\n', 'E012', 'naming scheme `constructor`'],
    ['  stage constructor k3 c8\n', 'E010', 'block type `constructor`'],
    ['  stage mbconv e1 k3 c8 act valueOf\n', 'E011', 'activation `valueOf`'],
    ['  stage mbconv e1 k3 c8 skip hasOwnProperty\n', 'E012', 'skip mode `hasOwnProperty`'],
    ['  round repeats constructor\n', 'E012', 'repeat rounding `constructor`'],
    ['  se squeeze from constructor\n', 'E012', 'squeeze source `constructor`'],
  ];
  for (const [line, code, what] of cases) {
    it(`${line.trim()} → ${code}`, () => {
      const c = compile(spec(line));
      expect(c.diagnostics.map((d) => d.code)).toEqual([code]);
      expect(c.diagnostics[0]!.message).toBe(`unknown ${what}`);
      expect(c.diagnostics[0]!.range.start.line).toBe(EXTRA_LINE);
      expect(c.graphs).toEqual([]);
    });
  }

  it('a statement or attribute named `constructor` is E003, and no hint prints a function', () => {
    for (const line of ['  constructor 3\n', '  toString\n', '  stage mbconv e1 k3 c8 constructor 3\n', '  stage mbconv e1 k3 c8 __proto__\n']) {
      const c = compile(spec(line));
      expect(c.diagnostics.map((d) => d.code), line).toEqual(['E003']);
      for (const d of c.diagnostics) expect(`${d.message} ${d.hint ?? ''}`, line).not.toMatch(/native code|function|\[object|undefined/);
    }
  });

  // Every position where a word is looked up in a table (names are not: `constructor` is a fine folder name).
  const positions = [
    'activation W',
    'padding W',
    'naming W',
    'round repeats W',
    'se squeeze from W',
    'se act W',
    'se gate W',
    'classifier act W',
    'stem conv k3 s2 c8 act W',
    'stage W k3 c8',
    'stage mbconv e1 k3 c8 act W',
    'stage mbconv e1 k3 c8 skip W',
    'stage mbconv e1 k3 c8 W',
    'stage mbconv e1 k3 c8 W 3',
    'W',
    'W 3',
  ];
  const words = Object.getOwnPropertyNames(Object.prototype);

  it('property: an Object.prototype name in any word position never lets check pass', () => {
    expect(words).toContain('constructor');
    expect(words).toContain('__proto__');
    fc.assert(
      fc.property(fc.constantFrom(...positions), fc.constantFrom(...words), (position, word) => {
        const line = '  ' + position.replace('W', word) + '\n';
        // A second `stem` would be a duplicate: the base's gives way to a comment (line numbers stay).
        const text = line.includes('stem conv') ? spec(line).replace('  stem conv k3 s2 c8\n', '  //\n') : spec(line);
        const c = compile(text);
        const errors = c.diagnostics.filter((d) => d.severity === 'error');
        expect(errors.length, line).toBeGreaterThan(0);
        expect(c.graphs, line).toEqual([]);
        // The error is on the word's line, and reads as text.
        expect(errors.some((d) => d.range.start.line === EXTRA_LINE), line).toBe(true);
        for (const d of c.diagnostics) expect(`${d.message} ${d.hint ?? ''}`, line).not.toMatch(/native code|\[object|undefined/);
      }),
      { numRuns: 400, seed: 14 },
    );
  });
});

describe('item 8: blow-ups end with a diagnostic', () => {
  it('a 250 KB single statement (125,000 words on one line) is one E003, not a stack overflow', () => {
    const c = compile(spec('  foo' + ' a'.repeat(125_000) + '\n'));
    expect(codes(c)).toEqual([`E003 ${EXTRA_LINE}:3`]);
    expect(c.diagnostics[0]!.message).toBe('unknown statement `foo`');
  });

  it('a stage line of 80,000 repeated attributes keeps 1,000 diagnostics and one E008 counting the rest', () => {
    const c = compile(spec('  stage mbconv e1 c8' + ' k3'.repeat(80_000) + '\n'));
    const e013 = c.diagnostics.filter((d) => d.code === 'E013');
    expect(e013).toHaveLength(MAX_DIAGNOSTICS);
    const e008 = c.diagnostics.filter((d) => d.code === 'E008');
    expect(e008.map((d) => d.message)).toEqual(['too many diagnostics; 78,999 more not collected']);
    expect(c.diagnostics).toHaveLength(MAX_DIAGNOSTICS + 1);
  }, 60_000);

  it('5,000 unknown statements: 1,000 E003 and one E008 placed at the first one not collected', () => {
    const c = compile(spec('  x\n'.repeat(5000)));
    expect(c.diagnostics.filter((d) => d.code === 'E003')).toHaveLength(1000);
    const e008 = c.diagnostics.filter((d) => d.code === 'E008');
    expect(e008).toHaveLength(1);
    expect(e008[0]!.message).toBe('too many diagnostics; 4,000 more not collected');
    expect(where(e008[0]!)).toBe(`E008 ${EXTRA_LINE + 1000}:3`);
    expect(e008[0]!.hint).toBe('effnet keeps the first 1,000: fix those and check again');
  }, 60_000);

  it('1,000,000 unknown statements (4 MB) are refused before parsing: one E007 naming the count', () => {
    const text = spec('  x\n'.repeat(1_000_000));
    const c = compile(text);
    expect(c.diagnostics.map((d) => d.code)).toEqual(['E007']);
    expect(c.diagnostics[0]!.message).toBe('the spec has 1,000,028 tokens, more than the limit of 200,000');
    // At the first token over the limit, with a consistent position.
    const d = c.diagnostics[0]!;
    expect(positionAt(text, d.range.start.offset)).toEqual({ line: d.range.start.line, column: d.range.start.column });
  }, 60_000);

  it('100,000 variants are one E038 at the first variant over the limit; maxVariants moves the limit', () => {
    const variants = Array.from({ length: 100_000 }, (_, i) => `  variant v${i} { resolution 32 }\n`).join('');
    const c = compile(spec('', variants));
    expect(codes(c)).toEqual([`E038 ${EXTRA_LINE + 1000}:3`]);
    expect(c.diagnostics[0]!.message).toBe('the spec declares 100,000 variants, more than the limit of 1,000');
    expect(c.diagnostics[0]!.hint).toMatch(/^--max-variants raises the limit/);

    const five = Array.from({ length: 5 }, (_, i) => `  variant v${i} { resolution 32 }\n`).join('');
    expect(codes(compile(spec('', five), { maxVariants: 4 }))).toEqual([`E038 ${EXTRA_LINE + 4}:3`]);
    expect(compile(spec('', five), { maxVariants: 5 }).graphs).toHaveLength(5);
  }, 60_000);

  it('maxTokens moves the token limit; a larger maxVariants makes room for its variants', () => {
    expect(codes(compile('family x { stem conv k3 }', { maxTokens: 5 }))).toEqual(['E007 1:22']);
    const variants = Array.from({ length: 12_000 }, (_, i) => `  variant v${i} { resolution 32 }\n`).join('');
    const c = compile(spec('', variants), { maxVariants: 12_000, irOnly: true });
    expect(c.diagnostics).toEqual([]);
    expect(c.family!.variants).toHaveLength(12_000);
  }, 60_000);

  it('100 variants of 9,000 blocks each: the family block budget builds 5 of them, then one E043', () => {
    const deep = spec('', Array.from({ length: 100 }, (_, i) => `  variant v${i} { resolution 32 }\n`).join('')).replace('c8 n1', 'c8 n9000');
    const c = compile(deep);
    expect(codes(c)).toEqual([`E043 ${EXTRA_LINE + 5}:3`]);
    expect(c.diagnostics[0]!.message).toBe('variant `v5` takes the family past 50,000 blocks, the limit for all variants together');
    expect(c.diagnostics[0]!.hint).toBe('it and the 94 after it are not built: compile fewer variants at a time (--variant)');
    expect(c.graphs.map((g) => g.variant)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
    // maxFamilyBlocks moves the budget (one block a variant here).
    const five = compile(spec('', Array.from({ length: 5 }, (_, i) => `  variant v${i} { resolution 32 }\n`).join('')), { maxFamilyBlocks: 3 });
    expect(codes(five)).toEqual([`E043 ${EXTRA_LINE + 3}:3`]);
    expect(five.graphs.map((g) => g.variant)).toEqual(['v0', 'v1', 'v2']);
  }, 60_000);

  it('60,000 syntax errors: the parser stops at the cap, and E008 says where', () => {
    const c = compile(spec('  input 3\n'.repeat(60_000)));
    expect(c.diagnostics.filter((d) => d.code === 'E002')).toHaveLength(MAX_DIAGNOSTICS);
    const e008 = c.diagnostics.filter((d) => d.code === 'E008');
    expect(e008).toHaveLength(1);
    expect(e008[0]!.message).toMatch(/; checking stopped at \d+:\d+$/);
    expect(c.diagnostics.length).toBeLessThanOrEqual(MAX_DIAGNOSTICS + 1);
  }, 60_000);

  it('an 8 MB word or number is clipped in messages and costs no edit distance', () => {
    const word = 'stge' + 'x'.repeat(2_000_000);
    const c = compile(spec(`  ${word}\n  stage mbconv e1 k3 c8 act ${word}\n  resolution 1${'0'.repeat(400)}\n`));
    expect(c.diagnostics.map((d) => d.code)).toEqual(['E003', 'E011', 'E026']);
    for (const d of c.diagnostics) expect(d.message.length, d.message.slice(0, 80)).toBeLessThan(120);
  }, 60_000);

  it('the DiagnosticSink counts dropped errors in hasErrors and computes a function hint only when it keeps one', () => {
    const sink = new DiagnosticSink('f', 2);
    let computed = 0;
    const at = { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 2, offset: 1 } };
    sink.warning('W034', at, 'w1');
    sink.warning('W034', at, 'w2', () => (computed++, 'h'));
    expect(sink.hasErrors).toBe(false);
    sink.error('E003', at, 'e', () => (computed++, 'h'));
    expect(sink.hasErrors).toBe(true);
    expect(computed).toBe(1);
    expect(sink.items.map((d) => [d.code, d.message])).toEqual([['W034', 'w1'], ['W034', 'w2'], ['E008', 'too many diagnostics; 1 more not collected']]);
  });

  it('the DiagnosticSink keeps `related` places, copied, and leaves the field out when there are none', () => {
    const sink = new DiagnosticSink('f', 3);
    const at = (line: number) => ({ start: { line, column: 1, offset: 0 }, end: { line, column: 2, offset: 1 } });
    const places = [{ range: at(1), message: 'first given here' }];
    sink.error('E013', at(2), 'twice', 'the first is at 1:1', places);
    sink.warning('W034', at(3), 'no places', undefined, []);
    sink.error('E030', at(4), 'lazy hint', () => 'h', [{ range: at(3), message: 'first defined here' }]);
    places.push({ range: at(9), message: 'added after' });
    const [e013, w034, e030] = sink.items;
    expect(e013!.related).toEqual([{ range: at(1), message: 'first given here' }]);
    expect(e013!.hint).toBe('the first is at 1:1');
    expect(Object.keys(w034!)).not.toContain('related');
    expect(e030).toMatchObject({ hint: 'h', related: [{ range: at(3), message: 'first defined here' }] });
  });

  it('rendering always shows the E008, even past the number of diagnostics shown', () => {
    const text = spec('  x\n'.repeat(1200));
    const c = compile(text);
    const out = renderDiagnostics(c.diagnostics, new Map([[c.file, text]]), { max: 3 });
    expect(out).toContain('… and 998 more diagnostics not shown');
    expect(out).toContain('error E008: too many diagnostics; 200 more not collected');
  }, 60_000);

  it('parseText keeps its two-argument form (bench/run.ts)', () => {
    const sink = new DiagnosticSink('f');
    expect(parseText(spec(), sink).cst).toBeDefined();
    expect(sink.items).toEqual([]);
  });

  it('no spread of arrays into calls, and no recursion over the CST, in the front end', () => {
    const root = join(import.meta.dirname, '..', 'src');
    for (const dir of ['lexer', 'parser', 'ast', 'ir', 'diagnostics', 'compile']) {
      for (const f of readdirSync(join(root, dir)).filter((f) => f.endsWith('.ts'))) {
        const text = readFileSync(join(root, dir, f), 'utf8');
        expect(text, `${dir}/${f}`).not.toMatch(/\.(push|unshift|concat)\(\.\.\.|Math\.(max|min)\(\.\.\.|String\.fromCharCode\(\.\.\./);
      }
    }
    expect(readFileSync(join(root, 'ast', 'build.ts'), 'utf8')).not.toMatch(/out\.push\(\.\.\.tokens\(/);
  });
});

describe('item 6: names are folder names', () => {
  it('a name of 64 characters is fine; 65 or 300 characters are E018 with the limit in the hint', () => {
    const ok = 'v'.repeat(64);
    expect(compile(spec('', `  variant ${ok} { resolution 32 }\n`)).graphs.map((g) => g.variant)).toEqual([ok]);
    for (const n of [65, 300]) {
      const c = compile(spec('', `  variant ${'v'.repeat(n)} { resolution 32 }\n`));
      expect(codes(c)).toEqual([`E018 ${EXTRA_LINE}:11`]);
      expect(c.diagnostics[0]!.message).toBe(`variant name \`${'v'.repeat(40)}…\` is ${n} characters long`);
      expect(c.diagnostics[0]!.hint).toContain('at most 64 characters');
    }
    const family = compile(spec().replace('family tiny', `family ${'f'.repeat(300)}`));
    expect(codes(family)).toEqual(['E018 1:8']);
  });

  it('variant names that differ only in case are E030, pointing at the first', () => {
    const c = compile(spec('', '  variant b0 { resolution 32 }\n  variant B0 { resolution 64 }\n'));
    expect(codes(c)).toEqual([`E030 ${EXTRA_LINE + 1}:11`]);
    expect(c.diagnostics[0]!.message).toBe('variant `B0` differs from `b0` only in case');
    expect(c.diagnostics[0]!.hint).toMatch(/^the first is at 6:11; .*case-insensitive file systems/);
    expect(c.diagnostics[0]!.related?.map((r) => [r.range.start.line, r.range.start.column, r.range.end.column, r.message])).toEqual([[6, 11, 13, '`b0` defined here']]);
  });

  it('Windows device names are E018, in any case; longer names that contain them are fine', () => {
    for (const n of ['con', 'NUL', 'Aux', 'prn', 'com1', 'LPT9']) {
      const c = compile(spec('', `  variant ${n} { resolution 32 }\n`));
      expect(codes(c), n).toEqual([`E018 ${EXTRA_LINE}:11`]);
      expect(c.diagnostics[0]!.message, n).toBe(`variant name \`${n}\` is a device name on Windows`);
    }
    expect(codes(compile(spec().replace('family tiny', 'family con')))).toEqual(['E018 1:8']);
    expect(compile(spec('', '  variant console { resolution 32 }\n  variant com10 { resolution 32 }\n')).graphs).toHaveLength(2);
  });
});

describe('item 5: the spec file is read with a cap, and only if it is a regular file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'effnet-hostile-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a missing file stays E006', () => {
    const c = compileFile(join(dir, 'missing.effnet'));
    expect(codes(c)).toEqual(['E006 1:1']);
    expect(c.diagnostics[0]!.message).toBe('cannot read the file: no such file');
  });

  it('a directory is E007', () => {
    const c = compileFile(dir);
    expect(codes(c)).toEqual(['E007 1:1']);
    expect(c.diagnostics[0]!.message).toBe('the spec is a directory, not a file');
  });

  it('/dev/zero is E007 at once, not 24 GB of zeros', () => {
    const c = compileFile('/dev/zero');
    expect(codes(c)).toEqual(['E007 1:1']);
    expect(c.diagnostics[0]!.message).toMatch(/^the spec is not a regular file/);
  });

  it('a FIFO is E007 at once, not a read that waits for a writer', () => {
    const fifo = join(dir, 'pipe.effnet');
    execFileSync('mkfifo', [fifo]);
    const c = compileFile(fifo);
    expect(codes(c)).toEqual(['E007 1:1']);
    expect(c.diagnostics[0]!.hint).toBe('save the spec to a regular file and name that file');
  }, 10_000);

  it('a file over 8 MiB is E007 naming --max-spec-mib; maxSpecBytes moves the cap', () => {
    const big = join(dir, 'big.effnet');
    writeFileSync(big, Buffer.alloc(9 * 2 ** 20, 0x20));
    const c = compileFile(big);
    expect(codes(c)).toEqual(['E007 1:1']);
    expect(c.diagnostics[0]!.message).toBe('the spec is 9 MiB, over the 8 MiB limit');
    expect(c.diagnostics[0]!.hint).toBe('--max-spec-mib N raises the limit (default 8)');

    const small = join(dir, 'small.effnet');
    writeFileSync(small, spec());
    const size = Buffer.byteLength(spec());
    expect(codes(compileFile(small, { maxSpecBytes: size - 1 }))).toEqual(['E007 1:1']);
    expect(compileFile(small, { maxSpecBytes: size }).graphs).toHaveLength(1);
  });
});

describe('item 11: byte-order marks and terminal escapes', () => {
  const BOM = '\ufeff';

  it('a UTF-8 BOM is accepted: positions (line 1 included) are those of the text without it', () => {
    const broken = spec('  activation swsh\n').replace('family tiny {', 'family tiny { stage mbcnv k3 c8');
    const plain = compile(broken);
    const bom = compile(BOM + broken);
    expect(codes(plain)).toEqual(['E010 1:21', `E011 ${EXTRA_LINE}:14`]);
    expect(bom.diagnostics.map((d) => [where(d), d.range.start.offset])).toEqual(plain.diagnostics.map((d) => [where(d), d.range.start.offset]));
    expect(bom.source).toBe(broken);
    expect(compile(BOM + spec()).graphs).toHaveLength(1);
  });

  it('a spec file starting with a BOM compiles as without it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'effnet-bom-'));
    try {
      const file = join(dir, 'bom.effnet');
      writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(spec('  padding smae\n'))]));
      const c = compileFile(file);
      expect(codes(c)).toEqual([`E012 ${EXTRA_LINE}:11`]);
      expect(c.source.startsWith('family')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('printable escapes controls, bidi overrides and invisible format characters, and nothing else', () => {
    expect(printable('a\u001b[2Jb')).toBe('a\\u001b[2Jb');
    expect(printable('\u009b31m \u202e \u2066 \u200b \u0000 \u007f \u2028')).toBe('\\u009b31m \\u202e \\u2066 \\u200b \\u0000 \\u007f \\u2028');
    expect(printable('\u{e0041}')).toBe('\\u{e0041}');
    expect(printable('kernel ≥ 1 · α² … 画像 é')).toBe('kernel ≥ 1 · α² … 画像 é');
  });

  it('escapes in a comment on the error line are shown escaped, and the caret still points at the error', () => {
    const line = '  /* \u001b[2J\u001b]0;pwned\u0007 \u202e */ stage mbconv e6 k4 s2 c24';
    const c = compile(spec(line + '\n'));
    expect(codes(c)).toEqual([`E020 ${EXTRA_LINE}:${line.indexOf('k4') + 2}`]);
    const out = renderDiagnostic(c.diagnostics[0]!, c.source).split('\n');
    expect(out.join('\n')).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(out[2]).toContain('\\u001b[2J\\u001b]0;pwned\\u0007 \\u202e');
    const caret = out[3]!.indexOf('^');
    expect(out[2]!.slice(caret)).toMatch(/^4 s2 c24$/);
  });

  it('an escape character outside a comment is E001 with the escape spelled out', () => {
    const c = compile(spec('  \u001b\n'));
    const d = c.diagnostics[0]!;
    expect(where(d)).toBe(`E001 ${EXTRA_LINE}:3`);
    expect(d.message).toBe('unexpected character "\\u001b"');
    expect(renderDiagnostic(d, c.source)).not.toContain('\u001b');
  });

  it('property: nothing a spec holds reaches the terminal as a control character', () => {
    const hostile = fc.constantFrom('\u001b', '\u009b', '\u0007', '\u0000', '\u202e', '\u2067', '\u200f', '\u2028', '\r', '\t', 'x', ' ', '{', '}', 'é', '\ufeff');
    fc.assert(
      fc.property(fc.string({ unit: hostile, maxLength: 30 }), fc.string({ unit: hostile, maxLength: 30 }), (a, b) => {
        const text = spec(`  // ${a}\n  ${b} activation ${a}\n`);
        const c = compile(text);
        const out = renderDiagnostics(c.diagnostics, new Map([[c.file, c.source]]), { color: false });
        // Line breaks separate lines; nothing else of C0, C1, bidi or separators gets through.
        expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ufeff]/);
      }),
      { numRuns: 300, seed: 11 },
    );
  });
});
