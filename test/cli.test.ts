import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCli, tempDirs } from './support/cli.js';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';

const root = resolve(import.meta.dirname, '..');
const reference = JSON.parse(readFileSync(join(root, 'test/fixtures/torchvision-reference.json'), 'utf8')).models;

const run = (args: string[], cwd = root) => runCli(args, cwd);
const tempDir = tempDirs('effnet-');

describe('effnet report --format json', () => {
  it('b0–b7: params equal torchvision, MACs within 0.5 %, b0 stage shapes as published', async () => {
    const r = await run(['report', 'specs/efficientnet.effnet', '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.family).toBe('efficientnet');
    expect(doc.macsDefinition).toMatch(/multiply-accumulates/);
    const byName = Object.fromEntries(doc.variants.map((v: { name: string }) => [v.name, v]));
    const published: Record<string, [number, number]> = {
      b0: [5_288_548, 0.386], b1: [7_794_184, 0.687], b2: [9_109_994, 0.994], b3: [12_233_232, 1.827],
      b4: [19_341_616, 4.394], b5: [30_389_784, 10.27], b6: [43_040_704, 19.07], b7: [66_347_960, 37.75],
    };
    for (const [name, [params, gmacs]] of Object.entries(published)) {
      const v = byName[name];
      expect(v.params, name).toBe(params);
      expect(v.params, name).toBe(reference[`efficientnet_${name}`].params);
      expect(Math.abs(v.macs / 1e9 / gmacs - 1), name).toBeLessThan(0.005);
      expect(v.flops).toBe(2 * v.macs);
      expect(v.bnBuffers).toBe(reference[`efficientnet_${name}`].bnBuffers);
      for (const k of ['params', 'bnBuffers', 'macs', 'flops', 'activationBytes', 'resolution']) expect(Number.isInteger(v[k]), k).toBe(true);
    }
    const b0 = byName.b0;
    expect(b0.stages.filter((s: { role: string }) => s.role !== 'classifier').map((s: { outShape: number[] }) => s.outShape)).toEqual([
      [32, 112, 112], [16, 112, 112], [24, 56, 56], [40, 28, 28], [80, 14, 14], [112, 14, 14], [192, 7, 7], [320, 7, 7], [1280, 7, 7],
    ]);
    const stageSum = b0.stages.reduce((a: number, s: { params: number }) => a + s.params, 0);
    expect(stageSum).toBe(b0.params);
    expect(b0.layers.reduce((a: number, l: { macs: number }) => a + l.macs, 0)).toBe(b0.macs);
    expect(Object.keys(b0.stages[2])).toEqual(expect.arrayContaining(['index', 'block', 'kernel', 'stride', 'expand', 'channels', 'repeats', 'outShape', 'params', 'macs']));
    expect(b0.stages[2]).toMatchObject({ index: 2, block: 'mbconv', kernel: 3, stride: 2, expand: 6, channels: 24, repeats: 2 });
  });

  it('--variant selects, --out writes the same text to a file, csv has a row per stage', async () => {
    const out = join(tempDir(), 'r.json');
    const printed = await run(['report', 'specs/efficientnet_lite.effnet', '--variant', 'lite0', 'lite4', '--format', 'json']);
    const written = await run(['report', 'specs/efficientnet_lite.effnet', '--variant', 'lite0', 'lite4', '--format', 'json', '--out', out]);
    expect(written.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(printed.stdout);
    expect(JSON.parse(printed.stdout).variants.map((v: { name: string }) => v.name)).toEqual(['lite0', 'lite4']);
    const csv = await run(['report', 'specs/efficientnet_lite.effnet', '--variant', 'lite0', '--format', 'csv']);
    expect(csv.stdout.trim().split('\n')).toHaveLength(1 + 10); // header, stem, 7 stages, head, classifier
    const perLayer = await run(['report', 'specs/efficientnet.effnet', '--variant', 'b0', '--format', 'csv', '--per-layer']);
    // torchvision lists an SE as two convs (fc1, fc2); the report has one `se` row for both.
    const seBlocks = 16;
    expect(perLayer.stdout.trim().split('\n')).toHaveLength(1 + reference.efficientnet_b0.layers.length - seBlocks);
  });

  it('markdown has the summary, per-stage tables and, with --per-layer, a layer table', async () => {
    const r = await run(['report', 'specs/efficientnet.effnet', '--variant', 'b0', '--per-layer']);
    expect(r.stdout).toContain('| b0 | 224 | 1.0 | 1.0 | 5,288,548 | 42,016 | 385.8 M | 771.6 M |');
    expect(r.stdout).toContain('| 3 | stage | mbconv | 5 | 2 | 6 | 40 | 2 | 40×28×28 |');
    expect(r.stdout).toContain('| features.2.0.block.2 | se | se | 96×56×56 | 96×56×56 |');
    expect(r.stdout).toMatch(/FLOPs = 2·MACs/);
  });
});

describe('exit codes', () => {
  it('no internal error for a command with nothing to work on: no arguments, generate without specs/, validate-wgsl on a folder without models', async () => {
    const dir = tempDir();
    const bare = await run([], dir);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('Usage: effnet [options] [command]');
    expect(await run(['generate'], dir)).toEqual({
      code: 2,
      stdout: '',
      stderr: 'effnet: no spec named and no specs/*.effnet here: name the specs, e.g. `effnet generate my.effnet --out generated`\n',
    });
    expect(await run(['validate-wgsl', '.'], dir)).toEqual({ code: 1, stdout: '', stderr: 'effnet: no model.wgsl.ts files under .\n' });
  });

  it('0 clean, 1 errors, 0 with warnings only, 2 usage', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.effnet'), 'family x {\n  stem conv k3 s2 c32\n  stage mbconv e6 k3 s3 c16\n  variant a { resolution 224 }\n}\n');
    writeFileSync(join(dir, 'warn.effnet'), 'family x {\n  stem conv k3 s2 c32\n  stage mbconv e6 k3 c16\n  compound alpha 2 beta 2 gamma 2\n  variant a { resolution 224 }\n}\n');
    expect((await run(['check', 'specs/efficientnet.effnet'])).code).toBe(0);
    const bad = await run(['check', 'bad.effnet'], dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('bad.effnet:3:23: error E021: stride 3 is not supported');
    const warn = await run(['check', 'warn.effnet'], dir);
    expect(warn.code).toBe(0);
    expect(warn.stderr).toContain('warning W034');
    expect((await run(['check', 'missing.effnet'], dir)).code).toBe(2);
    expect((await run(['report', 'specs/efficientnet.effnet', '--format', 'xml'])).code).toBe(2);
    expect((await run(['report', 'specs/efficientnet.effnet', '--variant', 'b99'])).code).toBe(2);
    expect((await run(['frobnicate'])).code).toBe(2);
    expect((await run(['check', 'specs/efficientnet.effnet', '--max-params', 'lots'])).code).toBe(2);
    expect((await run(['--help'])).code).toBe(0);
  });

  it('the limits are configurable: --max-params refuses b7 but not b0', async () => {
    const r = await run(['check', 'specs/efficientnet.effnet', '--max-params', '10000000']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error E041: variant `b3` would have 12,233,232 parameters, more than the limit of 10,000,000/);
    expect(r.stderr).not.toMatch(/variant `b(0|1|2)` would have/);
    const mem = await run(['check', 'specs/efficientnet.effnet', '--max-activation-mib', '100']);
    expect(mem.stderr).toMatch(/E042: variant `b3` would need 127 MiB of activations for one image \(float32\), more than the limit of 100 MiB/);
    expect(mem.stderr).not.toMatch(/variant `b2` would need/);
  });

  it('ir prints the family IR, or with --variant the layer graph, as JSON', async () => {
    const ir = JSON.parse((await run(['ir', 'specs/efficientnet.effnet'])).stdout);
    expect(ir.variants.map((v: { name: string }) => v.name)).toContain('l2');
    expect(ir.base.stages[1]).toMatchObject({ block: 'mbconv', kernels: [3], stride: 2, expand: 6, channels: 24, repeats: 2, se: 0.25 });
    const g = JSON.parse((await run(['ir', 'specs/efficientnet.effnet', '--variant', 'b3'])).stdout);
    expect(g.resolution).toBe(300);
    expect(g.stages[0].blocks[0].layers[0].name).toBe('features.1.0.block.0');
  });

  it('the installed binary runs, and hostile input never prints a stack trace', () => {
    const dir = tempDir();
    const inputs = ['\u0000\u0001\u00ff', 'family {{{{', 'family x { stage '.repeat(500), '}'.repeat(10000), 'family x { variant a { resolution 1e308 } }'];
    for (const [i, text] of inputs.entries()) {
      writeFileSync(join(dir, `f${i}.effnet`), text);
      const p = spawnSync(process.execPath, [join(root, 'dist/src/cli/main.js'), 'check', `f${i}.effnet`], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
      expect(p.status, text.slice(0, 30)).toBe(1);
      expect(p.stderr).toMatch(/error E0\d\d/);
      expect(p.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
      expect(p.stderr.length).toBeLessThan(64 * 1024);
    }
  });
});

describe('effnet generate', () => {
  function copyRepo(): string {
    const dir = tempDir();
    cpSync(join(root, 'specs'), join(dir, 'specs'), { recursive: true });
    cpSync(join(root, 'generated'), join(dir, 'generated'), { recursive: true });
    return dir;
  }
  const snapshot = (dir: string): Record<string, string> => {
    const out: Record<string, string> = {};
    const walk = (d: string, rel: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
        else out[`${rel}${e.name}`] = readFileSync(join(d, e.name), 'utf8');
      }
    };
    walk(dir, '');
    return out;
  };

  it('the committed generated/ is up to date', async () => {
    const r = await run(['generate', '--check']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('is deterministic: two runs into empty folders give the same bytes, equal to the committed ones', async () => {
    const a = copyRepo();
    const b = copyRepo();
    rmSync(join(a, 'generated'), { recursive: true });
    rmSync(join(b, 'generated'), { recursive: true });
    expect((await run(['generate'], a)).code).toBe(0);
    expect((await run(['generate'], b)).code).toBe(0);
    const sa = snapshot(join(a, 'generated'));
    expect(sa).toEqual(snapshot(join(b, 'generated')));
    expect(sa).toEqual(snapshot(join(root, 'generated')));
    expect(Object.keys(sa)).toEqual(expect.arrayContaining(['efficientnet/b0/report.json', 'efficientnet/b0/model.tfjs.ts', 'efficientnet/b0/model.wgsl.ts', 'mobilenet_v3/small/model.tfjs.ts']));
  });

  it('--target picks what is written and checked; other targets\' files are neither orphans nor touched', async () => {
    const dir = copyRepo();
    const g = join(dir, 'generated');
    // Edited by hand below the header: generated files still, which generate may replace.
    const tsEdit = '// generated by effnet from specs/efficientnet.effnet — do not edit\n// edited\n';
    writeFileSync(join(g, 'efficientnet/b0/model.tfjs.ts'), tsEdit);
    writeFileSync(join(g, 'efficientnet/b1/report.md'), '<!-- generated by effnet from specs/efficientnet.effnet — do not edit -->\nedited\n');
    const tfjs = await run(['generate', '--check', '--target', 'tfjs'], dir);
    expect(tfjs.code).toBe(1);
    expect(tfjs.stderr).toContain('stale    efficientnet/b0/model.tfjs.ts');
    expect(tfjs.stderr).not.toContain('report');
    const report = await run(['generate', '--target', 'report'], dir);
    expect(report.stdout).toBe('updated  efficientnet/b1/report.md\n');
    expect(readFileSync(join(g, 'efficientnet/b0/model.tfjs.ts'), 'utf8')).toBe(tsEdit);
    expect((await run(['generate', '--target', 'tfjs'], dir)).stdout).toBe('updated  efficientnet/b0/model.tfjs.ts\n');
    expect(snapshot(g)).toEqual(snapshot(join(root, 'generated')));
  });

  it('--tfjs-module changes the module generated code imports TensorFlow.js from', async () => {
    const dir = copyRepo();
    const r = await run(['generate', 'specs/mobilenet_v3.effnet', '--target', 'tfjs', '--tfjs-module', '@tensorflow/tfjs-node-gpu', '--out', 'out'], dir);
    expect(r.code).toBe(0);
    const text = readFileSync(join(dir, 'out/mobilenet_v3/small/model.tfjs.ts'), 'utf8');
    expect(text.split('\n').slice(0, 3)).toEqual(['// generated by effnet from specs/mobilenet_v3.effnet — do not edit', '', "import * as tf from '@tensorflow/tfjs-node-gpu';"]);
    expect(readFileSync(join(root, 'generated/mobilenet_v3/small/model.tfjs.ts'), 'utf8')).toContain("import * as tf from '@tensorflow/tfjs';");
  });

  it('--check writes nothing and lists stale, missing and orphaned files; generate repairs them', async () => {
    const dir = copyRepo();
    const g = join(dir, 'generated');
    writeFileSync(join(g, 'efficientnet/b0/report.md'), '<!-- generated by effnet from specs/efficientnet.effnet — do not edit -->\nedited by hand\n');
    rmSync(join(g, 'efficientnet/b1/report.json'));
    writeFileSync(join(g, 'efficientnet/old.md'), '<!-- generated by effnet from specs/efficientnet.effnet — do not edit -->\nleft over\n');
    const before = snapshot(g);
    const check = await run(['generate', '--check'], dir);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain('stale    efficientnet/b0/report.md');
    expect(check.stderr).toContain('missing  efficientnet/b1/report.json');
    expect(check.stderr).toContain('orphaned efficientnet/old.md');
    expect(snapshot(g)).toEqual(before);
    expect((await run(['generate'], dir)).code).toBe(0);
    expect(snapshot(g)).toEqual(snapshot(join(root, 'generated')));
  });

  it('a spec with errors writes nothing', async () => {
    const dir = copyRepo();
    writeFileSync(join(dir, 'specs/efficientnet.effnet'), readFileSync(join(dir, 'specs/efficientnet.effnet'), 'utf8').replace('k3 s2 c24', 'k4 s2 c24'));
    rmSync(join(dir, 'generated/efficientnet/b0/report.md'));
    const before = snapshot(join(dir, 'generated'));
    const r = await run(['generate'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('E020');
    expect(snapshot(join(dir, 'generated'))).toEqual(before);
  });
});
