import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The built CLI run with every module it loads recorded (support/log-imports.mjs): what a
// command costs in imports is checked by what it loads, not by timing it.

export const root = join(import.meta.dirname, '../..');
const cli = join(root, 'dist/src/cli/main.js');

export interface LoggedRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Every module URL or path the process loaded. */
  modules: string[];
}

export function runLogged(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): LoggedRun {
  const dir = mkdtempSync(join(tmpdir(), 'effnet-imports-'));
  const log = join(dir, 'imports.log');
  try {
    const p = spawnSync(process.execPath, ['--import', join(import.meta.dirname, 'log-imports.mjs'), cli, ...args], {
      cwd,
      env: { ...process.env, ...env, IMPORT_LOG: log },
      encoding: 'utf8',
      timeout: 120_000,
    });
    let modules: string[] = [];
    try {
      modules = [...new Set(readFileSync(log, 'utf8').split('\n').filter((l) => l !== ''))];
    } catch {
      // Nothing loaded at all: the run failed before the hook wrote; the caller sees the code.
    }
    return { code: p.status, stdout: p.stdout, stderr: p.stderr, modules };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The packages (node_modules/<name>) among `modules`, sorted. */
export const packagesOf = (modules: readonly string[]): string[] =>
  [...new Set(modules.flatMap((m) => [...m.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)].map((x) => x[1]!).slice(-1)))].sort();

/** effnet's own modules (`emit/network.js`) among `modules`, sorted. */
export const effnetModulesOf = (modules: readonly string[]): string[] =>
  [...new Set(modules.flatMap((m) => (/\/dist\/src\/(.+)$/.exec(m)?.[1] ?? []) as string[]))].sort();
