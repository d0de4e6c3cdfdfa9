import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

// The compiler's own speed as ratios measured in one run, each against its goal
// (issue 15, item 5): the built CLI is spawned cold every time, like a user's shell
// or CI runs it, and each ratio's two sides are measured interleaved, medians of
// several runs, so the machine's load weighs on both alike.
// - cold `effnet generate` of the shipped specs ÷ prettier alone formatting the same
//   TypeScript outputs (a fresh node process importing prettier);
// - a no-op `effnet generate --check` ÷ `node -e 0`;
// - `effnet check` on a shipped spec ÷ `node -e 0`.

const here = resolve(import.meta.dirname, '../..');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, digits = 1) => Number(x.toFixed(digits));

/** Wall milliseconds of one spawned node process; throws when it fails. */
function timed(root: string, args: string[], env: NodeJS.ProcessEnv = {}): number {
  const t0 = performance.now();
  const p = spawnSync(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const ms = performance.now() - t0;
  if (p.status !== 0) throw new Error(`node ${args.slice(0, 3).join(' ').slice(0, 200)} failed (${p.status}): ${p.stderr.slice(0, 500)}`);
  return ms;
}

/** Every .ts file under `dir`. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => join(dir, f));
}

// prettier alone, as generate calls it (src/emit/typescript.ts: formatTypeScript), on the files listed in $FILES.
const PRETTIER_ALONE = `
const prettier = await import('prettier');
const { readFileSync } = await import('node:fs');
const files = readFileSync(process.env.FILES, 'utf8').split('\\n');
for (const f of files) await prettier.format(readFileSync(f, 'utf8'), { parser: 'babel-ts', singleQuote: true, printWidth: 120, trailingComma: 'all' });
`;

export interface CompilerRatio {
  what: string;
  ms: number;
  baselineMs: number;
  baseline: string;
  ratio: number;
  goal: number;
  met: boolean;
  /** Runs of each side, interleaved. */
  samples: number;
}

const ratio = (what: string, ms: number[], baseline: string, baseMs: number[], goal: number): CompilerRatio => {
  const r = median(ms) / median(baseMs);
  return { what, ms: round(median(ms)), baselineMs: round(median(baseMs)), baseline, ratio: round(r, 2), goal, met: r <= goal, samples: ms.length };
};

/**
 * The three ratios; `runs` cold generates (the slowest part) and `shortRuns` of each short command
 * (a third of a second each: their medians move by a few percent between runs of 9 on this 2-core
 * machine, as much as the gap to a goal). `root`: the checkout whose built CLI and specs/ are
 * measured (another one: a before/after).
 */
export function benchCompiler(runs = 3, root = here, shortRuns = 25): { coldGenerate: CompilerRatio; noopCheck: CompilerRatio; check: CompilerRatio; outputFiles: number } {
  const cli = join(root, 'dist/src/cli/main.js');
  const work = mkdtempSync(join(tmpdir(), 'effnet-bench-compiler-'));
  try {
    // A cache of its own: generate records what it wrote there (src/generate/record.ts).
    const env = { EFFNET_CACHE: join(work, 'cache') };
    const out = join(work, 'generated');
    const generate: number[] = [];
    const prettier: number[] = [];
    let files: string[] = [];
    for (let i = 0; i < runs; i++) {
      rmSync(out, { recursive: true, force: true });
      rmSync(env.EFFNET_CACHE, { recursive: true, force: true });
      generate.push(timed(root, [cli, 'generate', '--out', out], env));
      files = tsFiles(out);
      writeFileSync(join(work, 'files.txt'), files.join('\n'));
      prettier.push(timed(root, ['--input-type=module', '-e', PRETTIER_ALONE], { FILES: join(work, 'files.txt') }));
    }
    // `out` is as the last cold run left it, with its record: each --check below is a no-op.
    const node: number[] = [];
    const noop: number[] = [];
    const check: number[] = [];
    for (let i = 0; i < shortRuns; i++) {
      node.push(timed(root, ['-e', '0']));
      noop.push(timed(root, [cli, 'generate', '--check', '--out', out], env));
      check.push(timed(root, [cli, 'check', 'specs/efficientnet.effnet']));
    }
    return {
      coldGenerate: ratio('cold `effnet generate` of specs/ into an empty folder', generate, `prettier alone on the same ${files.length} .ts outputs`, prettier, 1.3),
      noopCheck: ratio('no-op `effnet generate --check`', noop, '`node -e 0`', node, 6),
      check: ratio('`effnet check specs/efficientnet.effnet`', check, '`node -e 0`', node, 3),
      outputFiles: files.length,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
