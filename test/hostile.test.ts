import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDirs } from './support/cli.js';

// The hostile corpus: test/hostile/*.effnet, inputs that once crashed effnet, lost
// data or computed wrong answers, and fuzzer finds (`npm run fuzz` saves its
// failing inputs here as found-*.effnet). Whatever else holds, no input reaches an
// internal error, and a spec `check` accepts builds on every target:
// check ok ⇒ report, ir and generate (all targets) succeed. A file may pin its
// outcome with `// expect: ok` or `// expect: E046 E045…` (the codes check reports).

const root = resolve(import.meta.dirname, '..');
const corpus = join(root, 'test/hostile');
const files = readdirSync(corpus)
  .filter((f) => f.endsWith('.effnet'))
  .sort();

const tempDir = tempDirs('effnet-hostile-');
const run = (args: string[]) => runCli(args, root);

/** What a file pins: `ok`, a list of codes, or nothing. */
function expectation(text: string): 'ok' | string[] | undefined {
  const m = /^(?:\uFEFF)?(?:\/\/[^\n]*\n)*?\/\/ expect: ([^\n]+)\n/.exec(text);
  if (m === null) return undefined;
  return m[1]!.trim() === 'ok' ? 'ok' : m[1]!.trim().split(/\s+/);
}

describe('the hostile corpus', () => {
  it('has its files', () => {
    expect(files.length).toBeGreaterThanOrEqual(16);
  });

  for (const name of files) {
    it(name, async () => {
      const file = `test/hostile/${name}`;
      const check = await run(['check', file]);
      expect(check.stderr).not.toMatch(/internal error/);
      // Terminal control characters from the input never reach the terminal raw.
      expect(check.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
      expect([0, 1]).toContain(check.code);
      const pinned = expectation(readFileSync(join(corpus, name), 'utf8'));
      if (pinned === 'ok') expect(check.code, check.stderr).toBe(0);
      else if (pinned !== undefined) expect([...check.stderr.matchAll(/ error (E\d{3}):/g)].map((m) => m[1])).toEqual(pinned);
      if (check.code !== 0) return;
      const out = tempDir();
      for (const args of [['report', file, '--format', 'json'], ['report', file, '--format', 'csv'], ['ir', file]]) {
        const r = await run(args);
        expect(r.stderr, args.join(' ')).toBe('');
        expect(r.code, args.join(' ')).toBe(0);
      }
      const generate = await run(['generate', file, '--out', out]);
      expect(generate.stderr).toBe('');
      expect(generate.code).toBe(0);
    }, 120_000);
  }
});

describe('the CLI bounds what it reads', () => {
  it('a device or FIFO as spec is E007, exit 2, at once', async () => {
    const r = await run(['check', '/dev/zero']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^\/dev\/zero:1:1: error E007: /);
  });

  it('--max-spec-mib and --max-variants move the limits', async () => {
    const small = await run(['check', 'specs/efficientnet.effnet', '--max-spec-mib', '0.001']);
    expect(small.code).toBe(2);
    expect(small.stderr).toContain('error E007');
    expect(small.stderr).toContain('--max-spec-mib');
    expect((await run(['check', 'specs/efficientnet.effnet', '--max-spec-mib', '1'])).code).toBe(0);
    const few = await run(['check', 'specs/efficientnet.effnet', '--max-variants', '4']);
    expect(few.code).toBe(1);
    expect(few.stderr).toContain('error E038');
    expect((await run(['check', 'specs/efficientnet.effnet', '--max-variants', '2.5'])).code).toBe(2);
  });
});
