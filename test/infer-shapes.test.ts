import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileSource } from '../src/compile/compile.js';
import { randomCheckpoint } from '../src/weights/random.js';
import { maxAbsDiff, readF32, root } from './support/tfjs.js';

// The CLI beyond an RGB classifier at its own size, as users run it (the built binary): input
// channels 1 and 4 end to end (report, generate, infer on both targets), any input size on tfjs,
// feature networks, and `report --resolution`.

const effnet = (args: string[], cwd: string) => {
  const p = spawnSync(process.execPath, [join(root, 'dist/src/cli/main.js'), ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  // Dawn itself notes on stderr that it lowers two limits; nothing of effnet's.
  return { code: p.status, stdout: p.stdout, stderr: p.stderr.replace(/^Warning: \w+ artificially reduced .*\n/gm, '') };
};
const tmp = () => mkdtempSync(join(tmpdir(), 'effnet-shapes-'));
const sines = (n: number, phase = 0) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + phase));
const write = (dir: string, name: string, data: Uint8Array | Float32Array | string) => {
  writeFileSync(join(dir, name), typeof data === 'string' ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return name;
};

/** A small family with these input channels and extra settings in its variant. */
const smallSpec = (channels: number, extra = '') => `family small {
  input channels ${channels}
  classes 10
  stem conv k3 s2 c8
  stage mbconv e1 k3 s1 c8 n1 se 0.25
  stage mbconv e4 k5 s2 c16 n2 se 0.25
  stage mbconv e4 k3 s2 c24 n1 se 0.25
  head conv k1 c32
  variant v { resolution 32 ${extra} }
}
`;

/** Writes the spec and a random checkpoint for its variant `v`. */
function setup(text: string): { dir: string; weights: string } {
  const dir = tmp();
  write(dir, 'small.effnet', text);
  const g = compileSource(text, 'small.effnet').graphs[0]!;
  return { dir, weights: write(dir, 'w.safetensors', randomCheckpoint(g)) };
}

describe('input channels 1 and 4, end to end', () => {
  for (const channels of [1, 4]) {
    it(`input channels ${channels}: report, generate, and infer on tfjs and WGSL agree`, () => {
      const { dir, weights } = setup(smallSpec(channels));
      const report = effnet(['report', 'small.effnet'], dir);
      expect(report.stderr).toBe('');
      expect(report.stdout).toContain(`32×32×${channels} input`);
      const json = JSON.parse(effnet(['report', 'small.effnet', '--format', 'json'], dir).stdout) as { variants: { inputChannels: number; params: number }[] };
      expect(json.variants[0]!.inputChannels).toBe(channels);

      const gen = effnet(['generate', 'small.effnet', '--out', 'out'], dir);
      expect(gen.code).toBe(0);
      const network = readFileSync(join(dir, 'out/small/v/network.ts'), 'utf8');
      expect(network).toContain(`inputChannels: ${channels},`);
      expect(network).toContain(`in: ${channels},`);
      expect(readFileSync(join(dir, 'out/small/v/model.tfjs.ts'), 'utf8')).toContain(`NHWC input \`[null, 32, 32, ${channels}]\``);

      // No --shape: the default is 1,C,R,R.
      const input = write(dir, 'x.f32', sines(channels * 32 * 32));
      const outs = (['tfjs', 'wgsl'] as const).map((target) => {
        const r = effnet(['infer', 'small.effnet', '--variant', 'v', '--target', target, '--weights', weights, '--input', input, '--out', `${target}.f32`], dir);
        expect(r.stderr, target).toBe('');
        expect(r.stdout).toMatch(/float32 logits \[1, 10\]/);
        return readF32(join(dir, `${target}.f32`));
      });
      expect(outs[0]!.length).toBe(10);
      expect(Math.max(...outs[0]!.map(Math.abs))).toBeGreaterThan(1e-3);
      expect(maxAbsDiff(outs[0]!, outs[1]!)).toBeLessThan(1e-4);

      const wrong = effnet(['infer', 'small.effnet', '--variant', 'v', '--weights', weights, '--input', input, '--shape', '1,3,32,32', '--out', 'y.f32'], dir);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toContain(`small v takes ${channels}-channel input (N,${channels},H,W), not 1,3,32,32`);
    }, 180_000);
  }
});

describe('any input size', () => {
  it('infer --target tfjs runs b0 at 256×320: torchvision’s logits within 1e-4', () => {
    const dir = tmp();
    const r = effnet(
      ['infer', join(root, 'specs/efficientnet.effnet'), '--variant', 'b0', '--weights', join(root, 'test/fixtures/b0/weights.safetensors'), '--input', join(root, 'test/fixtures/b0-sizes/input_256x320.f32'), '--shape', '1,3,256,320', '--out', 'logits.f32'],
      dir,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^wrote logits\.f32: float32 logits \[1, 1000\]/);
    expect(maxAbsDiff(readF32(join(dir, 'logits.f32')), readF32(join(root, 'test/fixtures/b0-sizes/logits_256x320.f32')))).toBeLessThan(1e-4);
  });

  it('infer --target wgsl takes another size too: tfjs and WGSL agree within 1e-4 at 40×48 (a zero size is refused)', () => {
    const { dir, weights } = setup(smallSpec(3));
    const input = write(dir, 'x.f32', sines(2 * 3 * 40 * 48));
    const outs = (['tfjs', 'wgsl'] as const).map((target) => {
      const r = effnet(['infer', 'small.effnet', '--variant', 'v', '--target', target, '--weights', weights, '--input', input, '--shape', '2,3,40,48', '--out', `${target}.f32`], dir);
      expect(r.stderr, target).toBe('');
      expect(r.stdout).toMatch(/float32 logits \[2, 10\]/);
      return readF32(join(dir, `${target}.f32`));
    });
    expect(outs[0]!.length).toBe(20);
    expect(maxAbsDiff(outs[0]!, outs[1]!)).toBeLessThan(1e-4);
    const tiny = effnet(['infer', 'small.effnet', '--variant', 'v', '--target', 'wgsl', '--weights', weights, '--shape', '1,3,0,48', '--bench', '1'], dir);
    expect(tiny.code).toBe(2);
    expect(tiny.stderr).toMatch(/^effnet: --shape takes N,C,H,W/);
  }, 180_000);

  it('report --resolution reports every variant at another size', () => {
    const r = effnet(['report', join(root, 'specs/efficientnet.effnet'), '--variant', 'b0', '--resolution', '256', '--format', 'json'], root);
    expect(r.stderr).toBe('');
    const v = (JSON.parse(r.stdout) as { variants: { resolution: number; params: number; stages: { outShape: number[] }[] }[] }).variants[0]!;
    expect([v.resolution, v.params]).toEqual([256, 5288548]);
    expect(v.stages.at(-1)!.outShape).toEqual([1000, 1, 1]);
    expect(v.stages.at(-2)!.outShape).toEqual([1280, 8, 8]);
    const bad = effnet(['report', join(root, 'specs/efficientnet.effnet'), '--resolution', '25x'], root);
    expect([bad.code, bad.stderr]).toEqual([2, 'effnet: --resolution takes a positive number of pixels, not "25x"\n']);
  });
});

describe('feature networks', () => {
  it('infer writes the feature maps NCHW one after another, the same on tfjs and WGSL', () => {
    const { dir, weights } = setup(smallSpec(3, 'features 1 2 3'));
    const report = effnet(['report', 'small.effnet'], dir).stdout;
    expect(report).toContain('| features.2 | 2 | 16 | 4 | 16×8×8 |');
    const input = write(dir, 'x.f32', sines(2 * 3 * 32 * 32));
    const outs = (['tfjs', 'wgsl'] as const).map((target) => {
      const r = effnet(['infer', 'small.effnet', '--variant', 'v', '--target', target, '--weights', weights, '--input', input, '--shape', '2,3,32,32', '--out', `${target}.f32`], dir);
      expect(r.stderr, target).toBe('');
      expect(r.stdout).toContain('float32 NCHW feature maps, one after another: features.1 [2, 8, 16, 16], features.2 [2, 16, 8, 8], features.3 [2, 24, 4, 4]');
      return readF32(join(dir, `${target}.f32`));
    });
    expect(outs[0]!.length).toBe(2 * (8 * 16 * 16 + 16 * 8 * 8 + 24 * 4 * 4));
    expect(maxAbsDiff(outs[0]!, outs[1]!)).toBeLessThan(1e-4);
    // A feature network takes the whole classifier's checkpoint.
    const whole = setup(smallSpec(3));
    write(dir, 'whole.safetensors', readFileSync(join(whole.dir, whole.weights)));
    const r = effnet(['infer', 'small.effnet', '--variant', 'v', '--weights', 'whole.safetensors', '--input', input, '--shape', '2,3,32,32', '--out', 'whole.f32'], dir);
    expect(r.stderr).toBe('');
  }, 180_000);
});
