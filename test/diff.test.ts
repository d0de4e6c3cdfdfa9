import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDiff } from '../src/cli/diff-command.js';
import { diffRefs } from '../src/diff/diff.js';
import { isEmpty, num, type Diff, type Num, type SettingChange, type StageRow, type VariantDiff } from '../src/diff/model.js';
import { renderDiff } from '../src/diff/render.js';

const root = resolve(import.meta.dirname, '..');
const goldenDir = join(root, 'test/golden/diff');
const update = process.env.UPDATE_GOLDEN === '1';

/** `effnet diff …` through commander, as main.ts wires it. */
async function run(args: string[], cwd = root, color = false) {
  let stdout = '';
  let stderr = '';
  let code = 0;
  const program = new Command('effnet').exitOverride().configureOutput({ writeOut: (t) => (stdout += t), writeErr: (t) => (stderr += t) });
  registerDiff(program, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd, color }, (c) => (code = c));
  try {
    await program.parseAsync(['diff', ...args], { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = 2;
  }
  return { code, stdout, stderr };
}

function golden(name: string, actual: string): void {
  const path = join(goldenDir, name);
  if (update) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
  }
  expect(actual, `${name} (UPDATE_GOLDEN=1 rewrites it)`).toBe(readFileSync(path, 'utf8'));
}

const temps: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'effnet-diff-'));
  temps.push(d);
  return d;
}
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'commit.gpgsign=false', ...args], { cwd, stdio: 'pipe' });

/** A repository with three commits of one spec: the original, a semantic-only edit, a structural edit. */
let repo = '';
beforeAll(() => {
  repo = tempDir();
  const original = readFileSync(join(root, 'specs/efficientnet.effnet'), 'utf8');
  mkdirSync(join(repo, 'specs'));
  const spec = join(repo, 'specs/efficientnet.effnet');
  git(repo, 'init', '-q');
  writeFileSync(spec, original);
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'original');
  const semantic = original.replace('norm batch eps 1e-5 momentum 0.1', 'norm batch eps 1e-3 momentum 0.1').replace('padding symmetric', 'padding same');
  writeFileSync(spec, semantic);
  git(repo, 'commit', '-q', '-am', 'eps and padding');
  const structural = semantic
    .replace('stage mbconv e6 k5 s1 c112 n3 se 0.25', 'stage mbconv e6 k5 s1 c128 n4 se 0.25')
    .replace(/ *variant l2 .*\n/, '  variant tiny { width 0.5 depth 0.5 resolution 128 dropout 0.1 }\n');
  writeFileSync(spec, structural);
  git(repo, 'commit', '-q', '-am', 'wider stage 5, tiny instead of l2');
});

const CASES: [string, string[]][] = [
  ['b0-b3', ['specs/efficientnet.effnet#b0', 'specs/efficientnet.effnet#b3']],
  ['b0-b7', ['specs/efficientnet.effnet#b0', 'specs/efficientnet.effnet#b7']],
  ['b0-edgetpu-s', ['specs/efficientnet.effnet#b0', 'specs/efficientnet_edgetpu.effnet#s']],
];

describe('effnet diff goldens', () => {
  for (const [name, refs] of CASES)
    for (const format of ['text', 'md', 'json'])
      it(`${name} ${format}`, async () => {
        const r = await run([...refs, '--format', format]);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        golden(`${name}.${format === 'text' ? 'txt' : format}`, r.stdout);
      });

  for (const format of ['text', 'md', 'json'])
    it(`a spec edited between two commits, ${format}`, async () => {
      const r = await run(['git:HEAD~2:specs/efficientnet.effnet', 'git:HEAD:specs/efficientnet.effnet', '--format', format], repo);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      golden(`git-spec.${format === 'text' ? 'txt' : format}`, r.stdout);
    });

  it('b0 → b3 summary line', async () => {
    const r = await run(['specs/efficientnet.effnet#b0', 'specs/efficientnet.effnet#b3']);
    expect(r.stdout.split('\n')[0]).toBe('b0 → b3: params +131 %, MACs +374 %, resolution 224 → 300, 6 settings changed');
  });

  it('colours changed cells only on request (TTY without NO_COLOR)', async () => {
    const refs = CASES[0]![1];
    expect((await run(refs, root, true)).stdout).toContain('\u001b[33m');
    expect((await run(refs, root, false)).stdout).not.toContain('\u001b[');
    expect((await run([...refs, '--format', 'md'], root, true)).stdout).not.toContain('\u001b[');
  });
});

describe('semantic differences', () => {
  it('a settings-only edit shows the settings even though no number changes', () => {
    const d = diffRefs('git:HEAD~2:specs/efficientnet.effnet', 'git:HEAD~1:specs/efficientnet.effnet', repo);
    expect(d.kind).toBe('spec');
    if (d.kind !== 'spec') return;
    expect(d.settings.map((s) => s.path)).toEqual(['base.norm.eps', 'base.padding']);
    const b0 = d.changed.find((v) => v.a === 'b0')!;
    expect(b0.totals.params.delta).toBe(0);
    expect(b0.totals.macs.delta).toBe(0);
    expect(b0.settings.map((s) => `${s.path}: ${s.a} → ${s.b}`)).toEqual(['network.norm.eps: 0.00001 → 0.001', 'network.padding: symmetric → same']);
    // b5 and up set eps themselves; padding still changed.
    expect(d.changed.find((v) => v.a === 'b5')!.settings.map((s) => s.path)).toEqual(['network.padding']);
  });

  it('variants added, removed and changed; a git revision against the working tree', () => {
    const d = diffRefs('git:HEAD~1:specs/efficientnet.effnet', 'specs/efficientnet.effnet', repo);
    if (d.kind !== 'spec') throw new Error('expected a spec diff');
    expect(d.added).toEqual(['tiny']);
    expect(d.removed).toEqual(['l2']);
    expect(d.unchanged).toEqual([]);
    const b0 = d.changed.find((v) => v.a === 'b0')!;
    const stage5 = b0.stages.find((s) => s.key === 'stage 5')!;
    expect(stage5.changed).toEqual(['channels', 'repeats', 'outShape']);
    expect(stage5.blocks).toBe(1);
  });

  it('a variant on one side only is looked up by name on the other, and the output says so', () => {
    const d = diffRefs('git:HEAD~2:specs/efficientnet.effnet', 'specs/efficientnet.effnet#b0', repo);
    if (d.kind !== 'variant') throw new Error('expected a variant diff');
    expect(isEmpty(d)).toBe(false);
    expect([d.a, d.b, d.byName]).toEqual(['git:HEAD~2:specs/efficientnet.effnet#b0', 'specs/efficientnet.effnet#b0', 'a']);
    expect(d.refs).toEqual({ a: 'git:HEAD~2:specs/efficientnet.effnet', b: 'specs/efficientnet.effnet#b0' });
  });
});

describe('--fail-on', () => {
  const b0b3 = CASES[0]![1];
  it('exits 1 when |Δ%| crosses a threshold, naming it on stderr', async () => {
    const r = await run([...b0b3, '--fail-on', 'params:10%']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('effnet: --fail-on params:10%: b0 → b3 changed by +131 %\n');
    expect(r.stdout).toContain('b0 → b3');
  });
  it('is repeatable; below every threshold exits 0', async () => {
    expect((await run([...b0b3, '--fail-on', 'params:200%', '--fail-on', 'macs:400%'])).code).toBe(0);
    expect((await run([...b0b3, '--fail-on', 'params:200%', '--fail-on', 'macs:300%'])).code).toBe(1);
    expect((await run([...b0b3, '--fail-on', 'flops:373', '--fail-on', 'activations:300%'])).code).toBe(1);
    expect((await run([...b0b3, '--fail-on', 'activations:300%'])).code).toBe(0);
  });
  it('decreases count too (|Δ%|)', async () => {
    expect((await run(['specs/efficientnet.effnet#b3', 'specs/efficientnet.effnet#b0', '--fail-on', 'params:50%'])).code).toBe(1);
  });
  it('gates every changed variant of a spec diff', async () => {
    const r = await run(['git:HEAD~1:specs/efficientnet.effnet', 'specs/efficientnet.effnet', '--fail-on', 'params:0.1%'], repo);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^effnet: --fail-on params:0.1%: b0 changed by \+/);
  });
  it('a malformed rule is a usage error', async () => {
    const r = await run([...b0b3, '--fail-on', 'latency:5%']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^effnet: --fail-on expects METRIC:N%/);
  });
});

describe('bad references exit 2 with one line on stderr', () => {
  const bad: [string, string[], RegExp, () => string][] = [
    ['missing file', ['specs/nope.effnet#b0', 'specs/efficientnet.effnet#b0'], /^effnet: specs\/nope\.effnet#b0: cannot read specs\/nope\.effnet: no such file\n$/, () => root],
    [
      'unknown variant, with the variants there are',
      ['specs/efficientnet.effnet#b0', 'specs/efficientnet.effnet#b99'],
      /^effnet: specs\/efficientnet\.effnet#b99:\d+: family `efficientnet` has no variant `b99`; its variants are b0, b1, b2, b3, b4, b5, b6, b7, b8, l2\n$/,
      () => root,
    ],
    ['unknown revision', ['git:nosuchrev:specs/efficientnet.effnet', 'specs/efficientnet.effnet'], /^effnet: git:nosuchrev:specs\/efficientnet\.effnet: unknown git revision `nosuchrev`\n$/, () => repo],
    ['file missing at a revision', ['git:HEAD:specs/other.effnet', 'specs/efficientnet.effnet'], /^effnet: git:HEAD:specs\/other\.effnet: specs\/other\.effnet does not exist at revision `HEAD`\n$/, () => repo],
    ['malformed git reference', ['git:HEAD', 'specs/efficientnet.effnet'], /^effnet: git:HEAD: expected git:REV:path/, () => repo],
    ['spec with errors', ['broken.effnet', 'specs/efficientnet.effnet'], /^effnet: broken\.effnet:\d+: .+\n$/, () => repo],
  ];
  beforeAll(() => writeFileSync(join(repo, 'broken.effnet'), 'family broken {\n  stage mbconv e6 k3 s1 c16 n1 se 9\n  stem conv\n}\n'));
  for (const [what, args, message, cwd] of bad)
    it(what, async () => {
      const r = await run(args, cwd());
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    });
});

// --- properties -------------------------------------------------------------

const neg = (x: number) => (x === 0 ? 0 : -x);
const mirrorNum = (n: Num): Num => ({ ...num(n.b, n.a), delta: neg(n.delta) });
/** A setting one side lacks has no key there: swapping must not invent an `undefined` one. */
const mirrorSetting = (s: SettingChange): SettingChange => ({ path: s.path, ...('b' in s ? { a: s.b } : {}), ...('a' in s ? { b: s.a } : {}) });
const mirrorRow = (r: StageRow): StageRow => ({ ...r, a: r.b, b: r.a, params: mirrorNum(r.params), macs: mirrorNum(r.macs), blocks: neg(r.blocks), layers: neg(r.layers) });
function mirrorVariant(d: VariantDiff): VariantDiff {
  const totals = Object.fromEntries(Object.entries(d.totals).map(([k, n]) => [k, mirrorNum(n)])) as VariantDiff['totals'];
  return {
    ...d,
    a: d.b,
    b: d.a,
    totals,
    stages: d.stages.map(mirrorRow),
    settings: d.settings.map(mirrorSetting),
    ...(d.refs ? { refs: { a: d.refs.b, b: d.refs.a } } : {}),
    ...(d.byName ? { byName: d.byName === 'a' ? 'b' : 'a' } : {}),
    ...(d.graphs ? { graphs: [d.graphs[1], d.graphs[0]] as const } : {}),
  };
}
/** What B → A must be, given A → B. */
function mirror(d: Diff): Diff {
  if (d.kind === 'variant') return mirrorVariant(d);
  return { ...d, a: d.b, b: d.a, families: { a: d.families.b, b: d.families.a }, added: d.removed, removed: d.added, changed: d.changed.map(mirrorVariant), settings: d.settings.map(mirrorSetting) };
}
/** Settings are listed in the order of the keys met; compare them as sets. */
const canonical = (d: Diff): unknown =>
  JSON.parse(JSON.stringify(d, (k, v) => (k === 'settings' ? [...v].sort((x: { path: string }, y: { path: string }) => x.path.localeCompare(y.path)) : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)));

const VARIANTS = ['specs/efficientnet.effnet#b0', 'specs/efficientnet.effnet#b2', 'specs/efficientnet.effnet#b3', 'specs/efficientnet_edgetpu.effnet#s', 'specs/efficientnet_lite.effnet#lite0'];
const SPECS = ['specs/mobilenet_v2.effnet', 'specs/efficientnet_edgetpu.effnet', 'specs/efficientnet_lite.effnet'];
const POOL = [...VARIANTS, ...SPECS];
/** Two variants, or two whole specs. */
const pairs = fc.oneof(fc.tuple(fc.constantFrom(...VARIANTS), fc.constantFrom(...VARIANTS)), fc.tuple(fc.constantFrom(...SPECS), fc.constantFrom(...SPECS)));

describe('properties', () => {
  it('A → B equals B → A with signs reversed and added/removed swapped', () => {
    fc.assert(
      fc.property(pairs, ([a, b]) => {
        const forward = diffRefs(a, b, root);
        const backward = diffRefs(b, a, root);
        expect(canonical(backward)).toEqual(canonical(mirror(forward)));
      }),
      { numRuns: 25 },
    );
  });

  it('anything diffed with itself is empty and exits 0', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...POOL, 'git:HEAD:specs/efficientnet.effnet#b1', 'git:HEAD~1:specs/efficientnet.effnet'), fc.constantFrom('text', 'md', 'json'), async (ref, format) => {
        const cwd = ref.startsWith('git:') ? repo : root;
        const d = diffRefs(ref, ref, cwd);
        expect(isEmpty(d)).toBe(true);
        expect(renderDiff(d, 'text', false).split('\n')[0]).toMatch(/: no differences$/);
        const r = await run([ref, ref, '--format', format, '--fail-on', 'params:0%', '--fail-on', 'macs:0%'], cwd);
        expect(r.code).toBe(0);
        expect(r.stderr).toBe('');
      }),
      { numRuns: 15 },
    );
  });
});
