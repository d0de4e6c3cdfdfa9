import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type fc from 'fast-check';

// One budget for every fuzzer. CI runs a fixed seed and the default budget, so a
// red run replays exactly; `npm run fuzz -- --cases N [--seed S]` scales every
// fuzzer to about N cases in all, with a fresh seed unless one is given, and
// saves each failing input to test/hostile/ (FUZZ_SAVE) for the corpus.

/** The seed CI uses. */
export const CI_SEED = 20261202;
/** Cases all fuzzers run together at the default budget (the sum of their `numRuns`). */
export const DEFAULT_CASES = 6_000;

const cases = process.env.FUZZ_CASES === undefined ? undefined : Number(process.env.FUZZ_CASES);
const scale = cases !== undefined && cases > 0 ? cases / DEFAULT_CASES : Number(process.env.FUZZ_RUNS ?? '1');
const seedText = process.env.FUZZ_SEED;
export const seed = seedText === undefined || seedText === '' ? (cases === undefined ? CI_SEED : undefined) : Number(seedText);

/** A test's timeout for `ms` at the default budget, grown with the budget (`npm run fuzz` runs far more cases). */
export const fuzzTimeout = (ms: number): number => Math.round(ms * Math.max(1, scale));

/** fast-check parameters for a fuzzer whose share of the default budget is `numRuns`. */
export function fuzzParams<T>(numRuns: number): fc.Parameters<T> {
  return { numRuns: Math.max(1, Math.round(numRuns * scale)), ...(seed === undefined ? {} : { seed }) };
}

/** Runs `check` on `input`; when it fails and FUZZ_SAVE names a folder, the input is saved there first. */
export function savingFailures<T>(input: string, name: string, check: () => T): T {
  try {
    return check();
  } catch (e) {
    save(input, name);
    throw e;
  }
}

export async function savingFailuresAsync<T>(input: string, name: string, check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (e) {
    save(input, name);
    throw e;
  }
}

function save(input: string, name: string): void {
  const dir = process.env.FUZZ_SAVE;
  if (dir === undefined || dir === '') return;
  mkdirSync(dir, { recursive: true });
  const hash = createHash('sha256').update(input).digest('hex').slice(0, 10);
  writeFileSync(join(dir, `found-${name}-${hash}.effnet`), input);
}
