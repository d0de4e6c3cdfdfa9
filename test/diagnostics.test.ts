import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileFile, compileSource, type Compilation } from '../src/compile/compile.js';
import { CODES } from '../src/diagnostics/codes.js';
import { hasErrors, type Diagnostic } from '../src/diagnostics/diagnostic.js';
import { renderDiagnostic } from '../src/diagnostics/render.js';
import { positionAt } from './support/positions.js';

// The broken-spec corpus: test/broken/*.effnet, one realistic mistake per file.
//
// Header lines (comments, so they are part of the spec and count as lines):
//   // expect: E010 7:9        one per expected diagnostic: code and 1-based line:col of its start
//   // expect: nothing          instead: a spec that once went wrong and must now compile clean
//   // variants: b0 b9          optional: compile only these variants (CompileOptions.variants)
//
// A file passes when its diagnostics are exactly the expected ones: every listed code at exactly its
// line:col, and nothing else (no unlisted code, no listed code at another place).

const here = dirname(fileURLToPath(import.meta.url));
const brokenDir = join(here, 'broken');

interface BrokenSpec {
  name: string;
  /** The file name the diagnostics carry. */
  file: string;
  source: string;
  expected: string[];
  variants?: string[];
}

function loadCorpus(): BrokenSpec[] {
  return readdirSync(brokenDir)
    .filter((f) => f.endsWith('.effnet'))
    .sort()
    .map((name) => {
      const source = readFileSync(join(brokenDir, name), 'utf8');
      const expected = [...source.matchAll(/^\/\/ expect: (\S+) (\d+:\d+)[ \t]*$/gm)].map((m) => `${m[1]} ${m[2]}`);
      const variants = /^\/\/ variants: (.+)$/m.exec(source)?.[1]?.trim().split(/\s+/);
      return { name, file: `test/broken/${name}`, source, expected, variants };
    });
}

const corpus = loadCorpus();
const byName = (name: string): BrokenSpec => {
  const spec = corpus.find((s) => s.name === name);
  if (spec === undefined) throw new Error(`test/broken/${name} is missing`);
  return spec;
};

function compile(spec: BrokenSpec): Compilation {
  return compileSource(spec.source, spec.file, spec.variants ? { variants: spec.variants } : {});
}

const where = (d: Diagnostic): string => `${d.code} ${d.range.start.line}:${d.range.start.column}`;

/** The file's diagnostics must be exactly its `// expect:` lines, as a multiset. */
function assertExpected(spec: BrokenSpec, result: Compilation): void {
  const got = result.diagnostics.map(where).sort();
  const detail = result.diagnostics.map((d) => `${where(d)} ${d.message}`).join('\n');
  expect(got, `diagnostics of ${spec.name}:\n${detail}`).toEqual([...spec.expected].sort());
}


/** The word a "did you mean `x`?" hint proposes, if it is one. */
const suggestion = (hint: string | undefined): string | undefined => /did you mean `([^`]+)`\?/.exec(hint ?? '')?.[1];

/** The first word under a diagnostic's range. */
const wordAt = (source: string, d: Diagnostic): string =>
  source.slice(d.range.start.offset, d.range.end.offset).split(/\s+/)[0] ?? '';

describe('the broken-spec corpus', () => {
  it('has at least 36 specs, each headed by `// expect: CODE line:col` lines naming known codes, or `// expect: nothing`', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(36);
    for (const spec of corpus) {
      const first = spec.source.split('\n')[0];
      expect(first, spec.name).toMatch(/^\/\/ expect: ([EW]\d{3} \d+:\d+|nothing)$/);
      expect(spec.expected.length > 0, spec.name).toBe(first !== '// expect: nothing');
      for (const e of spec.expected) expect(Object.keys(CODES), `${spec.name}: ${e}`).toContain(e.split(' ')[0]);
    }
  });

  // E006 and E007 need a file that is missing, too large or not regular; E008 and E038 need thousands
  // of statements or variants: test/hostile-language.test.ts covers those four. E046 (a layer
  // sequence the WGSL planner cannot run) is a guard no spec reaches today: every sequence is
  // planned; test/wgsl-differential.test.ts covers it.
  it('covers every code a spec can produce (all but E006, E007, E008, E038 and E046)', () => {
    const covered = new Set(corpus.flatMap((s) => s.expected.map((e) => e.split(' ')[0])));
    const fromSpecs = Object.keys(CODES).filter((c) => !['E006', 'E007', 'E008', 'E038', 'E046'].includes(c));
    expect(fromSpecs.filter((c) => !covered.has(c))).toEqual([]);
  });
});

describe('each broken spec reports exactly its expected diagnostics', () => {
  for (const spec of corpus) {
    it(spec.name, () => {
      const result = compile(spec);
      assertExpected(spec, result);
      for (const d of result.diagnostics) {
        expect(d.severity, where(d)).toBe(d.code.startsWith('W') ? 'warning' : 'error');
        expect(d.file).toBe(spec.file);
      }
      const errorsExpected = spec.expected.some((e) => e.startsWith('E'));
      // Errors mean a failing exit status; warnings alone do not.
      expect(hasErrors(result.diagnostics)).toBe(errorsExpected);
      if (!errorsExpected) {
        // Warnings only: the family and every variant's graph are still produced.
        expect(result.family).toBeDefined();
        expect(result.family!.variants.length).toBeGreaterThan(0);
        expect(result.graphs.map((g) => g.variant)).toEqual(result.family!.variants.map((v) => v.name));
      }
    });
  }

  it('a warnings-only spec (W034) compiles to a family and graphs', () => {
    const spec = byName('compound_far_from_two.effnet');
    const result = compile(spec);
    expect(result.diagnostics.map((d) => d.severity)).toEqual(['warning']);
    expect(hasErrors(result.diagnostics)).toBe(false);
    expect(result.family?.name).toBe('tiny');
    expect(result.graphs.map((g) => g.variant)).toEqual(['b0', 'phi1']);
    // phi 1 with gamma 1.2 from a base of 224 (resolution rounding divisor 1)
    expect(result.graphs[1]!.resolution).toBe(Math.round(224 * 1.2));
  });

  it('the same diagnostics, at the same places, with CRLF and with lone CR line endings', () => {
    for (const spec of corpus) {
      const lf = compile(spec).diagnostics.map(where);
      for (const eol of ['\r\n', '\r']) {
        const other = { ...spec, source: spec.source.replace(/\n/g, eol) };
        expect(compile(other).diagnostics.map(where), `${spec.name} ${JSON.stringify(eol)}`).toEqual(lf);
      }
    }
  });
});

describe('diagnostic ranges and text', () => {
  const all = corpus.flatMap((spec) => compile(spec).diagnostics.map((d) => ({ spec, d })));

  it('every range is consistent: line:col matches the offset, and the end is not before the start', () => {
    expect(all.length).toBeGreaterThanOrEqual(corpus.filter((s) => s.expected.length > 0).length);
    for (const { spec, d } of all) {
      const label = `${spec.name} ${where(d)}`;
      expect(positionAt(spec.source, d.range.start.offset), label).toEqual({ line: d.range.start.line, column: d.range.start.column });
      expect(d.range.end.offset, label).toBeGreaterThanOrEqual(d.range.start.offset);
      expect(d.range.end.offset, label).toBeLessThanOrEqual(spec.source.length);
      if (d.range.end.offset > d.range.start.offset) {
        expect(positionAt(spec.source, d.range.end.offset), label).toEqual({ line: d.range.end.line, column: d.range.end.column });
      }
    }
  });

  it('every message and hint reads as text: no `undefined`, `NaN` or `[object …]`', () => {
    for (const { spec, d } of all) {
      const label = `${spec.name} ${where(d)}`;
      expect(d.message.trim().length, label).toBeGreaterThan(0);
      for (const text of [d.message, d.hint ?? '']) expect(text, label).not.toMatch(/undefined|NaN|\[object |``/);
      if (d.hint !== undefined) expect(d.hint.trim().length, label).toBeGreaterThan(0);
    }
  });

  it('no hint proposes the word that is already written', () => {
    let proposals = 0;
    for (const { spec, d } of all) {
      const s = suggestion(d.hint);
      if (s === undefined) continue;
      proposals++;
      expect(s, `${spec.name} ${where(d)}: ${d.hint}`).not.toBe(wordAt(spec.source, d));
    }
    expect(proposals).toBeGreaterThan(0);
    // A keyword that is valid but misplaced (`stem` before `{`, `variant` before `}`) gets no hint at all.
    for (const name of ['syntax_missing_brace_between_variants.effnet', 'syntax_missing_open_brace.effnet']) {
      expect(compile(byName(name)).diagnostics[0]!.hint, name).toBeUndefined();
    }
  });
});

describe('did-you-mean hints', () => {
  const hintOf = (name: string, code: string): string | undefined => {
    const ds = compile(byName(name)).diagnostics.filter((d) => d.code === code);
    expect(ds, `${name} ${code}`).toHaveLength(1);
    return ds[0]!.hint;
  };

  it('an unknown block type: `mbcnv` → `mbconv`', () => {
    expect(hintOf('unknown_block_type_mbcnv.effnet', 'E010')).toBe('did you mean `mbconv`?');
  });

  it('a misspelled statement: `stge` → `stage`, `clases` → `classes`', () => {
    expect(hintOf('syntax_misspelled_statement_stge.effnet', 'E003')).toBe('did you mean `stage`?');
    expect(hintOf('syntax_misspelled_statement_clases.effnet', 'E003')).toBe('did you mean `classes`?');
  });

  it('an activation typo: `swsh` → `swish`, `relu7` → `relu`', () => {
    expect(hintOf('unknown_activation_swsh.effnet', 'E011')).toBe('did you mean `swish`?');
    expect(hintOf('unknown_stage_activation.effnet', 'E011')).toBe('did you mean `relu`?');
  });

  it('a misspelled attribute: `sse` → `se`; long forms: `kernel 3` → `k3`, `stride 2` → `s2`', () => {
    expect(hintOf('syntax_misspelled_attribute_sse.effnet', 'E003')).toBe('did you mean `se`?');
    expect(hintOf('syntax_long_form_attribute.effnet', 'E003')).toBe('write `k3`');
    expect(hintOf('syntax_long_form_stride.effnet', 'E003')).toBe('write `s2`');
  });

  it('a space inside a compact attribute: `c 32` → `c32`', () => {
    const ds = compile(byName('space_in_compact_attribute.effnet')).diagnostics;
    expect(ds.map(where)).toEqual(['E003 4:19']);
    expect(ds[0]!.message).toBe('unknown attribute `c`');
    expect(ds[0]!.hint).toBe('write `c32`, without a space');
  });

  it('a misspelled `family` keyword', () => {
    const first = compile(byName('misspelled_family_keyword.effnet')).diagnostics[0]!;
    expect(where(first)).toBe('E002 3:1');
    expect(first.hint).toBe('did you mean `family`?');
  });

  it('`stge` on the line after a stage line is its own statement: E003 with did-you-mean `stage`', () => {
    const first = compile(byName('misspelled_statement_after_stage.effnet')).diagnostics[0]!;
    expect(where(first)).toBe('E003 6:3');
    expect(first.message).toBe('unknown statement `stge`');
    expect(first.hint).toBe('did you mean `stage`?');
  });
});

describe('messages say what is wrong', () => {
  const first = (name: string): Diagnostic => compile(byName(name)).diagnostics[0]!;

  it('name the offending value and the rule', () => {
    expect(first('even_kernel.effnet').message).toBe('kernel size 4 is even');
    expect(first('stride_3.effnet').message).toBe('stride 3 is not supported');
    expect(first('expand_half.effnet').message).toMatch(/^expand ratio 0\.5 is out of range: it must be ≥ 1/);
    expect(first('se_ratio_above_one.effnet').message).toMatch(/^squeeze-excitation ratio 1\.5 is out of range: it must be > 0 and ≤ 1$/);
    expect(first('se_ratio_zero.effnet').message).toMatch(/^squeeze-excitation ratio 0 is out of range/);
    expect(first('zero_channels.effnet').message).toMatch(/^channels 0 is out of range/);
    expect(first('zero_repeats.effnet').message).toMatch(/^repeats 0 is out of range/);
    expect(first('duplicate_variant.effnet').message).toBe('variant `b0` is defined twice');
    expect(first('duplicate_variant.effnet').hint).toBe('the first is at 8:11');
    expect(first('duplicate_attribute.effnet').hint).toBe('the first is at 6:19');
    expect(first('number_for_activation.effnet').message).toBe('unexpected `6`, expected a name or `none`');
    expect(first('infinite_resolution.effnet').message).toBe('resolution `1e400` is not a finite number');
    expect(first('invalid_variant_name.effnet').message).toBe('variant name `0.75` is not a plain name');
  });

  it('a malformed comment is one E001 for the whole comment, with a hint', () => {
    const hash = compile(byName('hash_comment.effnet')).diagnostics;
    expect(hash).toHaveLength(1);
    expect(hash[0]!.message).toBe('`#` does not start a comment');
    expect(hash[0]!.range.end.line).toBe(hash[0]!.range.start.line);
    const unclosed = compile(byName('unclosed_block_comment.effnet')).diagnostics[0]!;
    expect(where(unclosed)).toBe('E001 6:3');
    expect(unclosed.message).toBe('this `/*` comment is never closed');
    expect(unclosed.hint).toBe('close it with `*/`');
  });

  it('a clean spec compiles every variant: keyword names and an `se` setting after a stage', () => {
    expect(compile(byName('keyword_as_variant_name.effnet')).graphs.map((g) => g.variant)).toEqual(['min', 'limit']);
    const se = compile(byName('se_squeeze_from_expanded_after_stage.effnet'));
    expect(se.family!.base.stages).toHaveLength(2);
    expect(se.family!.base.se.squeezeFrom).toBe('expanded');
    // The squeeze width is a quarter of the channels the SE runs on: 32 (e1), 16·6 and 24·6.
    const squeezes = se.graphs[0]!.stages.flatMap((s) => s.blocks.flatMap((b) => b.layers.filter((l) => l.op === 'se')));
    expect(squeezes.map((l) => [l.inShape[0], (l as { squeeze?: number }).squeeze])).toEqual([[32, 8], [96, 24], [144, 36]]);
  });

  it('the graph checks give the numbers behind them', () => {
    expect(first('resolution_below_total_stride.effnet').message).toBe(
      "variant `thumb`: resolution 4 is smaller than the network's total stride 8",
    );
    expect(first('too_many_blocks.effnet').message).toBe('variant `deep` has 13000 blocks, more than the limit of 10000');
    expect(first('too_many_parameters.effnet').message).toMatch(/^variant `b1` would have [\d,]+ parameters, more than the limit of 2,000,000,000$/);
    expect(first('too_much_activation_memory.effnet').message).toMatch(/^variant `satellite` would need [\d,]+ MiB of activations for one image \(float32\), more than the limit of 65,536 MiB/);
    expect(first('skip_on_impossible.effnet').hint).toBe('stage 2 goes from 16 to 24 channels with stride 2; use `skip auto`');
  });

  it('a graph-check failure drops only that variant: the others still get graphs', () => {
    for (const name of ['resolution_below_total_stride.effnet', 'too_many_parameters.effnet', 'too_much_activation_memory.effnet', 'too_many_blocks.effnet']) {
      const result = compile(byName(name));
      expect(hasErrors(result.diagnostics), name).toBe(true);
      expect(result.graphs.map((g) => g.variant), name).toEqual(['b0']);
    }
  });

  it('selecting an unknown variant names the family and lists its variants', () => {
    const result = compile(byName('unknown_variant_selected.effnet'));
    const d = result.diagnostics[0]!;
    expect(d.message).toBe('family `tiny` has no variant `b9`');
    expect(d.hint).toBe('its variants are b0, b1');
    expect(result.graphs.map((g) => g.variant)).toEqual(['b0']);
  });
});

describe('the first place of a duplicate is data (`related`), not only hint text', () => {
  /** `line:col-line:col label`, and the source text under each related range. */
  const related = (name: string) => {
    const spec = byName(name);
    const d = compile(spec).diagnostics[0]!;
    return (d.related ?? []).map((r) => ({
      at: `${r.range.start.line}:${r.range.start.column}-${r.range.end.line}:${r.range.end.column} ${r.message}`,
      text: spec.source.slice(r.range.start.offset, r.range.end.offset),
    }));
  };

  it('E013 `compound` given twice points at the first `compound` keyword', () => {
    expect(related('compound_given_twice.effnet')).toEqual([{ at: '4:3-4:11 first given here', text: 'compound' }]);
  });

  it('E013 a value given twice points at the first one', () => {
    expect(related('duplicate_attribute.effnet')).toEqual([{ at: '6:19-6:21 first given here', text: 'k3' }]);
    expect(related('duplicate_setting.effnet')).toEqual([{ at: '3:3-3:10 first given here', text: 'classes' }]);
  });

  it('E030 a variant defined twice, or differing only in case, points at the first name', () => {
    expect(related('duplicate_variant.effnet')).toEqual([{ at: '8:11-8:13 first defined here', text: 'b0' }]);
    expect(related('p_variant_names_differ_in_case.effnet')).toEqual([{ at: '7:11-7:13 `b0` defined here', text: 'b0' }]);
  });

  it('other diagnostics have no `related` field at all', () => {
    const without = corpus.flatMap((spec) => compile(spec).diagnostics).filter((d) => d.related === undefined);
    expect(without.length).toBeGreaterThan(70);
    for (const d of without) expect(Object.keys(d), where(d)).not.toContain('related');
    const withRelated = corpus.flatMap((spec) => compile(spec).diagnostics.filter((d) => d.related !== undefined).map(where));
    expect(withRelated.sort()).toEqual(['E013 11:3', 'E013 4:3', 'E013 6:40', 'E013 8:3', 'E030 8:11', 'E030 9:11']);
  });
});

describe('rendered diagnostics', () => {
  it('renders `file:line:col: severity code: message`, the source line, a caret line and the hint', () => {
    const spec = byName('even_kernel.effnet');
    const [d] = compile(spec).diagnostics;
    expect(renderDiagnostic(d!, spec.source)).toBe(
      [
        'test/broken/even_kernel.effnet:5:20: error E020: kernel size 4 is even',
        '  |',
        '5 |   stage mbconv e6 k4 s2 c24 n2 se 0.25',
        '  |                    ^',
        '  = hint: effnet pads symmetrically around the centre: use an odd kernel size such as 3 or 5',
      ].join('\n'),
    );
  });

  it('renders a warning with a caret under its whole single-line range', () => {
    const spec = byName('compound_far_from_two.effnet');
    const lines = renderDiagnostic(compile(spec).diagnostics[0]!, spec.source).split('\n');
    expect(lines[0]).toBe('test/broken/compound_far_from_two.effnet:8:3: warning W034: alpha·beta²·gamma² = 2.488, more than 10 % away from 2');
    expect(lines[2]).toBe('8 |   compound alpha 1.2 beta 1.2 gamma 1.2');
    expect(lines[3]).toBe('  |   ' + '^'.repeat('compound alpha 1.2 beta 1.2 gamma 1.2'.length));
  });

  it('every corpus diagnostic renders with its position, a caret under its range, and its hint', () => {
    for (const spec of corpus) {
      for (const d of compile(spec).diagnostics) {
        const label = `${spec.name} ${where(d)}`;
        const { line, column } = d.range.start;
        const lines = renderDiagnostic(d, spec.source).split('\n');
        expect(lines[0], label).toBe(`${spec.file}:${line}:${column}: ${d.severity} ${d.code}: ${d.message}`);
        expect(lines[0], label).toMatch(/^[^:]+:\d+:\d+: (error|warning) [EW]\d{3}: \S/);

        const text = spec.source.split(/\r?\n/)[line - 1]!;
        // Related places (`first given here`) are framed too, in line order: the gutter fits the widest line number.
        const related = d.related ?? [];
        const gutter = String(Math.max(line, ...related.map((r) => r.range.start.line))).length;
        expect(lines[1], label).toBe(`${' '.repeat(gutter)} |`);
        const at = lines.indexOf(`${String(line).padStart(gutter)} | ${text}`);
        // Earlier related lines come first (their exact layout is pinned below).
        if (related.some((r) => r.range.start.line < line)) expect(at, `${label}: source line`).toBeGreaterThanOrEqual(4);
        else expect(at, `${label}: source line`).toBe(2);
        const caret = /^( *) \| ( *)(\^+)$/.exec(lines[at + 1] ?? '');
        expect(caret, `${label}: caret line ${JSON.stringify(lines[at + 1])}`).not.toBeNull();
        expect(caret![1]!.length, label).toBe(gutter);
        expect(caret![2]!.length + 1, `${label}: caret column`).toBe(column);
        // The carets cover the range (up to the end of the line for a multi-line range).
        const sameLine = d.range.end.line === line;
        const endColumn = sameLine ? Math.min(d.range.end.column, text.length + 1) : text.length + 1;
        expect(caret![3]!.length, `${label}: caret width`).toBe(Math.max(1, endColumn - column));
        if (sameLine && d.range.end.offset > d.range.start.offset) {
          expect(text.slice(column - 1, column - 1 + caret![3]!.length), label).toBe(
            spec.source.slice(d.range.start.offset, d.range.end.offset),
          );
        }

        // Each related place: a `-` underline under its range, then its label.
        for (const r of related) {
          const width = r.range.end.line === r.range.start.line ? r.range.end.column - r.range.start.column : 1;
          expect(lines, `${label}: related ${r.range.start.line}:${r.range.start.column}`).toContain(
            `${' '.repeat(gutter)} | ${' '.repeat(r.range.start.column - 1)}${'-'.repeat(Math.max(1, width))} ${r.message}`,
          );
        }

        if (related.length > 0) {
          expect(lines.at(-1), label).toBe(`  = hint: ${d.hint}`);
        } else if (d.hint === undefined) {
          expect(lines, label).toHaveLength(4);
        } else {
          expect(lines, label).toHaveLength(5);
          expect(lines[4], label).toBe(`  = hint: ${d.hint}`);
        }
      }
    }
  });

  it('frames the first of a duplicate above the caret, labelled, with `...` for the lines between', () => {
    const spec = byName('compound_given_twice.effnet');
    const [d] = compile(spec).diagnostics;
    expect(renderDiagnostic(d!, spec.source)).toBe(
      [
        'test/broken/compound_given_twice.effnet:11:3: error E013: `compound` is given twice',
        '   |',
        ' 4 |   compound alpha 1.2 beta 1.1 gamma 1.15',
        '   |   -------- first given here',
        '...',
        '11 |   compound alpha 1.2 beta 1.2 gamma 1.2',
        '   |   ^^^^^^^^',
        '  = hint: the first is at 4:3',
      ].join('\n'),
    );
  });

  it('frames adjacent lines without `...`, and two places on one line under one source line', () => {
    const variant = byName('duplicate_variant.effnet');
    expect(renderDiagnostic(compile(variant).diagnostics[0]!, variant.source).split('\n')).toEqual([
      'test/broken/duplicate_variant.effnet:9:11: error E030: variant `b0` is defined twice',
      '  |',
      '8 |   variant b0 { width 1.0 depth 1.0 resolution 224 }',
      '  |           -- first defined here',
      '9 |   variant b0 { width 1.0 depth 1.1 resolution 240 }',
      '  |           ^^',
      '  = hint: the first is at 8:11',
    ]);
    const attribute = byName('duplicate_attribute.effnet');
    expect(renderDiagnostic(compile(attribute).diagnostics[0]!, attribute.source).split('\n')).toEqual([
      'test/broken/duplicate_attribute.effnet:6:40: error E013: attribute `k` is given twice',
      '  |',
      '6 |   stage mbconv e6 k3 s2 c24 n2 se 0.25 k5',
      '  |                                        ^^',
      '  |                   -- first given here',
      '  = hint: the first is at 6:19',
    ]);
  });

  it('without the source, a related place is a note with file:line:col', () => {
    const spec = byName('duplicate_variant.effnet');
    expect(renderDiagnostic(compile(spec).diagnostics[0]!, undefined).split('\n')).toEqual([
      'test/broken/duplicate_variant.effnet:9:11: error E030: variant `b0` is defined twice',
      '  = note: first defined here: test/broken/duplicate_variant.effnet:8:11',
      '  = hint: the first is at 8:11',
    ]);
  });

  it('renders without the source frame when no source is given', () => {
    const spec = byName('stride_3.effnet');
    const [d] = compile(spec).diagnostics;
    expect(renderDiagnostic(d!, undefined).split('\n')).toEqual([
      'test/broken/stride_3.effnet:5:23: error E021: stride 3 is not supported',
      '  = hint: EfficientNet-family blocks use stride 1 or 2',
    ]);
  });
});

describe('inputs outside the corpus', () => {
  it('an unreadable file is E006 at 1:1, not a throw', () => {
    const missing = join(brokenDir, 'no-such-spec.effnet');
    const result = compileFile(missing);
    expect(result.diagnostics.map(where)).toEqual(['E006 1:1']);
    expect(result.diagnostics[0]!.message).toContain('no such file');
    expect(hasErrors(result.diagnostics)).toBe(true);
    expect(result.graphs).toEqual([]);
  });

  it('the shipped specs compile without any diagnostic', () => {
    const specs = join(here, '..', 'specs');
    for (const f of readdirSync(specs).filter((f) => f.endsWith('.effnet'))) {
      const result = compileFile(join(specs, f));
      expect(result.diagnostics.map((d) => `${where(d)} ${d.message}`), f).toEqual([]);
      expect(result.graphs.length, f).toBe(result.family!.variants.length);
    }
  });

  it('an empty text is one E004 at 1:1', () => {
    expect(compileSource('', 'empty.effnet').diagnostics.map(where)).toEqual(['E004 1:1']);
  });

  it('the end-of-input position counts lone CR line breaks as the lexer does', () => {
    // Only the syntax error: "no variants" after it would be a follow-on.
    const text = 'family x {\r  stem conv k3 s2 c32\r';
    expect(compileSource(text, 'cr.effnet').diagnostics.map(where)).toEqual(['E004 3:1']);
  });

  it('a `//` comment ends at a lone CR line break, as the lexer counts lines', () => {
    const spec = byName('even_kernel.effnet');
    const cr = spec.source.replace(/\n/g, '\r');
    expect(compileSource(cr, spec.file).diagnostics.map(where)).toEqual(['E020 5:20']);
  });
});
