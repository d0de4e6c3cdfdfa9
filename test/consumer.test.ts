import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, pageResult } from './support/chromium.js';
import { devVersion, makeConsumer, npmInstall, oneVariantSpec, pack, run, treeBytes, type Ran } from './support/consumer/project.js';
import { maxAbsDiff, readF32, root } from './support/tfjs.js';

// effnet as a user gets it: the packed tarball installed from npm's point of
// view into an empty project (the registry supplies its dependencies, and
// TypeScript, TensorFlow.js and tfjs-node-gpu's JS and types), `npx effnet`
// generating efficientnet b0 there, and consumer projects compiling and
// running the generated modules as ESM, as CommonJS, under a bundler's module
// resolution and as an esbuild bundle in headless Chromium. The registry must
// be reachable: without it this test fails.

const fixture = join(root, 'test/fixtures/b0');
const expected = readF32(join(fixture, 'logits.f32'));
const MB = 1e6;

let tmp = '';
let app = '';
let effnetBytes = 0;
let peersInstalled: string[] = [];
const cli: Record<'check' | 'report' | 'generate' | 'generateTfjs', Ran> = {} as never;
const compiled: Record<'esm' | 'cjs' | 'bundler', Ran> = {} as never;

/** `npx effnet …` in the user's project (`--no`: never fetch a package of that name). */
const effnet = (...args: string[]): Promise<Ran> => run('npx', ['--no', 'effnet', ...args], app, 120_000);
const tsc = (project: string): Promise<Ran> => run(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', project], app, 180_000);

/** How long each step of the set-up took, printed once: where this test's time goes. */
const took: string[] = [];
async function step<T>(name: string, work: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const value = await work();
  took.push(`${name} ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return value;
}

beforeAll(async () => {
  expect(existsSync(join(root, 'dist/src/cli/main.js')), 'run `npm run build` first').toBe(true);
  tmp = mkdtempSync(join(tmpdir(), 'effnet-consumer-'));
  // An unreachable registry fails here, plainly (npm would otherwise fall back to its cache).
  const ping = await run('npm', ['ping', '--fetch-retries=0', '--fetch-timeout=30000'], tmp, 60_000);
  if (ping.code !== 0) throw new Error(`the npm registry is not reachable (npm ping exit ${ping.code}): this test needs it\n${ping.stderr}`);
  const tarball = await step('pack', () => pack(join(tmp, 'pack')));
  app = join(tmp, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'effnet-user', version: '1.0.0', private: true }, null, 2));

  // effnet alone first: what `npm install effnet` costs a project.
  await step('install effnet', () => npmInstall(app, [tarball]));
  effnetBytes = treeBytes(join(app, 'node_modules'));
  peersInstalled = ['@tensorflow', 'webgpu'].filter((p) => existsSync(join(app, 'node_modules', p)));
  const tfjs = devVersion('@tensorflow/tfjs');
  // tfjs-node-gpu without its install script: its JS and types, not libtensorflow.
  await step('install the rest', () => npmInstall(app, [`typescript@${devVersion('typescript')}`, `@types/node@${devVersion('@types/node')}`, `@tensorflow/tfjs@${tfjs}`, `@tensorflow/tfjs-node-gpu@${tfjs}`]));

  mkdirSync(join(app, 'specs'));
  oneVariantSpec(join(app, 'node_modules/effnet/specs/efficientnet.effnet'), 'b0', join(app, 'specs/efficientnet.effnet'));
  await step('npx effnet', async () => {
    cli.check = await effnet('check', 'specs/efficientnet.effnet');
    cli.report = await effnet('report', 'specs/efficientnet.effnet');
    cli.generate = await effnet('generate', 'specs/efficientnet.effnet');
    cli.generateTfjs = await effnet('generate', 'specs/efficientnet.effnet', '--out', 'generated-gpu', '--target', 'tfjs', '--tfjs-module', '@tensorflow/tfjs-node-gpu');
  });

  for (const kind of ['esm', 'cjs', 'bundler'] as const) makeConsumer(app, kind, ['generated', 'generated-gpu']);
  [compiled.esm, compiled.cjs, compiled.bundler] = await step('tsc', () => Promise.all([tsc('esm'), tsc('cjs'), tsc('bundler')]));
  console.log(`consumer set-up: ${took.join(', ')}`);
}, 600_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}, 120_000);

describe('npm install of the packed tarball into an empty project', () => {
  it('takes under 60 MB and leaves TensorFlow.js and Dawn out', () => {
    console.log(`npm install effnet: ${(effnetBytes / MB).toFixed(1)} MB`);
    expect(effnetBytes).toBeGreaterThan(5 * MB);
    expect(effnetBytes).toBeLessThan(60 * MB);
    expect(JSON.parse(readFileSync(join(app, 'node_modules/effnet/package.json'), 'utf8')).name).toBe('effnet');
    // The runtimes' heavy packages are optional peers: not installed with effnet.
    expect(peersInstalled).toEqual([]);
  });

  it('npx effnet check, report and generate work there', () => {
    expect(cli.check.code, cli.check.stderr).toBe(0);
    expect(cli.check.stdout).toMatch(/^ok specs\/efficientnet\.effnet: family efficientnet, 1 variants?\n$/);
    expect(cli.report.code).toBe(0);
    expect(cli.report.stdout).toContain('| b0 | 224 | 1.0 | 1.0 | 5,288,548 | 42,016 | 385.8 M |');
    expect(cli.generate.code, cli.generate.stderr).toBe(0);
    expect(cli.generateTfjs.code, cli.generateTfjs.stderr).toBe(0);
    for (const f of ['network.ts', 'model.tfjs.ts', 'model.wgsl.ts', 'report.md', 'report.json'])
      expect(readFileSync(join(app, 'generated/efficientnet/b0', f), 'utf8'), f).toContain('generated by effnet from specs/efficientnet.effnet');
    expect(readFileSync(join(app, 'generated/efficientnet/b0/model.tfjs.ts'), 'utf8')).toContain("import * as tf from '@tensorflow/tfjs';");
    expect(readFileSync(join(app, 'generated-gpu/efficientnet/b0/model.tfjs.ts'), 'utf8')).toContain("import * as tf from '@tensorflow/tfjs-node-gpu';");
  });
});

describe('consumer projects compile the generated tfjs (tfjs and tfjs-node-gpu types) and WGSL modules', () => {
  it.each(['esm', 'cjs', 'bundler'] as const)('%s', (kind) => {
    expect(compiled[kind].stdout + compiled[kind].stderr).toBe('');
    expect(compiled[kind].code).toBe(0);
  });
});

describe('the compiled consumers run the tfjs model on the b0 fixture (cpu backend)', () => {
  it.each(['esm', 'cjs'] as const)('%s: logits within 1e-4 of torchvision\'s', async (kind) => {
    const out = join(tmp, `${kind}.json`);
    const r = await run(process.execPath, [join(app, kind, 'dist/main.js'), join(fixture, 'weights.safetensors'), join(fixture, 'input.f32'), out], app, 120_000);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(readFileSync(out, 'utf8')) as { backend: string; logits: number[]; wgslExports: string[]; top5: { label: string }[] };
    expect(result.backend).toBe('cpu');
    expect(maxAbsDiff(result.logits, expected)).toBeLessThan(1e-4);
    expect(result.wgslExports).toEqual(expect.arrayContaining(['createModel', 'labels', 'loadWeights', 'metadata', 'preprocess', 'topK']));
    expect(result.top5).toHaveLength(5);
  }, 120_000);
});

describe('an esbuild bundle of the WGSL model and runtime in headless Chromium (WebGPU, SwiftShader)', () => {
  let server: Server | undefined;
  afterAll(() => server?.close());

  it('gives the b0 fixture\'s logits within 1e-4', async () => {
    const bundled = await build({
      entryPoints: [join(app, 'bundler/browser.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    // One file: the generated model, the runtime from the installed package and fflate's browser build.
    expect(bundled.outputFiles).toHaveLength(1);
    const js = bundled.outputFiles[0]!.text;
    const inputs = Object.keys(bundled.metafile.inputs);
    expect(inputs.some((i) => i.endsWith('node_modules/effnet/dist/src/runtime/wgsl.js'))).toBe(true);
    expect(inputs.some((i) => i.includes('node_modules/fflate/'))).toBe(true);
    const files = new Map<string, [string, string | Uint8Array]>([
      ['/', ['text/html', '<!doctype html><meta charset="utf-8"><title>effnet bundle</title><script type="module" src="./bundle.js"></script>']],
      ['/bundle.js', ['text/javascript', js]],
      ['/weights.safetensors', ['application/octet-stream', readFileSync(join(fixture, 'weights.safetensors'))]],
      ['/input.f32', ['application/octet-stream', readFileSync(join(fixture, 'input.f32'))]],
    ]);
    server = createServer((req, res) => {
      const file = files.get((req.url ?? '/').split('?')[0]!);
      if (!file) return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': file[0] }).end(file[1]);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;

    const browser = await launchChromium({ webgpu: true });
    try {
      const result = await pageResult<{ logits: number[]; adapter: string; top: string }>(browser.context, `http://127.0.0.1:${port}/`, 150_000);
      expect(result.adapter).toMatch(/swiftshader/i);
      expect(result.logits).toHaveLength(1000);
      expect(maxAbsDiff(result.logits, expected)).toBeLessThan(1e-4);
    } finally {
      await browser.close();
    }
  }, 240_000);
});
