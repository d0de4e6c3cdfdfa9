import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileSource } from '../src/compile/compile.js';
import { analyzeVariant } from '../src/cost/cost.js';
import { MEASURE_TARGETS } from '../src/search/measure.js';
import { comparable, parseStore, STORE_HEADER, type EvalRecord, type StoreRecord } from '../src/search/store.js';
import { runCli, tempDirs } from './support/cli.js';
import { GRID, SPEC } from './support/search-spec.js';

// `effnet search --eval`: the user's evaluator per candidate, its metrics or its failure kept in
// the store; shards that merge into the unsharded run; a store that is not one refused. The grid
// is tiny (support/search-spec.ts): 8 coefficient triples, 4 distinct networks.

const tmp = tempDirs('effnet-search-eval-');

/** A folder with the spec and an evaluator script `ev.sh`; its calls are lines of calls.txt. */
function folder(evaluator: string): string {
  const dir = tmp();
  writeFileSync(join(dir, 'tiny.effnet'), SPEC);
  writeFileSync(join(dir, 'ev.sh'), `echo "$EFFNET_PARAMS" >> calls.txt\n${evaluator}\n`);
  return dir;
}
const calls = (dir: string) => (existsSync(join(dir, 'calls.txt')) ? readFileSync(join(dir, 'calls.txt'), 'utf8').trim().split('\n') : []);
const records = (path: string): StoreRecord[] => parseStore(readFileSync(path, 'utf8'), path).records;
const byKey = (rs: StoreRecord[]) => [...rs].sort((a, b) => (a.key < b.key ? -1 : 1)).map(comparable);

/** A process has ended: no such process, or a zombie nobody reaped (a container's init may not). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
}

/** Metrics from the candidate itself, so every run gives the same record. */
const GOOD = 'echo "{\\"top1\\": 0.$EFFNET_PARAMS, \\"macs\\": $EFFNET_MACS}"';

describe('--eval', () => {
  it('evaluates each distinct network once, ranks by the metric and names the chosen line; a rerun evaluates nothing', async () => {
    const dir = folder(GOOD);
    const r = await runCli(['search', 'tiny.effnet', ...GRID, '--eval', 'sh ev.sh', '--metric', 'top1'], dir);
    expect(r.stderr).toContain('effnet: tiny.search.jsonl: 4 evaluations run, 0 read from the store');
    expect(r.code).toBe(0);
    expect(calls(dir).sort()).toEqual(['120402', '124354', '180072', '67916']);
    const store = records(join(dir, 'tiny.search.jsonl')) as EvalRecord[];
    expect(store.map((x) => x.metrics!.top1).sort()).toEqual([0.120402, 0.124354, 0.180072, 0.67916]);
    // 0.67916 is the unscaled width at 40×40 (γ 1.4): 67,916 parameters.
    expect(r.stdout).toContain('| 1 | 1.00 | 1.00 | 1.40 | 1.999 | 40 | 67,916 | 7.725 M | 0.6792 | 7725472 | MACs |');
    expect(r.stdout).toContain('Chosen (best top1): `compound alpha 1 beta 1 gamma 1.4`');
    // The three α of one network share its record.
    expect(r.stdout.match(/\| 0\.1801 \|/g)).toHaveLength(5);
    const again = await runCli(['search', 'tiny.effnet', ...GRID, '--eval', 'sh ev.sh', '--metric', 'top1', '--format', 'json'], dir);
    expect(again.stderr).toContain('0 evaluations run, 4 read from the store');
    expect(calls(dir)).toHaveLength(4);
    expect(JSON.parse(again.stdout).chosen).toMatchObject({ alpha: 1, beta: 1, gamma: 1.4, rank: 1, metrics: { top1: 0.67916 } });
  });

  it('gives the candidate spec, variant and model folder as arguments and EFFNET_* variables; the spec rebuilds the candidate', async () => {
    const dir = folder(`printf '%s\\n' "$1" "$2" "$3" "$EFFNET_SPEC" "$EFFNET_VARIANT" "$EFFNET_MODEL_DIR" "$EFFNET_RESOLUTION" > "$EFFNET_VARIANT.args"\n${GOOD}`);
    const r = await runCli(['search', 'tiny.effnet', ...GRID, '--eval', 'sh ev.sh', '--store', 'runs/s.jsonl'], dir);
    expect(r.code).toBe(0);
    const [spec, variant, model, envSpec, envVariant, envModel, resolution] = readFileSync(join(dir, 'search_a1_b1_g1_4.args'), 'utf8').trim().split('\n');
    expect([envSpec, envVariant, envModel]).toEqual([spec, variant, model]);
    expect(variant).toBe('search_a1_b1_g1_4');
    expect(resolution).toBe('40');
    expect(spec!.startsWith(join(dir, 'runs/s.jsonl.d/'))).toBe(true);
    expect(readdirSync(model!).sort()).toEqual(['model.tfjs.ts', 'model.wgsl.ts', 'network.ts']);
    const text = readFileSync(spec!, 'utf8');
    expect(text.startsWith(SPEC.replace(/\}\n$/, ''))).toBe(true);
    const g = compileSource(text, 'spec.effnet', { variants: [variant!] }).graphs[0]!;
    expect([g.resolution, analyzeVariant(g).macs, analyzeVariant(g).params]).toEqual([40, 7725472, 67916]);
    expect(readFileSync(join(model!, 'model.tfjs.ts'), 'utf8')).toContain("import * as tf from '@tensorflow/tfjs';");
  });

  it('records a failing, a hanging (--eval-timeout 1) and a JSON-less evaluator with their reasons, and completes', async () => {
    const dir = folder(`case "$EFFNET_PARAMS" in
  67916) echo '{"top1": 0.5}';;
  180072) echo 'out of memory' >&2; exit 3;;
  124354) sleep 30 & echo $! > hang.pid; wait;;
  120402) echo 'done'; echo '{"top1": "high"}';;
esac`);
    const r = await runCli(['search', 'tiny.effnet', ...GRID, '--eval', 'sh ev.sh', '--eval-timeout', '1'], dir);
    expect(r.code).toBe(0);
    const store = records(join(dir, 'tiny.search.jsonl')) as EvalRecord[];
    const by = new Map(store.map((x) => [x.network.params, x]));
    expect(by.get(67916)).toMatchObject({ metrics: { top1: 0.5 } });
    expect(by.get(180072)).toMatchObject({ error: 'exit code 3', stderr: 'out of memory' });
    expect(by.get(124354)).toMatchObject({ error: 'timed out after 1 s' });
    expect(by.get(120402)).toMatchObject({ error: 'no JSON object of numbers on stdout' });
    // The hung evaluator's whole process group was killed, its `sleep 30` too.
    const pid = Number(readFileSync(join(dir, 'hang.pid'), 'utf8'));
    expect(gone(pid)).toBe(true);
    expect(r.stdout).toContain('evaluator failed: timed out after 1 s');
    expect(r.stdout).toContain('Chosen (best top1): `compound alpha 1 beta 1 gamma 1.4`');
    // Failures are final unless --retry-failed.
    await runCli(['search', 'tiny.effnet', ...GRID, '--eval', 'sh ev.sh', '--eval-timeout', '1'], dir);
    expect(calls(dir)).toHaveLength(4);
    writeFileSync(join(dir, 'ev.sh'), `echo "$EFFNET_PARAMS" >> calls.txt\n${GOOD}\n`);
    const retry = await runCli(['search', 'tiny.effnet', ...GRID, '--eval', 'sh ev.sh', '--retry-failed'], dir);
    expect(retry.stderr).toContain('3 evaluations run, 1 read from the store');
    expect(records(join(dir, 'tiny.search.jsonl'))).toHaveLength(7);
  });

  it('shards 0/3, 1/3, 2/3 merged equal one unsharded run, record for record', async () => {
    const dir = folder(GOOD);
    const args = ['search', 'tiny.effnet', ...GRID, '--eval', 'sh ev.sh'];
    expect((await runCli([...args, '--store', 'all.jsonl'], dir)).code).toBe(0);
    for (const i of [0, 1, 2]) expect((await runCli([...args, '--shard', `${i}/3`, '--store', `shard${i}.jsonl`], dir)).code).toBe(0);
    // Each shard did its own networks: 4 by the unsharded run, 4 by the shards together.
    expect(calls(dir)).toHaveLength(8);
    expect([0, 1, 2].map((i) => records(join(dir, `shard${i}.jsonl`)).length)).toEqual([2, 1, 1]);
    const m = await runCli(['search', 'merge', 'merged.jsonl', 'shard0.jsonl', 'shard1.jsonl', 'shard2.jsonl'], dir);
    expect(m).toMatchObject({ code: 0, stderr: 'effnet: wrote merged.jsonl: 4 records from 3 stores (0 identical duplicates)\n' });
    expect(byKey(records(join(dir, 'merged.jsonl')))).toEqual(byKey(records(join(dir, 'all.jsonl'))));
    // The merged store serves the full ranking without evaluating anything.
    const ranked = await runCli([...args, '--store', 'merged.jsonl'], dir);
    expect(ranked.stderr).toContain('0 evaluations run, 4 read from the store');
    expect(ranked.stdout).toContain('Chosen (best top1): `compound alpha 1 beta 1 gamma 1.4`');
  });

  it('--shards N takes the index from JOB_COMPLETION_INDEX', async () => {
    const dir = folder(GOOD);
    const before = process.env.JOB_COMPLETION_INDEX;
    process.env.JOB_COMPLETION_INDEX = '1';
    try {
      const r = await runCli(['search', 'tiny.effnet', ...GRID, '--eval', 'sh ev.sh', '--shards', '3', '--format', 'json'], dir);
      expect(JSON.parse(r.stdout).shard).toEqual({ index: 1, count: 3 });
      expect(calls(dir)).toHaveLength(1);
    } finally {
      if (before === undefined) delete process.env.JOB_COMPLETION_INDEX;
      else process.env.JOB_COMPLETION_INDEX = before;
    }
    const unset = await runCli(['search', 'tiny.effnet', ...GRID, '--eval', 'sh ev.sh', '--shards', '3'], dir);
    expect(unset).toMatchObject({ code: 2, stderr: 'effnet: --shards N takes the job index from JOB_COMPLETION_INDEX, which is not set; give --shard I/N\n' });
  });

  it('merge lists stores that disagree and writes nothing, unless --keep-first', async () => {
    const dir = folder(GOOD);
    await runCli(['search', 'tiny.effnet', ...GRID, '--eval', 'sh ev.sh', '--store', 'a.jsonl', '--shard', '0/3'], dir);
    const a = readFileSync(join(dir, 'a.jsonl'), 'utf8');
    writeFileSync(join(dir, 'b.jsonl'), a.replace(/"top1":0\.(\d)/g, '"top1":0.9$1'));
    const r = await runCli(['search', 'merge', 'm.jsonl', 'a.jsonl', 'b.jsonl'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^effnet: a\.jsonl and b\.jsonl hold different records for key [0-9a-f]{16}…\n/);
    expect(existsSync(join(dir, 'm.jsonl'))).toBe(false);
    const k = await runCli(['search', 'merge', 'm.jsonl', 'a.jsonl', 'b.jsonl', '--keep-first'], dir);
    expect(k.code).toBe(0);
    expect(byKey(records(join(dir, 'm.jsonl')))).toEqual(byKey(records(join(dir, 'a.jsonl'))));
  });

  it('refuses a --store or merge output that is not a store, and leaves it as it was', async () => {
    const dir = folder(GOOD);
    writeFileSync(join(dir, 'notes.txt'), 'my notes\n');
    writeFileSync(join(dir, 'empty.jsonl'), '');
    for (const store of ['notes.txt', 'empty.jsonl', 'tiny.effnet']) {
      const r = await runCli(['search', 'tiny.effnet', ...GRID, '--eval', 'sh ev.sh', '--store', store], dir);
      expect(r).toMatchObject({ code: 2, stdout: '' });
      expect(r.stderr).toContain(`effnet: ${store} is not an effnet search store (its first line is not ${STORE_HEADER}); name another file`);
    }
    const m = await runCli(['search', 'merge', 'notes.txt', 'tiny.effnet'], dir);
    expect(m.code).toBe(2);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('my notes\n');
    expect(readFileSync(join(dir, 'empty.jsonl'), 'utf8')).toBe('');
    expect(calls(dir)).toEqual([]);
  });

  it('a cut-short last line (a killed write) is dropped with a warning and that candidate evaluated again', async () => {
    const dir = folder(GOOD);
    await runCli(['search', 'tiny.effnet', ...GRID, '--eval', 'sh ev.sh'], dir);
    const path = join(dir, 'tiny.search.jsonl');
    const whole = readFileSync(path, 'utf8');
    const lastStart = whole.lastIndexOf('\n', whole.length - 2) + 1;
    writeFileSync(path, whole.slice(0, lastStart + 50));
    const r = await runCli(['search', 'tiny.effnet', ...GRID, '--eval', 'sh ev.sh'], dir);
    expect(r.stderr).toContain('effnet: warning: tiny.search.jsonl: its last line was cut short (a killed run); dropped, and that candidate is evaluated again');
    expect(r.stderr).toContain('1 evaluation run, 3 read from the store');
    expect(calls(dir)).toHaveLength(5);
    expect(byKey(records(path))).toEqual(byKey(parseStore(whole, 'x').records));
  });

  it('--write puts the best candidate’s coefficients in the spec; usage errors name the flag', async () => {
    const dir = folder(GOOD);
    const r = await runCli(['search', 'tiny.effnet', ...GRID, '--eval', 'sh ev.sh', '--write'], dir);
    expect(r.stderr).toContain('effnet: wrote tiny.effnet: compound alpha 1 beta 1 gamma 1.4');
    expect(readFileSync(join(dir, 'tiny.effnet'), 'utf8')).toBe(SPEC.replace('compound alpha 1.2 beta 1.1 gamma 1.15', 'compound alpha 1 beta 1 gamma 1.4'));
    const shard = await runCli(['search', 'tiny.effnet', ...GRID, '--eval', 'sh ev.sh', '--shard', '0/2', '--write'], dir);
    expect(shard).toMatchObject({ code: 2, stderr: expect.stringMatching(/^effnet: --write chooses among all candidates/) });
    const store = await runCli(['search', 'tiny.effnet', ...GRID, '--store', 'x.jsonl'], dir);
    expect(store).toMatchObject({ code: 2, stderr: 'effnet: --store is about evaluating candidates: add --eval or --measure\n' });
    const bad = await runCli(['search', 'tiny.effnet', ...GRID, '--eval', 'sh ev.sh', '--shard', '3/3'], dir);
    expect(bad.code).toBe(2);
  });

  it('--measure offers every target measure.ts has', async () => {
    const help = await runCli(['search', '--help'], tmp());
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(`(choices: ${MEASURE_TARGETS.map((t) => `"${t}"`).join(', ')})`);
    expect(help.stdout).toContain('merge [options] <out> <in...>');
  });
});
