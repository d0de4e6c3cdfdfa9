import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStore } from '../src/search/store.js';
import { tempDirs } from './support/cli.js';
import { root } from './support/tfjs.js';
import { GRID, SPEC } from './support/search-spec.js';

// A search killed mid-way resumes: the built CLI is stopped once k records are in its store;
// run again, it evaluates only the candidates the store does not hold.

const tmp = tempDirs('effnet-search-resume-');
const cli = join(root, 'dist/src/cli/main.js');

describe('resume', () => {
  it('a killed search, run again, evaluates only the missing candidates', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'tiny.effnet'), SPEC);
    // Slow enough to be killed mid-way: 300 ms per candidate.
    writeFileSync(join(dir, 'ev.sh'), 'echo "$EFFNET_PARAMS" >> calls.txt\nsleep 0.3\necho "{\\"top1\\": 0.$EFFNET_PARAMS}"\n');
    const store = join(dir, 'tiny.search.jsonl');
    const stored = () => (existsSync(store) ? parseStore(readFileSync(store, 'utf8'), 'store').records : []);
    const calls = () => (existsSync(join(dir, 'calls.txt')) ? readFileSync(join(dir, 'calls.txt'), 'utf8').trim().split('\n') : []);
    const args = [cli, 'search', 'tiny.effnet', ...GRID, '--eval', 'sh ev.sh'];

    const first = spawn(process.execPath, args, { cwd: dir, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | number | null>((done) => first.on('exit', (code, signal) => done(signal ?? code)));
    const deadline = Date.now() + 50_000;
    while (stored().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    first.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    const done = stored();
    const callsBefore = calls().length;
    // Killed mid-way: some candidates stored, not all.
    expect(done.length).toBeGreaterThanOrEqual(2);
    expect(done.length).toBeLessThan(4);

    const second = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(second.status).toBe(0);
    expect(second.stderr).toContain(`${4 - done.length} evaluation${4 - done.length === 1 ? '' : 's'} run, ${done.length} read from the store`);
    const all = stored();
    expect(all).toHaveLength(4);
    expect(new Set(all.map((r) => r.key)).size).toBe(4);
    // The second run called the evaluator for the missing candidates only, and none it had stored.
    const again = calls().slice(callsBefore);
    expect(again).toHaveLength(4 - done.length);
    const before = new Set(done.map((r) => String(r.network.params)));
    expect(again.filter((p) => before.has(p))).toEqual([]);
    expect(second.stdout).toContain('Chosen (best top1): `compound alpha 1 beta 1 gamma 1.4`');
  }, 150_000);
});
