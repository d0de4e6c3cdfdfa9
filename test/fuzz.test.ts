import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileSource, type Compilation } from '../src/compile/compile.js';
import { CODES } from '../src/diagnostics/codes.js';
import { hasErrors } from '../src/diagnostics/diagnostic.js';
import type { Shape, VariantGraph } from '../src/graph/graph.js';
import { positionAt } from './support/positions.js';
import { fuzzParams, savingFailures } from './support/fuzz-budget.js';

// Fuzzing the whole pipeline (text → diagnostics / graphs). Budgets and seeds come from
// test/support/fuzz-budget.ts: a fixed seed in CI, `npm run fuzz -- --cases N` for longer runs
// (fast-check prints seed and path on failure; FUZZ_SEED replays one).

const here = dirname(fileURLToPath(import.meta.url));
const specsDir = join(here, '..', 'specs');
const shipped = readdirSync(specsDir)
  .filter((f) => f.endsWith('.effnet'))
  .sort()
  .map((f) => ({ name: f, text: readFileSync(join(specsDir, f), 'utf8') }));

const params = fuzzParams;

/** A compile is a loop over the text and the layers; far below this unless something hangs. */
const MAX_MS_PER_COMPILE = 2_000;

/** The stage line (its first or a `then` line) that made the stage's block i. */
function lineOf(stage: VariantGraph['stages'][number], i: number): VariantGraph['stages'][number]['segments'][number] {
  for (const s of stage.segments) {
    if (i < s.repeats) return s;
    i -= s.repeats;
  }
  return fail(`stage ${stage.index}: block ${i} beyond its lines`);
}

function fail(message: string): never {
  throw new Error(message);
}

function timedCompile(text: string, file = 'fuzz.effnet'): Compilation {
  const t0 = performance.now();
  const result = compileSource(text, file);
  const ms = performance.now() - t0;
  if (ms > MAX_MS_PER_COMPILE) fail(`compileSource took ${ms.toFixed(0)} ms on ${JSON.stringify(text.slice(0, 200))}`);
  return result;
}


const codes = new Set(Object.keys(CODES));

/** What holds for any input: well-formed diagnostics, and sound output when there is no error. */
function checkBasics(text: string, r: Compilation): void {
  for (const d of r.diagnostics) {
    const at = `${d.code} ${d.range?.start?.line}:${d.range?.start?.column} ${JSON.stringify(d.message)}`;
    if (!/^[EW]\d{3}$/.test(d.code) || !codes.has(d.code)) fail(`bad code: ${at}`);
    if (d.severity !== (d.code.startsWith('W') ? 'warning' : 'error')) fail(`severity ${d.severity} for ${at}`);
    if (typeof d.message !== 'string' || d.message.trim() === '') fail(`empty message: ${at}`);
    if (d.hint !== undefined && d.hint.trim() === '') fail(`empty hint: ${at}`);
    const { start, end } = d.range;
    for (const n of [start.line, start.column, end.line, end.column]) {
      if (!Number.isInteger(n) || n < 1) fail(`line/column not a 1-based integer: ${at}`);
    }
    if (!(start.offset >= 0 && end.offset >= start.offset && end.offset <= text.length)) {
      fail(`offsets ${start.offset}..${end.offset} outside the text (${text.length}): ${at}`);
    }
  }
  if (!hasErrors(r.diagnostics)) {
    if (r.family === undefined) fail('no errors but no family');
    if (r.graphs.length !== r.family.variants.length) fail(`no errors but ${r.graphs.length} graphs for ${r.family.variants.length} variants`);
    for (const g of r.graphs) checkGraph(g);
  }
}

/** Stronger: positions agree with the text, with \r\n, \r and \n all line breaks as the lexer counts them. */
function checkPositions(text: string, r: Compilation): void {
  const lines = text.split(/\r\n|\r|\n/);
  for (const d of r.diagnostics) {
    const { start, end } = d.range;
    const at = `${d.code} ${start.line}:${start.column} ${JSON.stringify(d.message)}`;
    if (start.line > lines.length) fail(`line ${start.line} past the last line ${lines.length}: ${at}`);
    if (start.column > lines[start.line - 1]!.length + 1) fail(`column ${start.column} past the end of line ${start.line}: ${at}`);
    const p = positionAt(text, start.offset);
    if (p.line !== start.line || p.column !== start.column) fail(`offset ${start.offset} is ${p.line}:${p.column}, not ${at}`);
    if (end.line < start.line || (end.line === start.line && end.column < start.column)) fail(`range ends before it starts: ${at}`);
  }
}

const sameShape = (a: Shape, b: Shape): boolean => a.length === 3 && a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
const show = (s: Shape): string => `[${s.join(', ')}]`;

function checkShape(s: Shape, what: string): void {
  if (s.length !== 3 || !s.every((n) => Number.isSafeInteger(n) && n >= 1)) fail(`${what}: bad shape ${show(s)}`);
}

function checkFigures(l: { params: number; macs: number; bnBuffers: number }, what: string): void {
  for (const [k, v] of Object.entries({ params: l.params, macs: l.macs, bnBuffers: l.bnBuffers })) {
    if (!Number.isFinite(v) || v < 0 || !Number.isInteger(v)) fail(`${what}: ${k} = ${v}`);
  }
}

/** Every layer's input is the previous output, in a block, across blocks, stages, head and classifier. */
function checkGraph(g: VariantGraph): void {
  const v = `variant ${g.variant}`;
  if (g.input[1] !== g.resolution || g.input[2] !== g.resolution) fail(`${v}: input ${show(g.input)} at resolution ${g.resolution}`);
  checkShape(g.input, `${v} input`);
  if (!sameShape(g.stem.inShape, g.input)) fail(`${v}: stem input ${show(g.stem.inShape)} ≠ ${show(g.input)}`);
  checkShape(g.stem.outShape, `${v} stem`);
  checkFigures(g.stem, `${v} stem`);
  let prev = g.stem.outShape;
  if (g.stages.length === 0) fail(`${v}: no stages`);
  for (const stage of g.stages) {
    const s = `${v} stage ${stage.index}`;
    if (!sameShape(stage.inShape, prev)) fail(`${s}: input ${show(stage.inShape)} ≠ previous output ${show(prev)}`);
    // A stage's `then` lines add their blocks to it.
    const repeats = stage.segments.reduce((n, c) => n + c.repeats, 0);
    if (stage.blocks.length !== repeats || stage.blocks.length < 1) fail(`${s}: ${stage.blocks.length} blocks for ${repeats} repeats`);
    for (const block of stage.blocks) {
      const b = `${v} ${block.name}`;
      if (!sameShape(block.inShape, prev)) fail(`${b}: input ${show(block.inShape)} ≠ previous output ${show(prev)}`);
      if (block.layers.length === 0) fail(`${b}: no layers`);
      let cur = block.inShape;
      for (const layer of block.layers) {
        if (!sameShape(layer.inShape, cur)) fail(`${b} ${layer.name}: input ${show(layer.inShape)} ≠ ${show(cur)}`);
        checkShape(layer.outShape, `${b} ${layer.name}`);
        checkFigures(layer, `${b} ${layer.name}`);
        if (layer.op === 'se' && !sameShape(layer.outShape, layer.inShape)) fail(`${b} ${layer.name}: SE changes the shape`);
        cur = layer.outShape;
      }
      if (!sameShape(block.outShape, cur)) fail(`${b}: output ${show(block.outShape)} ≠ last layer ${show(cur)}`);
      // The line (a `stage` line or a `then` line) that made the block sets its channels.
      const line = lineOf(stage, stage.blocks.indexOf(block));
      if (block.outShape[0] !== line.channels) fail(`${b}: ${block.outShape[0]} channels, its stage line says ${line.channels}`);
      if (block.residual && !sameShape(block.inShape, block.outShape)) fail(`${b}: residual from ${show(block.inShape)} to ${show(block.outShape)}`);
      if (!(block.dropPath >= 0 && block.dropPath < 1)) fail(`${b}: drop path ${block.dropPath}`);
      prev = block.outShape;
    }
    if (!sameShape(stage.outShape, prev)) fail(`${s}: output ${show(stage.outShape)} ≠ last block ${show(prev)}`);
  }
  if (g.head) {
    if (!sameShape(g.head.inShape, prev)) fail(`${v}: head input ${show(g.head.inShape)} ≠ ${show(prev)}`);
    checkShape(g.head.outShape, `${v} head`);
    checkFigures(g.head, `${v} head`);
    prev = g.head.outShape;
  }
  // A feature network ends at its last tapped stage: each feature is that stage's output.
  if (g.features.length > 0) {
    if (g.classifier !== null || g.head !== null || g.classes !== 0) fail(`${v}: a feature network with a head or classifier`);
    for (const f of g.features) if (!sameShape(f.shape, g.stages[f.stage - 1]!.outShape)) fail(`${v}: feature ${f.name} ${show(f.shape)} ≠ its stage's output`);
    if (g.features.at(-1)!.stage !== g.stages.length) fail(`${v}: stages after the last feature`);
    return;
  }
  const c = g.classifier;
  if (c === null) return fail(`${v}: a classifier network without a classifier`);
  if (!sameShape(c.poolShape, [prev[0], 1, 1])) fail(`${v}: pooled ${show(c.poolShape)} from ${show(prev)}`);
  if (c.hidden && c.hidden.inFeatures !== prev[0]) fail(`${v}: hidden layer takes ${c.hidden.inFeatures}, not ${prev[0]}`);
  const features = c.hidden?.outFeatures ?? prev[0];
  // `classes 0`: no linear layer, the pooled (hidden) features are the output.
  if ((c.linear === null) !== (g.classes === 0)) fail(`${v}: ${g.classes} classes, linear layer ${c.linear ? 'present' : 'absent'}`);
  if (!c.linear) return;
  if (c.linear.inFeatures !== features) fail(`${v}: classifier takes ${c.linear.inFeatures}, not ${features}`);
  if (c.linear.outFeatures !== g.classes) fail(`${v}: ${c.linear.outFeatures} logits for ${g.classes} classes`);
  checkFigures(c.linear, `${v} classifier`);
}

describe('the checkers themselves', () => {
  const b0 = shipped.find((s) => s.name === 'efficientnet.effnet')!.text;

  it('accept the shipped specs', () => {
    for (const s of shipped) {
      const r = timedCompile(s.text, s.name);
      expect(r.diagnostics).toEqual([]);
      checkBasics(s.text, r);
      checkPositions(s.text, r);
    }
  });

  it('reject a graph whose layers do not chain', () => {
    const g = structuredClone(timedCompile(b0).graphs[0]!);
    expect(() => checkGraph(g)).not.toThrow();
    const layer = g.stages[2]!.blocks[1]!.layers[1]!;
    layer.inShape = [layer.inShape[0] + 8, layer.inShape[1], layer.inShape[2]];
    expect(() => checkGraph(g)).toThrow(/features\.3\.1 features\.3\.1\.block\.1: input/);
  });

  it('reject a diagnostic placed off its offset or past its line', () => {
    const text = 'family x {\n  stem conv k4 c8\n}\n';
    const r = timedCompile(text);
    expect(() => checkPositions(text, r)).not.toThrow();
    const d = r.diagnostics.find((d) => d.code === 'E020')!;
    expect(d.range.start).toMatchObject({ line: 2, column: 14 });
    const moved = { ...r, diagnostics: [{ ...d, range: { ...d.range, start: { ...d.range.start, column: 15 } } }] };
    expect(() => checkPositions(text, moved)).toThrow(/offset/);
    const far = { ...r, diagnostics: [{ ...d, range: { ...d.range, start: { ...d.range.start, column: 99 } } }] };
    expect(() => checkPositions(text, far)).toThrow(/past the end of line 2/);
  });
});

// ---------------------------------------------------------------------------------------------
// (a) Arbitrary text.

describe('arbitrary input never throws and returns promptly', () => {
  it('random byte strings (as UTF-8 and as Latin-1)', () => {
    const utf8 = new TextDecoder('utf-8', { fatal: false });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048, size: 'max' }), (bytes) => {
        for (const text of [utf8.decode(bytes), String.fromCharCode(...bytes)]) {
          savingFailures(text, 'bytes', () => {
            const r = timedCompile(text);
            checkBasics(text, r);
            checkPositions(text, r);
          });
        }
      }),
      params(600),
    );
  });

  it('random unicode strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 1000, size: 'max' }), fc.string({ unit: 'grapheme', maxLength: 300, size: 'max' })), (text) =>
        savingFailures(text, 'unicode', () => {
          const r = timedCompile(text);
          checkBasics(text, r);
          checkPositions(text, r);
        }),
      ),
      params(600),
    );
  });

  it('random strings over the language alphabet', () => {
    const alphabet = [...'familystagecnvk01234569.e-{}{} \n\n\r\t/*_#'];
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 800, size: 'max' }), (text) =>
        savingFailures(text, 'alphabet', () => {
          const r = timedCompile(text);
          checkBasics(text, r);
          checkPositions(text, r);
        }),
      ),
      params(600),
    );
  });

  it('pathological shapes: deep nesting, long lines, long words, many lines', () => {
    const inputs = [
      '{'.repeat(2000),
      '}'.repeat(2000),
      'family x ' + '{ '.repeat(2000),
      'family x { ' + 'variant v { '.repeat(300),
      'family x { stage mbconv ' + 'k3 '.repeat(3000) + '}',
      'family x { ' + 'stge '.repeat(10_000) + '}',
      'family x { ' + '1 '.repeat(10_000) + '}',
      'a'.repeat(20_000),
      '9'.repeat(20_000),
      '/*'.repeat(5000),
      '//\n'.repeat(10_000),
      '\n'.repeat(20_000) + '@',
      'family x { ' + 'stage mbconv e6 k3 s1 c8 n1\n'.repeat(1000) + 'stem conv c8 variant v { resolution 8 } }',
    ];
    for (const text of inputs) {
      const r = timedCompile(text);
      checkBasics(text, r);
      checkPositions(text, r);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// (b) Grammar-aware mutation of the shipped specs.

/** Words, numbers, braces, comments and the whitespace between them, so that joining restores the text. */
function lex(text: string): string[] {
  return text.match(/\/\/[^\n]*|\/\*[\s\S]*?\*\/|\s+|[{}]|[^\s{}]+/g) ?? [];
}

const isSpaceOrComment = (t: string): boolean => /^\s/.test(t) || t.startsWith('//') || t.startsWith('/*');
const NUMBER = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const COMPACT = /^([ksecn])(\d+(?:\.\d+)?)$/;

const KEYWORDS = [
  'family', 'variant', 'compound', 'input', 'classes', 'activation', 'norm', 'padding', 'round', 'se', 'stem', 'stage',
  'head', 'classifier', 'drop_path', 'width', 'depth', 'resolution', 'phi', 'dropout', 'alpha', 'beta', 'gamma',
  'channels', 'batch', 'eps', 'momentum', 'divisor', 'min', 'limit', 'repeats', 'squeeze', 'from', 'act', 'gate', 'conv',
  'hidden', 'none', 'mid', 'expand_from', 'skip', 'fixed_width', 'fixed_depth',
];
const VALUES = [
  'mbconv', 'fused_mbconv', 'edge_residual', 'ds_conv', 'ir', 'er', 'ds', 'cn', 'fused', 'relu', 'relu6', 'silu', 'swish',
  'hardswish', 'hardsigmoid', 'sigmoid', 'gelu', 'identity', 'linear', 'symmetric', 'same', 'ceil', 'floor', 'on', 'off',
  'auto', 'input', 'expanded', 'b0', 'b1', 'lite0', 's', 'm', 'l', 'k3', 's2', 'e6', 'c24', 'n2', 'k0', 's0', 'e0', 'c0', 'n0',
];
const PUNCTUATION = ['{', '}', '{ }', '//', '/*', '*/', ';', ':', ',', '#', '@', '×', 'é', '🚀', '"', '=', '-', '.'];

const numberText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '0', '-0', '1', '2', '3', '-1', '-3', '0.5', '.5', '5.', '2.5', '1e-9', '1e9', '1e308', '-1e308', '1e400', '1e-400',
    '1000000000', '1000000001', '4294967296', '9007199254740993', '0.999999', '1.0000001', '00', '007',
  ),
  fc.integer({ min: -10, max: 100_000 }).map(String),
  fc.double({ noNaN: true }).map(String), // includes Infinity, -Infinity, 5e-324 and 1.7976931348623157e+308
);
/** Numbers a spec could well hold: mutants with these often still compile, so their graphs get checked. */
const plausibleNumber = fc.constantFrom('1', '1', '3', '5', '7', '2', '4', '6', '8', '16', '24', '0.25', '0.5', '0.9', '1.1', '1.5', '2.5', '64', '100', '224', '300');
const wordText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...KEYWORDS, ...VALUES),
  fc.stringMatching(/^[a-z_][a-z0-9_]{0,10}$/),
);
const anyToken: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: wordText },
  { weight: 3, arbitrary: numberText },
  { weight: 1, arbitrary: fc.constantFrom(...PUNCTUATION) },
);

type Mutation =
  | { op: 'delete'; at: number }
  | { op: 'duplicate'; at: number }
  | { op: 'swap'; at: number; with: number }
  | { op: 'number'; at: number; value: string }
  | { op: 'word'; at: number; value: string }
  | { op: 'insert'; at: number; value: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
  { weight: 3, arbitrary: fc.record({ op: fc.constant('number' as const), at: fc.nat(), value: numberText }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('number' as const), at: fc.nat(), value: plausibleNumber }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('word' as const), at: fc.nat(), value: wordText }) },
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), value: anyToken }),
);

/** Applies mutations to the non-space tokens; comments and whitespace stay as they are. */
function mutate(text: string, mutations: Mutation[]): string {
  const tokens = lex(text);
  const indices = (pred: (t: string) => boolean): number[] => tokens.flatMap((t, i) => (pred(t) ? [i] : []));
  for (const m of mutations) {
    const code = indices((t) => !isSpaceOrComment(t));
    if (code.length === 0) break;
    const i = code[m.at % code.length]!;
    switch (m.op) {
      case 'delete':
        tokens[i] = '';
        break;
      case 'duplicate':
        tokens[i] = `${tokens[i]} ${tokens[i]}`;
        break;
      case 'swap': {
        const j = code[m.with % code.length]!;
        [tokens[i], tokens[j]] = [tokens[j]!, tokens[i]!];
        break;
      }
      case 'number': {
        const numeric = indices((t) => NUMBER.test(t) || COMPACT.test(t));
        if (numeric.length === 0) break;
        const n = numeric[m.at % numeric.length]!;
        const compact = COMPACT.exec(tokens[n]!);
        tokens[n] = compact ? compact[1] + m.value : m.value;
        break;
      }
      case 'word': {
        const words = indices((t) => /^[A-Za-z_]/.test(t));
        if (words.length === 0) break;
        tokens[words[m.at % words.length]!] = m.value;
        break;
      }
      case 'insert':
        tokens[i] = `${m.value} ${tokens[i]}`;
        break;
    }
  }
  return tokens.join('');
}

describe('mutated shipped specs', () => {
  it('the mutator is the identity without mutations, and mutations change the text', () => {
    for (const s of shipped) expect(mutate(s.text, [])).toBe(s.text);
    const b0 = shipped.find((s) => s.name === 'efficientnet.effnet')!.text;
    expect(mutate(b0, [{ op: 'number', at: 0, value: '1e308' }])).toContain('input channels 1e308');
    expect(mutate(b0, [{ op: 'number', at: 7, value: '-3' }])).toContain('stem  conv k-3 s2 c32');
  });

  const input = fc.record({
    spec: fc.constantFrom(...shipped),
    mutations: fc.array(mutation, { minLength: 1, maxLength: 5 }),
  });

  it('never throw; diagnostics are well formed and placed inside the text; error-free graphs chain their shapes', () => {
    let clean = 0;
    fc.assert(
      fc.property(input, ({ spec, mutations }) => {
        const text = mutate(spec.text, mutations);
        savingFailures(text, 'mutant', () => {
          const r = timedCompile(text, spec.name);
          checkBasics(text, r);
          checkPositions(text, r);
          if (!hasErrors(r.diagnostics)) clean++;
        });
      }),
      params(1500),
    );
    // The graph checks only bite on mutants without errors: make sure there were some.
    expect(clean).toBeGreaterThan(0);
  });

  // Byte-level: flips, inserts and deletes anywhere, including inside words, numbers and comments,
  // and bytes that are not valid UTF-8 on their own.
  const byteEdit = fc.oneof(
    fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant('delete' as const), at: fc.nat(), byte: fc.constant(0) }),
  );
  it('byte-mutated shipped specs never throw; diagnostics are well formed and placed inside the text', () => {
    const utf8 = new TextDecoder('utf-8', { fatal: false });
    fc.assert(
      fc.property(fc.constantFrom(...shipped), fc.array(byteEdit, { minLength: 1, maxLength: 8 }), (spec, edits) => {
        const bytes = [...Buffer.from(spec.text, 'utf8')];
        for (const e of edits) {
          const at = e.at % (bytes.length + 1);
          if (e.op === 'set' && at < bytes.length) bytes[at] = e.byte;
          else if (e.op === 'insert') bytes.splice(at, 0, e.byte);
          else if (e.op === 'delete' && at < bytes.length) bytes.splice(at, 1);
        }
        const text = utf8.decode(Uint8Array.from(bytes));
        savingFailures(text, 'bytes-mutant', () => {
          const r = timedCompile(text, spec.name);
          checkBasics(text, r);
          checkPositions(text, r);
        });
      }),
      params(1200),
    );
  });

  it('compiling is deterministic: the same text gives the same diagnostics after compiling another', () => {
    fc.assert(
      fc.property(input, input, (a, b) => {
        const textA = mutate(a.spec.text, a.mutations);
        const first = timedCompile(textA).diagnostics;
        timedCompile(mutate(b.spec.text, b.mutations));
        const again = timedCompile(textA).diagnostics;
        expect(again).toEqual(first);
      }),
      params(100),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// (c) Generated specs: a family block of random statements, closer to the grammar than mutants.

const attribute: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.constantFrom('k', 's', 'e', 'c', 'n'), fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 2000 }))).map(([k, v]) => `${k}${v}`),
  fc.tuple(fc.constantFrom('se', 'mid', 'expand_from'), numberText).map(([k, v]) => `${k} ${v}`),
  fc.tuple(fc.constant('act'), fc.constantFrom('relu', 'silu', 'none', 'hswish', 'bogus')).map(([k, v]) => `${k} ${v}`),
  fc.tuple(fc.constant('skip'), fc.constantFrom('on', 'off', 'auto', 'maybe')).map(([k, v]) => `${k} ${v}`),
  fc.constantFrom('fixed_width', 'fixed_depth'),
);
const attributes = fc.array(attribute, { maxLength: 8 }).map((a) => a.join(' '));
const blockType = fc.constantFrom('mbconv', 'fused_mbconv', 'edge_residual', 'ds_conv', 'conv', 'ir', 'mbcnv');
const scalar = fc.tuple(fc.constantFrom('width', 'depth', 'resolution', 'phi', 'dropout', 'drop_path'), numberText).map(([k, v]) => `${k} ${v}`);

const statement: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(blockType, attributes).map(([b, a]) => `stage ${b} ${a}`) },
  { weight: 1, arbitrary: attributes.map((a) => `stem conv ${a}`) },
  { weight: 1, arbitrary: fc.oneof(fc.constant('head none'), attributes.map((a) => `head conv ${a}`)) },
  { weight: 2, arbitrary: scalar },
  { weight: 1, arbitrary: fc.tuple(numberText, numberText, numberText).map(([a, b, c]) => `compound alpha ${a} beta ${b} gamma ${c}`) },
  { weight: 1, arbitrary: fc.constantFrom('activation relu6', 'activation swsh', 'padding same', 'padding valid', 'norm batch eps 1e-3 momentum 0.01', 'round channels divisor 8 min 8 limit 0.9', 'round repeats floor', 'round resolution divisor 32', 'se squeeze from expanded divisor 8 act relu gate hardsigmoid', 'classifier dropout 0.3 hidden 1024 act hardswish', 'input channels 1', 'classes 10') },
  { weight: 1, arbitrary: anyToken },
);
const variant = fc
  .tuple(fc.constantFrom('b0', 'b1', 'x', 'phi2'), fc.array(fc.oneof(scalar, statement), { maxLength: 4 }))
  .map(([name, body]) => `variant ${name} { ${body.join('\n    ')} }`);

// Mostly sound pieces, so that many generated specs compile and their graphs get checked.
const soundStage = fc
  .record({
    block: fc.constantFrom('mbconv', 'fused_mbconv', 'edge_residual', 'ds_conv', 'conv'),
    e: fc.constantFrom(1, 2, 4, 6),
    k: fc.constantFrom(1, 3, 5, 7),
    s: fc.constantFrom(1, 1, 2),
    c: fc.integer({ min: 1, max: 400 }),
    n: fc.integer({ min: 1, max: 4 }),
    se: fc.option(fc.constantFrom(0.25, 0.5, 1), { nil: undefined }),
    extra: fc.constantFrom('', '', 'skip off', 'fixed_width', 'fixed_depth', 'act relu6'),
  })
  .map(({ block, e, k, s, c, n, se, extra }) => {
    const expands = block === 'mbconv' || block === 'fused_mbconv' || block === 'edge_residual';
    const squeeze = se !== undefined && block !== 'conv' ? ` se ${se}` : '';
    return `stage ${block}${expands ? ` e${e}` : ''} k${k} s${s} c${c} n${n}${squeeze} ${extra}`.trimEnd();
  });
const soundVariant = fc
  .record({
    name: fc.constantFrom('b0', 'b1', 'b2', 'small', 'big'),
    width: fc.constantFrom('0.25', '0.5', '1.0', '1.1', '2.0', '3.7'),
    depth: fc.constantFrom('0.5', '1.0', '1.2', '2.2', '3.1'),
    resolution: fc.integer({ min: 1, max: 400 }),
  })
  .map(({ name, width, depth, resolution }) => `variant ${name} { width ${width} depth ${depth} resolution ${resolution} }`);
const soundSetting = fc.constantFrom(
  '', 'activation relu6', 'padding same', 'norm batch eps 1e-3 momentum 0.01', 'round channels divisor 4 min 4 limit 0.8',
  'round repeats floor', 'round repeats round', 'se squeeze from expanded divisor 8 act relu gate hardsigmoid',
  'classifier dropout 0.3 hidden 64 act hardswish', 'input channels 1', 'classes 10', 'head none', 'drop_path 0.3',
);

const generatedSpec = fc.oneof(
  // Random statements: mostly diagnostics.
  fc
    .tuple(fc.array(statement, { maxLength: 14 }), fc.array(variant, { maxLength: 3 }))
    .map(([body, variants]) => `family gen {\n  stem conv k3 s2 c32\n  ${body.join('\n  ')}\n  ${variants.join('\n  ')}\n}\n`),
  // Sound statements with an occasional random one: mostly graphs.
  fc
    .tuple(
      fc.array(soundSetting, { maxLength: 3 }),
      fc.array(soundStage, { minLength: 1, maxLength: 7 }),
      fc.constantFrom('head conv k1 c1280', 'head conv k1 c64 fixed_width', 'head none', ''),
      fc.array(statement, { maxLength: 1 }),
      fc.uniqueArray(soundVariant, { minLength: 1, maxLength: 3, selector: (v) => v.split(' ')[1] }),
    )
    .map(([settings, stages, head, noise, variants]) =>
      ['family gen {', '  stem conv k3 s2 c16', ...settings, ...stages, head, ...noise, ...variants, '}', ''].join('\n'),
    ),
);

describe('generated specs', () => {
  it('never throw; diagnostics are well formed; error-free graphs chain their shapes', () => {
    let clean = 0;
    fc.assert(
      fc.property(generatedSpec, (text) =>
        savingFailures(text, 'generated', () => {
          const r = timedCompile(text);
          checkBasics(text, r);
          checkPositions(text, r);
          if (!hasErrors(r.diagnostics)) clean++;
        }),
      ),
      params(800),
    );
    expect(clean).toBeGreaterThan(0);
  });
});
