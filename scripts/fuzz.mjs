#!/usr/bin/env node
// `npm run fuzz -- [--cases N] [--seed S]`: every fuzzer (mutated and random
// text, random valid specs through every emitter and `generate`, tfjs against
// WGSL) with about N cases in all (default 50,000) and a fresh seed unless one
// is given. Failing inputs are saved to test/hostile/ as found-*.effnet: read
// one, fix the bug, keep the file (the corpus test runs it from then on).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const usage = 'usage: npm run fuzz -- [--cases N] [--seed S]';
const options = { cases: '50000', seed: '' };
for (let i = 0; i < args.length; i += 2) {
  const key = args[i]?.replace(/^--/, '');
  const value = args[i + 1];
  if ((key !== 'cases' && key !== 'seed') || value === undefined || !/^\d+$/.test(value)) {
    console.error(usage);
    process.exit(2);
  }
  options[key] = value;
}
const files = ['test/fuzz.test.ts', 'test/fuzz-emitters.test.ts', 'test/wgsl-differential.test.ts', 'test/hostile.test.ts'];
const r = spawnSync(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', ...files, '--testTimeout', '86400000'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, FUZZ_CASES: options.cases, FUZZ_SEED: options.seed, FUZZ_SAVE: join(root, 'test/hostile') },
});
process.exit(r.status ?? 1);
