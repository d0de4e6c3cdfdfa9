import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { main } from '../../src/cli/main.js';

// What CLI tests share: running `effnet` in-process, and temp folders removed after the file.

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `effnet ARGS` in `cwd`, through main() as the binary runs it, with its output captured. */
export async function runCli(args: string[], cwd: string, color = false): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd, color });
  return { code, stdout, stderr };
}

/** A function that makes temp folders named `<prefix>…`, all removed when the test file ends. */
export function tempDirs(prefix: string): () => string {
  const made: string[] = [];
  afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
  return () => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    made.push(d);
    return d;
  };
}
