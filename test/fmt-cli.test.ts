import { chmodSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerFmt } from '../src/cli/fmt-command.js';
import { UsageError } from '../src/cli/input.js';
import { ReadError } from '../src/io/read.js';
import { WriteError } from '../src/io/write.js';
import { tempDirs } from './support/cli.js';

// `effnet fmt` through its commander registration (main wires it in), with the
// exit codes main gives: usage errors, unreadable paths and refused writes are 2.

const tempDir = tempDirs('effnet-fmt-');

async function fmt(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  let code = 0;
  const io = { stdout: (t: string) => (stdout += t), stderr: (t: string) => (stderr += t), cwd, color: false };
  const program = new Command('effnet').exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  const unused = () => {
    throw new Error('fmt compiles nothing');
  };
  // As main names paths: relative to the working directory when inside it.
  const shown = (p: string) => {
    const r = relative(cwd, resolve(cwd, p));
    return (r === '' || r.startsWith('..') || isAbsolute(r) ? p : r).split('\\').join('/');
  };
  registerFmt(program, { io, compile: unused, report: unused, setCode: (c) => (code = c), shown });
  try {
    await program.parseAsync(['fmt', ...args], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return { code: 2, stdout, stderr };
    if (!(e instanceof UsageError || e instanceof ReadError || e instanceof WriteError)) throw e;
    stderr += `effnet: ${e.message}\n`;
    code = 2;
  }
  return { code, stdout, stderr };
}

const MESSY = 'family t {\ninput channels 3\n  stem conv k3 s2 c8\n  stage mbconv e1 k3 s1 c8 // first\n}\n';
const TIDY = 'family t {\n  input channels 3\n  stem  conv k3 s2 c8\n  stage mbconv e1 k3 s1 c8  // first\n}\n';
const BROKEN = 'family t {\n  stage mbconv k3;\n}\n';

function project(files: Record<string, string>): string {
  const dir = tempDir();
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe('effnet fmt', () => {
  it('prints one file formatted and writes nothing', async () => {
    const dir = project({ 'a.effnet': MESSY });
    expect(await fmt(['a.effnet'], dir)).toEqual({ code: 0, stdout: TIDY, stderr: '' });
    expect(readFileSync(join(dir, 'a.effnet'), 'utf8')).toBe(MESSY);
  });

  it('--check exits 1 listing unformatted files, 0 when all are formatted, and writes nothing', async () => {
    const dir = project({ 'specs/a.effnet': MESSY, 'specs/b.effnet': TIDY, 'specs/sub/c.effnet': MESSY, 'specs/notes.txt': 'x' });
    const r = await fmt(['--check'], dir);
    expect(r).toEqual({ code: 1, stdout: '', stderr: '2 files not formatted (run `effnet fmt --write`):\n  specs/a.effnet\n  specs/sub/c.effnet\n' });
    expect(readFileSync(join(dir, 'specs/a.effnet'), 'utf8')).toBe(MESSY);
    expect(await fmt(['--check', 'specs/b.effnet'], dir)).toEqual({ code: 0, stdout: '1 file formatted\n', stderr: '' });
  });

  it('--write rewrites only the files that change, keeping their permissions', async () => {
    const dir = project({ 'a.effnet': MESSY, 'b.effnet': TIDY });
    chmodSync(join(dir, 'a.effnet'), 0o600);
    const before = statSync(join(dir, 'b.effnet'));
    expect(await fmt(['--write', 'a.effnet', 'b.effnet'], dir)).toEqual({ code: 0, stdout: 'formatted a.effnet\n', stderr: '' });
    expect(readFileSync(join(dir, 'a.effnet'), 'utf8')).toBe(TIDY);
    expect(statSync(join(dir, 'a.effnet')).mode & 0o777).toBe(0o600);
    // Untouched: same inode, same modification time.
    const after = statSync(join(dir, 'b.effnet'));
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect(await fmt(['--write', '.'], dir)).toEqual({ code: 0, stdout: '2 files already formatted\n', stderr: '' });
    expect(await fmt(['--check', '.'], dir)).toEqual({ code: 0, stdout: '2 files formatted\n', stderr: '' });
    writeFileSync(join(dir, 'a.effnet'), MESSY);
    expect(await fmt(['--check', './'], dir)).toMatchObject({ code: 1, stderr: expect.stringContaining('\n  a.effnet\n') });
    expect(await fmt(['--check', join(dir, 'a.effnet')], '/')).toMatchObject({ code: 1, stderr: expect.stringContaining(`\n  ${join(dir, 'a.effnet').slice(1)}\n`) });
  });

  it('--write through a link rewrites its target and keeps the link', async () => {
    const dir = project({ 'real.effnet': MESSY });
    symlinkSync(join(dir, 'real.effnet'), join(dir, 'link.effnet'));
    expect(await fmt(['--write', 'link.effnet'], dir)).toMatchObject({ code: 0, stdout: 'formatted link.effnet\n' });
    expect(readFileSync(join(dir, 'real.effnet'), 'utf8')).toBe(TIDY);
    expect(lstatSync(join(dir, 'link.effnet')).isSymbolicLink()).toBe(true);
  });

  it('refuses a spec with syntax errors: caret-framed diagnostics, exit 1, nothing written', async () => {
    const dir = project({ 'a.effnet': MESSY, 'bad.effnet': BROKEN });
    const r = await fmt(['--write', 'a.effnet', 'bad.effnet'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        'bad.effnet:2:18: error E001: unexpected character `;`',
        '  |',
        '2 |   stage mbconv k3;',
        '  |                  ^',
        '  = hint: effnet specs use words, numbers, `{ }` and `//` or `/* */` comments',
        'nothing written: fix the errors above first',
        '',
      ].join('\n'),
    );
    expect(readFileSync(join(dir, 'a.effnet'), 'utf8')).toBe(MESSY);
    expect(readFileSync(join(dir, 'bad.effnet'), 'utf8')).toBe(BROKEN);
    expect(await fmt(['bad.effnet'], dir)).toMatchObject({ code: 1, stdout: '' });
    expect(await fmt(['--check', 'bad.effnet'], dir)).toMatchObject({ code: 1, stdout: '' });
  });

  it('refuses text that is not UTF-8 rather than rewrite its bytes', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'latin1.effnet'), Buffer.from('family t {\n  // caf\xe9\n}\n', 'latin1'));
    const r = await fmt(['--write', 'latin1.effnet'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('latin1.effnet:1:1: error E001: the file is not valid UTF-8 text');
  });

  it('answers usage mistakes with exit 2', async () => {
    const dir = project({ 'a.effnet': MESSY, 'b.effnet': TIDY });
    expect(await fmt(['--check', '--write', 'a.effnet'], dir)).toMatchObject({ code: 2, stderr: 'effnet: --check writes nothing and --write rewrites: pass one of them\n' });
    expect(await fmt(['a.effnet', 'b.effnet'], dir)).toMatchObject({ code: 2, stderr: 'effnet: fmt prints one spec; for 2 files pass --write or --check\n' });
    expect(await fmt(['missing.effnet'], dir)).toMatchObject({ code: 2, stderr: 'effnet: missing.effnet: no such file\n' });
    expect(await fmt([], dir)).toMatchObject({ code: 2 });
    mkdirSync(join(dir, 'empty'));
    expect(await fmt(['--check', 'empty'], dir)).toMatchObject({ code: 2, stderr: 'effnet: no .effnet files in empty\n' });
  });
});
