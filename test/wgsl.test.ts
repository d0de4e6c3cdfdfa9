import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WgslLimitError } from '../src/runtime/wgsl.js';
import { shaderLiterals } from '../src/wgsl/validate.js';
import { graphOf, maxAbsDiff, readF32, root } from './support/tfjs.js';
import { importGeneratedWgsl } from './support/wgsl.js';
import { classifierModule } from '../src/wgsl/load.js';

// The WGSL target on Dawn in Node. Dawn runs in child processes (the CLI, as
// users run it): its native objects do not survive vitest's workers. Logits
// are computed on Mesa's llvmpipe through OpenGL ES; validation is Tint's,
// on the null backend.

const effnet = (args: string[], cwd = root) => {
  const p = spawnSync(process.execPath, [join(root, 'dist/src/cli/main.js'), ...args], { cwd, encoding: 'utf8', timeout: 240_000 });
  // Dawn logs two notices about dynamic-offset limits on adapter creation.
  const stderr = p.stderr.replace(/^Warning: \w+ artificially reduced .*\n/gm, '');
  return { code: p.status, stdout: p.stdout, stderr };
};

describe('generated WGSL validates (Tint on the Dawn null backend)', () => {
  const files = readdirSync(join(root, 'generated'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('model.wgsl.ts'));

  it('every shader of every shipped variant', () => {
    const shaders = files.reduce((a, f) => a + shaderLiterals(readFileSync(join(root, 'generated', f), 'utf8')).length, 0);
    expect(files.length).toBe(51);
    expect(shaders).toBeGreaterThan(51 * 10);
    const r = effnet(['validate-wgsl']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${shaders} shaders in 51 files valid (Tint, Dawn null backend)\n`);
  });

  it('a broken shader: Tint\'s message at line:col of the generated file, exit 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'effnet-wgsl-'));
    const text = readFileSync(join(root, 'generated/efficientnet/b0/model.wgsl.ts'), 'utf8').replace('let ox = p % WO;', 'let ox = p % WOO;');
    writeFileSync(join(dir, 'model.wgsl.ts'), text);
    const lines = text.split('\n');
    const line = lines.findIndex((l) => l.includes('p % WOO')) + 1;
    const col = lines[line - 1]!.indexOf('WOO') + 1;
    const r = effnet(['validate-wgsl', 'model.wgsl.ts'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^model\\.wgsl\\.ts:${line}:${col}: error: .*unresolved value 'WOO'`));
  });
});

describe('effnet infer --target wgsl (Dawn, OpenGL ES on llvmpipe)', () => {
  for (const f of [
    { name: 'narrow', spec: 'test/fixtures/narrow/narrow.effnet', variant: 'narrow', shape: '2,3,64,64' },
    { name: 'b0', spec: 'specs/efficientnet.effnet', variant: 'b0', shape: '1,3,224,224' },
  ]) {
    it(`${f.name}: torchvision's logits within 1e-4`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'effnet-wgsl-'));
      const fixture = join(root, 'test/fixtures', f.name);
      const r = effnet(['infer', join(root, f.spec), '--variant', f.variant, '--target', 'wgsl', '--weights', join(fixture, 'weights.safetensors'), '--input', join(fixture, 'input.f32'), '--shape', f.shape, '--out', 'logits.f32'], dir);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('wgsl on opengles');
      expect(maxAbsDiff(readF32(join(dir, 'logits.f32')), readF32(join(fixture, 'logits.f32')))).toBeLessThan(1e-4);
    }, 300_000); // a cold Mesa shader cache compiles every pipeline first
  }

  it('--bench N prints latency, dispatches and the bytes of intermediate buffers', () => {
    const n = join(root, 'test/fixtures/narrow');
    const r = effnet(['infer', join(n, 'narrow.effnet'), '--variant', 'narrow', '--target', 'wgsl', '--weights', join(n, 'weights.safetensors'), '--bench', '2']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, number | string>;
    expect(j).toMatchObject({ target: 'wgsl', backend: 'opengles', runs: 2, dispatches: 53 });
    expect(j.device).toMatch(/^Dawn opengles: .*llvmpipe/);
    expect(j.arenaBytes as number).toBeLessThan(j.tensorBytes as number);
    expect(j.minMs as number).toBeLessThanOrEqual(j.maxMs as number);
  });

  it('a tfjs backend asked of the wgsl target is a usage error', () => {
    const r = effnet(['infer', 'specs/efficientnet.effnet', '--variant', 'b0', '--target', 'wgsl', '--backend', 'wasm', '--weights', 'x', '--bench', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--target wgsl runs on --backend opengles, vulkan, not wasm');
  });
});

describe('device limits', () => {
  it('a variant beyond maxStorageBufferBindingSize fails with a clear error naming the limit', async () => {
    const mod = classifierModule(await importGeneratedWgsl(graphOf('specs/efficientnet.effnet', 'l2')));
    const limits = { maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 31, maxComputeWorkgroupsPerDimension: 65535, maxComputeInvocationsPerWorkgroup: 1024 };
    const device = { limits } as unknown as GPUDevice;
    const weights = { layout: 'torchvision' as const, layers: new Map() };
    await expect(mod.createModel(device, weights)).rejects.toThrow(WgslLimitError);
    await expect(mod.createModel(device, weights)).rejects.toThrow(/efficientnet l2 needs a 395\.5 MiB activation arena, but this device's maxStorageBufferBindingSize is 128\.0 MiB/);
  });
});

describe('WGSL and tfjs agree on the other families (random weights, 96×96)', () => {
  // EfficientNet itself is checked against torchvision above; these add edge residual, fused
  // MBConv, ReLU6, hard-swish and hard-sigmoid SE, and a hidden classifier. At 96×96 to stay quick.
  for (const file of ['efficientnet_edgetpu.effnet', 'efficientnet_v2.effnet', 'mobilenet_v2.effnet', 'mobilenet_v3.effnet']) {
    it(file, async () => {
      const { compileSource } = await import('../src/compile/compile.js');
      const { randomCheckpoint } = await import('../src/weights/random.js');
      const dir = mkdtempSync(join(tmpdir(), 'effnet-wgsl-'));
      const spec = join(dir, file);
      writeFileSync(spec, readFileSync(join(root, 'specs', file), 'utf8').replace(/resolution \d+/g, 'resolution 96'));
      const g = compileSource(readFileSync(spec, 'utf8'), spec).graphs[0]!;
      expect(g.resolution).toBe(96);
      writeFileSync(join(dir, 'w.safetensors'), randomCheckpoint(g));
      writeFileSync(join(dir, 'x.f32'), new Float32Array(3 * 96 * 96).map((_, i) => Math.sin(i * 0.37)));
      const args = (target: string) => ['infer', file, '--variant', g.variant, '--target', target, '--weights', 'w.safetensors', '--input', 'x.f32', '--shape', '1,3,96,96', '--out', `${target}.f32`];
      for (const target of ['tfjs', 'wgsl']) expect(effnet(args(target), dir).stderr).toBe('');
      const a = readF32(join(dir, 'wgsl.f32'));
      const b = readF32(join(dir, 'tfjs.f32'));
      const scale = Math.max(...Array.from(b, Math.abs));
      expect(scale).toBeGreaterThan(1e-3);
      expect(maxAbsDiff(a, b) / scale).toBeLessThan(1e-4);
    }, 300_000);
  }
});
