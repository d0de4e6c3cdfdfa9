import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createProgram, main, type Io } from '../src/cli/main.js';
import { missingTfjs } from '../src/cli/infer-command.js';
import { runCli, tempDirs } from './support/cli.js';

// Issue 10, item 5: the CLI's rough edges a new user met, each fixed and held here.
// Tests that run a shell command (the README's workflow steps, generate's hint) use the built
// binary: `npm run build` first.

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'dist/src/cli/main.js');
const tempDir = tempDirs('effnet-edges-');

const TINY = `family tiny {
  stem conv k3 s2 c8
  stage mbconv e1 k3 s1 c8 n1 se 0.25
  head conv k1 c32
  variant v { resolution 32 }
}
`;
const DUO = `family duo {
  stem conv k3 s2 c8
  stage mbconv e1 k3 s1 c8 n1
  head conv k1 c32
  variant small { resolution 32 }
  variant large { width 2.0 resolution 32 }
}
`;

/** `effnet ARGS` with stderr a terminal (as the binary sees process.stderr.isTTY). */
async function onTerminal(args: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd, color: false, stderrIsTTY: true };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

/** A shell command line with `npx effnet` run as the built binary, as a workflow step (bash -e) runs it. */
function shell(line: string, cwd: string) {
  expect(existsSync(bin), 'run `npm run build` first').toBe(true);
  const command = line.replaceAll('npx effnet', `node '${bin}'`);
  return spawnSync('bash', ['-e', '-c', command], { cwd, encoding: 'utf8', timeout: 60_000 });
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main', ...args], { cwd, stdio: 'pipe' });

describe('--help marks required options', () => {
  const program = createProgram({ stdout: () => {}, stderr: () => {}, cwd: root, color: false }, () => {});
  const withRequired = program.commands.filter((c) => c.options.some((o) => o.mandatory));

  it('demo and infer have required options (so the check below checks something)', () => {
    expect(withRequired.map((c) => c.name())).toEqual(expect.arrayContaining(['demo', 'infer']));
  });

  for (const command of withRequired)
    it(`${command.name()} --help says which options are required, and only those`, async () => {
      const r = await runCli([command.name(), '--help'], root);
      expect(r.code).toBe(0);
      // An option's entry: its first line and the wrapped lines under it.
      const entries = r.stdout.split(/\n(?= {2}-)/).map((e) => e.replace(/\s+/g, ' ').trim());
      for (const option of command.options) {
        const entry = entries.find((e) => e.startsWith(option.flags));
        expect(entry, option.flags).toBeDefined();
        expect(entry!.endsWith('(required)'), `${option.flags}: ${entry}`).toBe(option.mandatory);
      }
    });
});

describe('generate in a user\'s project', () => {
  it('--check names the effnet command that regenerates, with the same specs and options, not `npm run generate`', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'my-app', version: '1.0.0', type: 'module' }));
    writeFileSync(join(dir, 'my model.effnet'), TINY);
    const args = ['my model.effnet', '--out', 'models', '--target', 'report'];
    expect((await runCli(['generate', ...args], dir)).code).toBe(0);
    rmSync(join(dir, 'models/tiny/v/report.json'));
    const check = await runCli(['generate', '--check', ...args], dir);
    expect(check.code).toBe(1);
    const hint = "npx effnet generate 'my model.effnet' --out models --target report";
    expect(check.stderr).toBe(`models/ is out of date (run \`${hint}\`):\n  missing  tiny/v/report.json\n`);
    // The hint, run as written, repairs what the check found.
    expect(shell(hint, dir).status).toBe(0);
    expect(await runCli(['generate', '--check', ...args], dir)).toEqual({ code: 0, stdout: 'models/ is up to date (5 files)\n', stderr: '' });
  });

  it('without spec arguments the hint is plain `npx effnet generate`', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'specs'));
    writeFileSync(join(dir, 'specs/tiny.effnet'), TINY);
    mkdirSync(join(dir, 'generated'));
    const r = await runCli(['generate', '--check', '--target', 'report'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe('generated/ is out of date (run `npx effnet generate --target report`):');
  });
});

describe('generate progress', () => {
  let dir = '';
  beforeAll(() => {
    dir = tempDir();
    writeFileSync(join(dir, 'tiny.effnet'), TINY);
    writeFileSync(join(dir, 'duo.effnet'), DUO);
  });
  const args = ['tiny.effnet', 'duo.effnet', '--out', 'out', '--target', 'report'];

  it('on a terminal: a line per family on stderr, with a count, as each is done', async () => {
    const r = await onTerminal(['generate', ...args], dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('[1/2] tiny: 1 variant, 5 files\n[2/2] duo: 2 variants, 7 files\n');
    expect(r.stdout.split('\n')[0]).toBe('wrote    duo/README.md');
    const check = await onTerminal(['generate', '--check', ...args], dir);
    expect(check).toEqual({ code: 0, stdout: 'out/ is up to date (12 files)\n', stderr: '[1/2] tiny: 1 variant, 5 files\n[2/2] duo: 2 variants, 7 files\n' });
  });

  it('piped (not a terminal): quiet, as before', async () => {
    expect(await runCli(['generate', '--check', ...args], dir)).toEqual({ code: 0, stdout: 'out/ is up to date (12 files)\n', stderr: '' });
  });
});

describe('diff', () => {
  const saved = process.env.GIT_CEILING_DIRECTORIES;
  afterEach(() => {
    if (saved === undefined) delete process.env.GIT_CEILING_DIRECTORIES;
    else process.env.GIT_CEILING_DIRECTORIES = saved;
  });

  it('a git reference outside a repository: "not a git repository", exit 2, one line', async () => {
    const dir = tempDir();
    // Whatever holds the temp folder, git must not look above it.
    process.env.GIT_CEILING_DIRECTORIES = dirname(dir);
    writeFileSync(join(dir, 'tiny.effnet'), TINY);
    expect(await runCli(['diff', 'git:HEAD:tiny.effnet', 'tiny.effnet'], dir)).toEqual({
      code: 2,
      stdout: '',
      stderr: `effnet: git:HEAD:tiny.effnet: not a git repository (${dir}, nor any folder above it)\n`,
    });
  });

  it('a#v b: b\'s variant of that name is compared, and the output says so', async () => {
    const r = await runCli(['diff', 'specs/efficientnet.effnet#b0', 'specs/efficientnet_tf.effnet'], root);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(0, 2)).toEqual([
      'specs/efficientnet.effnet#b0 → specs/efficientnet_tf.effnet#b0: params 0 %, MACs 0 %, resolution 224, 7 settings changed',
      'note: specs/efficientnet_tf.effnet names no variant; its `b0` is compared, by the name specs/efficientnet.effnet#b0 gives',
    ]);
    const json = JSON.parse((await runCli(['diff', 'specs/efficientnet_tf.effnet', 'specs/efficientnet.effnet#b3', '--format', 'json'], root)).stdout);
    expect([json.a, json.b, json.byName, json.refs]).toEqual([
      'specs/efficientnet_tf.effnet#b3',
      'specs/efficientnet.effnet#b3',
      'a',
      { a: 'specs/efficientnet_tf.effnet', b: 'specs/efficientnet.effnet#b3' },
    ]);
  });

  it('a#v b where b has no variant v: one line naming both sides and b\'s variants, exit 2', async () => {
    expect(await runCli(['diff', 'specs/efficientnet.effnet#b0', 'specs/mobilenet_v2.effnet'], root)).toEqual({
      code: 2,
      stdout: '',
      stderr: 'effnet: specs/mobilenet_v2.effnet has no variant `b0` to compare with specs/efficientnet.effnet#b0; its variants are w1_0 (name one: specs/mobilenet_v2.effnet#w1_0)\n',
    });
  });

  it('an unknown variant names the variants there are (as check\'s E037)', async () => {
    const r = await runCli(['diff', 'specs/mobilenet_v3.effnet#tiny', 'specs/mobilenet_v3.effnet#small'], root);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^effnet: specs\/mobilenet_v3\.effnet#tiny:\d+: family `mobilenet_v3` has no variant `tiny`; its variants are large, small\n$/);
  });

  it('--format json: counts, figures and shapes as numbers, not display strings', async () => {
    const d = JSON.parse((await runCli(['diff', 'specs/efficientnet.effnet#b0', 'specs/efficientnet.effnet#b3', '--format', 'json'], root)).stdout);
    const stem = d.stages[0];
    expect(stem.a).toEqual({ block: 'conv', kernel: 3, stride: 2, expand: null, se: null, channels: 32, repeats: 1, outShape: [32, 112, 112] });
    expect(stem.b.outShape).toEqual([40, 150, 150]);
    for (const row of d.stages)
      for (const cells of [row.a, row.b]) {
        for (const k of ['channels', 'repeats']) expect(Number.isInteger(cells[k]), `${row.key} ${k}`).toBe(true);
        expect(cells.outShape.every(Number.isInteger), row.key).toBe(true);
      }
    expect(d.settings.find((s: { path: string }) => s.path === 'resolution')).toEqual({ path: 'resolution', a: 224, b: 300 });
    expect(d.settings.find((s: { path: string }) => s.path === 'depth')).toEqual({ path: 'depth', a: 1, b: 1.4 });
    // Mixed kernels as the report's JSON writes them.
    const mix = JSON.parse((await runCli(['diff', 'specs/mixnet.effnet#s', 'specs/mixnet.effnet#m', '--format', 'json'], root)).stdout);
    expect(mix.stages.map((r: { a: { kernel: unknown } }) => r.a.kernel)).toContain('3.5.7');
  });

  describe('a spec new in the pull request', () => {
    let work = '';
    beforeAll(() => {
      const base = tempDir();
      mkdirSync(join(base, 'origin/specs'), { recursive: true });
      const origin = join(base, 'origin');
      git(origin, 'init', '-q');
      writeFileSync(join(origin, 'specs/tiny.effnet'), TINY);
      git(origin, 'add', '.');
      git(origin, 'commit', '-q', '-m', 'base');
      git(base, 'clone', '-q', 'origin', 'work');
      work = join(base, 'work');
      git(work, 'checkout', '-q', '-b', 'pr');
      writeFileSync(join(work, 'specs/duo.effnet'), DUO);
      git(work, 'add', '.');
      git(work, 'commit', '-q', '-m', 'a new family');
      writeFileSync(join(base, 'outside.effnet'), TINY);
    });

    it('is reported as added (exit 0), and as removed the other way round; a path the other side does not name stays an error', async () => {
      const r = await runCli(['diff', 'git:origin/main:specs/duo.effnet', 'specs/duo.effnet', '--fail-on', 'params:10%'], work);
      expect(r).toEqual({
        code: 0,
        stdout: 'git:origin/main:specs/duo.effnet → specs/duo.effnet: new spec (family duo), 2 variants added\n\nvariants added\n  small, large\n',
        stderr: '',
      });
      const json = JSON.parse((await runCli(['diff', 'git:origin/main:specs/duo.effnet', 'specs/duo.effnet#large', '--format', 'json'], work)).stdout);
      expect(json).toMatchObject({ kind: 'spec', absent: 'a', families: { a: null, b: 'duo' }, added: ['large'], removed: [], changed: [], empty: false });
      const gone = await runCli(['diff', 'git:HEAD:specs/duo.effnet', 'git:origin/main:specs/duo.effnet'], work);
      expect(gone.stdout.split('\n')[0]).toBe('git:HEAD:specs/duo.effnet → git:origin/main:specs/duo.effnet: spec removed (family duo), 2 variants removed');
      expect(await runCli(['diff', 'git:origin/main:specs/duo.effnet', 'specs/tiny.effnet'], work)).toEqual({
        code: 2,
        stdout: '',
        stderr: 'effnet: git:origin/main:specs/duo.effnet: specs/duo.effnet does not exist at revision `origin/main`\n',
      });
      // A file outside the repository is in no revision: not "new".
      expect(await runCli(['diff', 'git:origin/main:../outside.effnet', '../outside.effnet'], work)).toEqual({
        code: 2,
        stdout: '',
        stderr: 'effnet: git:origin/main:../outside.effnet: ../outside.effnet does not exist at revision `origin/main`\n',
      });
    });

    it("the README's workflow steps pass, and its size gate still fails a spec that grew", () => {
      const readme = readFileSync(join(root, 'README.md'), 'utf8');
      const steps = [...readme.matchAll(/^ +run: (.*npx effnet diff .*)$/gm)].map((m) => m[1]!);
      expect(steps).toHaveLength(2);
      const [comment, gate] = steps as [string, string];
      const posted = shell(comment, work);
      expect(posted.status, posted.stderr).toBe(0);
      const md = readFileSync(join(work, 'effnet-diff.md'), 'utf8');
      expect(md).toContain('**git:origin/main:specs/duo.effnet → specs/duo.effnet: new spec (family duo), 2 variants added**');
      expect(md).toContain('**git:origin/main:specs/tiny.effnet → specs/tiny.effnet: no differences**');
      expect(shell(gate, work).status).toBe(0);
      writeFileSync(join(work, 'specs/tiny.effnet'), TINY.replace('head conv k1 c32', 'head conv k1 c64'));
      const grown = shell(gate, work);
      expect(grown.status).toBe(1);
      expect(grown.stderr).toMatch(/^effnet: --fail-on params:10%: v changed by \+95\.7 %\n$/);
      // Six runs of the binary, each a few seconds of start-up under load.
    }, 180_000);
  });
});

describe('README', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  it('says how to run the CLI: npx effnet after npm install effnet, node dist/src/cli/main.js in a checkout', () => {
    expect(readme).toContain('`npm install effnet`, then `npx effnet …`');
    expect(readme).toContain('`node dist/src/cli/main.js …`');
  });

  it('counts the families the shipped specs define', () => {
    const specs = readdirSync(join(root, 'specs')).filter((f) => f.endsWith('.effnet'));
    const families = new Set(specs.map((f) => /^family (\w+)/m.exec(readFileSync(join(root, 'specs', f), 'utf8'))![1]));
    expect(families.size).toBe(specs.length);
    const words = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen', 'twenty'];
    expect(/worked examples for (\w+) families/.exec(readme)?.[1]).toBe(words[families.size]);
  });
});

describe('optional peers: TensorFlow.js and webgpu are not installed with effnet', () => {
  it('infer names the packages a backend needs', () => {
    expect(missingTfjs('wasm')).toBe('--target tfjs --backend wasm needs @tensorflow/tfjs and @tensorflow/tfjs-backend-wasm, which effnet does not install (npm install @tensorflow/tfjs @tensorflow/tfjs-backend-wasm)');
    expect(missingTfjs('tensorflow')).toBe('--target tfjs --backend tensorflow needs @tensorflow/tfjs-node, which effnet does not install (npm install @tensorflow/tfjs-node)');
  });

  it('package.json: TensorFlow.js and webgpu are optional peers, installed here only for the tests', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    for (const name of ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'webgpu']) {
      expect(pkg.dependencies![name], name).toBeUndefined();
      expect(pkg.peerDependenciesMeta![name], name).toEqual({ optional: true });
      expect(pkg.devDependencies![name], name).toBe(pkg.peerDependencies![name]);
    }
  });
});
