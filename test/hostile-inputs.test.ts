import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { tempDirs } from './support/cli.js';
import { describe, expect, it } from 'vitest';
import { registerDiff } from '../src/cli/diff-command.js';
import { MAX_INPUT_BYTES, readInput, UsageError } from '../src/cli/input.js';
import { compileSource } from '../src/compile/compile.js';
import { diffRefs } from '../src/diff/diff.js';
import { parseGate } from '../src/diff/gate.js';
import { RefError } from '../src/diff/refs.js';
import { ReadError } from '../src/io/read.js';
import { parseSafetensors, writeSafetensors } from '../src/runtime/safetensors.js';

// Hostile inputs and outputs of `effnet infer` and `effnet diff` (issue 14,
// items 2, 5 and 11): devices, FIFOs, oversized files, symlinks, an --out that
// is an input, NaN logits, prototype words. `infer` runs as users run it:
// the built binary (npx tsc -p tsconfig.build.json first).

const root = resolve(import.meta.dirname, '..');
const narrow = join(root, 'test/fixtures/narrow');
const spec = join(narrow, 'narrow.effnet');
const weights = readFileSync(join(narrow, 'weights.safetensors'));
const LOGITS = 2 * 1000 * 4;

const tempDir = tempDirs('effnet-hostile-');
const mkfifo = (path: string) => execFileSync('mkfifo', [path]);

/** `effnet infer spec --variant narrow --shape 2,3,64,64 …`; stdout as bytes. A command that blocks times out (status null). */
function infer(args: string[], cwd: string) {
  const p = spawnSync(process.execPath, [join(root, 'dist/src/cli/main.js'), 'infer', spec, '--variant', 'narrow', '--shape', '2,3,64,64', ...args], { cwd, timeout: 240_000 });
  return { code: p.status, stdout: p.stdout, stderr: p.stderr.toString('utf8') };
}
/** A checkpoint and an input in a fresh folder, as relative paths. */
function setup(): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'w.st'), weights);
  writeFileSync(join(dir, 'in.f32'), readFileSync(join(narrow, 'input.f32')));
  return dir;
}
const ok = ['--weights', 'w.st', '--input', 'in.f32'];
const oneLine = (stderr: string) => {
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at |internal error/);
};

describe('infer reads only regular files, bounded before reading', () => {
  it('--input /dev/zero or a FIFO without a writer: exit 2 at once (was: grew without bound / blocked forever)', () => {
    const dir = setup();
    mkfifo(join(dir, 'fifo'));
    for (const input of ['/dev/zero', 'fifo']) {
      const r = infer(['--weights', 'w.st', '--input', input, '--out', 'out.f32'], dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`effnet: input ${input} is not a regular file (a device, FIFO or socket); effnet reads only regular files\n`);
    }
  });

  it('--weights /dev/zero or a FIFO without a writer: exit 2 at once', () => {
    const dir = setup();
    mkfifo(join(dir, 'fifo'));
    for (const w of ['/dev/zero', 'fifo']) {
      const r = infer(['--weights', w, '--input', 'in.f32', '--out', 'out.f32'], dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`effnet: weights ${w} is not a regular file (a device, FIFO or socket); effnet reads only regular files\n`);
    }
  });

  it('--max-weights-mib caps the weights file by its size', () => {
    const dir = setup();
    const r = infer([...ok, '--max-weights-mib', '1', '--out', 'out.f32'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('effnet: weights w.st is 2 MiB, over the 1 MiB limit; --max-weights-mib raises the limit\n');
    expect(infer([...ok, '--max-weights-mib', 'lots', '--out', 'out.f32'], dir).stderr).toMatch(/^effnet: --max-weights-mib takes a positive number of MiB, not "lots"\n$/);
  });

  it('a checkpoint with bytes after its last tensor: exit 1, naming them', () => {
    const dir = setup();
    writeFileSync(join(dir, 'w.st'), Buffer.concat([weights, Buffer.from('abc')]));
    const r = infer([...ok, '--out', 'out.f32'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^effnet: w\.st: 3 bytes follow the last tensor \(the data section is \d+ bytes, its tensors end at \d+\)\n$/);
    expect(existsSync(join(dir, 'out.f32'))).toBe(false);
  });
});

describe('infer refuses weights and logits that are no numbers', () => {
  const edited = (dir: string, name: string, value: number) => {
    const f = parseSafetensors(weights);
    const tensors = [...f.tensors.values()].map((t) => ({ name: t.name, shape: t.shape, data: Float32Array.from(t.data) }));
    tensors.find((t) => t.name === name)!.data[0] = value;
    writeFileSync(join(dir, 'w.st'), writeSafetensors(tensors));
  };

  it('a NaN weight: exit 1 naming the tensor, with the flag that accepts it', () => {
    const dir = setup();
    edited(dir, 'features.0.0.weight', NaN);
    const r = infer([...ok, '--out', 'out.f32'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('effnet: w.st: tensor `features.0.0.weight` holds NaN at index 0; --allow-nonfinite loads it anyway\n');
    expect(existsSync(join(dir, 'out.f32'))).toBe(false);
  });

  it('a negative running variance: exit 1; --allow-nonfinite loads it and runs', () => {
    const dir = setup();
    // Below zero, yet var + eps (1e-5) stays positive: the model still computes numbers.
    edited(dir, 'features.0.1.running_var', -1e-7);
    const refused = infer([...ok, '--out', 'out.f32'], dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^effnet: w\.st: tensor `features\.0\.1\.running_var` holds a negative running variance \(-1\.0000000116860974e-7\) at index 0; --allow-nonfinite/);
    const allowed = infer([...ok, '--allow-nonfinite', '--out', 'out.f32'], dir);
    expect(allowed.stderr).toBe('');
    expect(allowed.code).toBe(0);
    expect(readFileSync(join(dir, 'out.f32')).length).toBe(LOGITS);
  });

  it('the wgsl target binds the same way: refuses, or with --allow-nonfinite runs, writing to stdout', () => {
    const dir = setup();
    edited(dir, 'features.0.1.running_var', -1e-7);
    const wgsl = ['--target', 'wgsl', ...ok, '--out', '-'];
    const refused = infer(wgsl, dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^effnet: w\.st: tensor `features\.0\.1\.running_var` holds a negative running variance .*; --allow-nonfinite loads it anyway$/m);
    const allowed = infer([...wgsl, '--allow-nonfinite'], dir);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout.length).toBe(LOGITS);
  }, 300_000); // a cold Mesa shader cache compiles every pipeline first

  it('NaN logits: exit 1 with one line, nothing written (was: exit 0 and NaN written)', () => {
    const dir = setup();
    const input = readFileSync(join(dir, 'in.f32'));
    input.writeFloatLE(NaN, 4 * 5);
    writeFileSync(join(dir, 'in.f32'), input);
    const r = infer([...ok, '--out', 'out.f32'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^effnet: the logits hold NaN or ±Infinity \(1000 of 2000 values, the first NaN at \[0, 0\]\): the weights or the input overflow float32; nothing written\n$/);
    expect(existsSync(join(dir, 'out.f32'))).toBe(false);
  });
});

describe('infer --out writes what it names and nothing else', () => {
  it('/dev/null stays a character device', () => {
    const r = infer([...ok, '--out', '/dev/null'], setup());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('a FIFO gets the bytes through, and stays a FIFO', async () => {
    const dir = setup();
    mkfifo(join(dir, 'fifo'));
    const reader = spawn('sh', ['-c', 'cat fifo > got'], { cwd: dir });
    const done = new Promise((resolve) => reader.on('exit', resolve));
    const r = infer([...ok, '--out', 'fifo'], dir);
    // A reader left waiting (no writer ever came) must not outlive the test.
    const stop = setTimeout(() => reader.kill(), 5_000);
    await done;
    clearTimeout(stop);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lstatSync(join(dir, 'fifo')).isFIFO()).toBe(true);
    expect(readFileSync(join(dir, 'got')).length).toBe(LOGITS);
  });

  it('a symlink survives; its target gets the logits', () => {
    const dir = setup();
    writeFileSync(join(dir, 'target.f32'), 'old');
    symlinkSync('target.f32', join(dir, 'link.f32'));
    const r = infer([...ok, '--out', 'link.f32'], dir);
    expect(r.code).toBe(0);
    expect(lstatSync(join(dir, 'link.f32')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, 'link.f32'))).toBe('target.f32');
    expect(readFileSync(join(dir, 'target.f32')).length).toBe(LOGITS);
  });

  it('a directory, or one of the inputs under another name: exit 2, the input untouched', () => {
    const dir = setup();
    mkdirSync(join(dir, 'out'));
    const d = infer([...ok, '--out', 'out'], dir);
    expect(d.code).toBe(2);
    expect(d.stderr).toBe('effnet: --out out is a directory; name a file in it\n');
    linkSync(join(dir, 'w.st'), join(dir, 'hard.st'));
    for (const out of ['./w.st', 'hard.st', 'in.f32', spec]) {
      const r = infer([...ok, '--out', out], dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`effnet: --out ${out} is one of the command's inputs; name another file\n`);
    }
    expect(readFileSync(join(dir, 'w.st')).equals(weights)).toBe(true);
    expect(readFileSync(join(dir, 'in.f32')).equals(readFileSync(join(narrow, 'input.f32')))).toBe(true);
  });

  it('--out - writes the raw logits to stdout and nothing else', () => {
    const dir = setup();
    const r = infer([...ok, '--out', '-'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(LOGITS);
    const expected = readFileSync(join(narrow, 'logits.f32'));
    let max = 0;
    for (let i = 0; i < LOGITS; i += 4) max = Math.max(max, Math.abs(r.stdout.readFloatLE(i) - expected.readFloatLE(i)));
    expect(max).toBeLessThan(1e-4);
    expect(existsSync(join(dir, '-'))).toBe(false);
    const bench = infer(['--weights', 'w.st', '--bench', '1', '--out', '-'], dir);
    expect(bench.code).toBe(2);
    oneLine(bench.stderr);
  });
});

describe('readInput: shapes from the variant graph, bounded', () => {
  const graph = (channels: number) => {
    const c = compileSource(`family f {\n  input channels ${channels}\n  stem conv k3 s2 c8\n  stage mbconv e1 k3 s1 c8 n1\n  head conv k1 c16\n  variant v { width 1.0 depth 1.0 resolution 32 }\n}\n`, 'f.effnet');
    expect(c.graphs[0], JSON.stringify(c.diagnostics.map((d) => d.message))).toBeDefined();
    return c.graphs[0]!;
  };
  const usage = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      return (e as Error).message;
    }
    throw new Error('no error');
  };

  it('takes the channel count the spec gives (input channels 4), not a hard-coded 3', () => {
    const g = graph(4);
    expect(readInput(g, root, undefined, undefined).shape).toEqual([1, 4, 32, 32]);
    expect(readInput(g, root, undefined, '2,4,32,32').input.length).toBe(2 * 4 * 32 * 32);
    expect(usage(() => readInput(g, root, undefined, '1,3,32,32'))).toBe('f v takes 4-channel input (N,4,H,W), not 1,3,32,32');
    expect(usage(() => readInput(g, root, undefined, '1,4,40,32'))).toBe("f v's WGSL model is planned for N,4,32,32 input, not 1,4,40,32; --target tfjs takes other sizes");
    expect(readInput(g, root, undefined, '1,4,40,32', true).shape).toEqual([1, 4, 40, 32]);
  });

  it('refuses a batch too large to build, and a shape that is no four positive integers', () => {
    const g = graph(3);
    expect(usage(() => readInput(g, root, undefined, '200000,3,32,32'))).toBe(`a float32 [200000, 3, 32, 32] batch is 2457600000 bytes, over the ${MAX_INPUT_BYTES / 2 ** 20} MiB effnet builds; use a smaller N`);
    expect(usage(() => readInput(g, root, undefined, '9007199254740993,3,32,32'))).toMatch(/^--shape takes N,C,H,W/);
    expect(usage(() => readInput(g, root, undefined, '1,3,32,0x20'))).toBe('--shape takes N,C,H,W (four positive integers), not "1,3,32,0x20"');
  });

  it('checks the input file\'s size against the shape before reading it', () => {
    const g = graph(3);
    const dir = tempDir();
    writeFileSync(join(dir, 'x.f32'), new Uint8Array(3 * 32 * 32 * 4 + 4));
    expect(usage(() => readInput(g, dir, 'x.f32', '1,3,32,32'))).toBe('x.f32 holds 12292 bytes; a float32 [1, 3, 32, 32] batch is 12288');
    expect(() => readInput(g, dir, '/dev/zero', '1,3,32,32')).toThrow(ReadError);
  });
});

describe('diff: prototype words, devices and large blobs', () => {
  async function run(args: string[], cwd = root) {
    let stderr = '';
    let code = 0;
    const program = new Command('effnet').exitOverride().configureOutput({ writeOut: () => {}, writeErr: (t) => (stderr += t) });
    registerDiff(program, { stdout: () => {}, stderr: (t) => (stderr += t), cwd, color: false }, (c) => (code = c));
    try {
      await program.parseAsync(['diff', ...args], { from: 'user' });
    } catch (e) {
      if (!(e instanceof CommanderError)) throw e;
      code = 2;
    }
    return { code, stderr };
  }
  const refError = (a: string, b: string, cwd = root): string => {
    try {
      diffRefs(a, b, cwd);
    } catch (e) {
      expect(e).toBeInstanceOf(RefError);
      return (e as Error).message;
    }
    throw new Error('no error');
  };

  it('--fail-on constructor:5% is a usage error naming the metrics (was: a crash)', async () => {
    expect(typeof parseGate('constructor:5%')).toBe('string');
    const r = await run(['specs/efficientnet.effnet#b0', 'specs/efficientnet.effnet#b1', '--fail-on', 'constructor:5%']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('effnet: --fail-on expects METRIC:N% with METRIC one of params, macs, flops, activations, not "constructor:5%"\n');
  });

  it('a device or a FIFO as a spec: one line, at once', () => {
    const dir = tempDir();
    mkfifo(join(dir, 'fifo'));
    expect(refError('/dev/zero#b0', 'specs/efficientnet.effnet#b0')).toBe('/dev/zero#b0: /dev/zero is not a regular file (a device, FIFO or socket); effnet reads only regular files');
    expect(refError('fifo', join(root, 'specs/efficientnet.effnet'), dir)).toMatch(/^fifo: fifo is not a regular file/);
  });

  it('escape sequences in a spec or a path reach the terminal as text', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'evil\u001b[2J.effnet'), 'family f {\n  activation \u001b]0;pwned\u0007\n}\n');
    const r = await run(['evil\u001b[2J.effnet', join(root, 'specs/efficientnet.effnet')], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^effnet: evil\\u001b\[2J\.effnet:2: /);
    expect(r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });

  it('a spec with a UTF-8 byte-order mark reads as without', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bom.effnet'), `\uFEFF${readFileSync(join(root, 'specs/efficientnet.effnet'), 'utf8')}`);
    expect(diffRefs('bom.effnet#b0', join(root, 'specs/efficientnet.effnet#b0'), dir).kind).toBe('variant');
  });

  it('a blob over the limit at a revision is "too large", not "does not exist"; a folder is not a file', () => {
    const repo = tempDir();
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'commit.gpgsign=false', ...args], { cwd: repo, stdio: 'pipe' });
    git('init', '-q');
    mkdirSync(join(repo, 'specs'));
    // Over the 64 MiB that `git show` was allowed to print.
    writeFileSync(join(repo, 'specs/big.effnet'), `// ${'x'.repeat(65 * 2 ** 20)}\n`);
    git('add', '.');
    git('commit', '-q', '-m', 'big');
    rmSync(join(repo, 'specs/big.effnet'));
    expect(refError('git:HEAD:specs/big.effnet', join(root, 'specs/efficientnet.effnet'), repo)).toBe(
      'git:HEAD:specs/big.effnet: specs/big.effnet is too large at revision `HEAD` (65 MiB, over the 8 MiB limit)',
    );
    expect(refError('git:HEAD:specs', join(root, 'specs/efficientnet.effnet'), repo)).toBe('git:HEAD:specs: specs is a directory, not a file, at revision `HEAD`');
    expect(refError('git:--output=x:specs/big.effnet', join(root, 'specs/efficientnet.effnet'), repo)).toBe('git:--output=x:specs/big.effnet: unknown git revision `--output=x`');
  });
});
