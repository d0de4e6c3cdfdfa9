/// <reference types="@webgpu/types" />
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelMetadata } from '../src/cost/metadata.js';
import type { VariantGraph } from '../src/graph/graph.js';
import { modelNetwork, modelSpec } from '../src/graph/model-spec.js';
import { topClasses } from '../src/runtime/preprocess.js';
import { HALF_MAX, halfBitsOf, halfValue, toHalf } from '../src/runtime/half.js';
import { prelude, PRELUDE } from '../src/runtime/kernels/prelude.js';
import { createWgslModel, loadWgslWeights, WgslLimitError, type WeightPrecision, type WgslModel } from '../src/runtime/wgsl.js';
import { devicePipelines } from '../src/runtime/wgsl-pipelines.js';
import { planWgsl } from '../src/runtime/wgsl-plan.js';
import { programShaders } from '../src/runtime/wgsl-shaders.js';
import { dawnDevice } from '../src/wgsl/dawn.js';
import { randomCheckpoint } from '../src/weights/random.js';
import { graphOf, readF32, root } from './support/tfjs.js';
import { graphOfText, inputFor, relativeError } from './support/w-differential.js';

// Weights stored as IEEE half floats, two per u32, unpacked to f32 as the kernels read them
// (`weightPrecision: 'f16'`): the converter's bits, the unpacking at every offset on a GPU, and whole
// models against the same model with float32 weights. The measure throughout is relativeError:
// max_i |a_i − b_i| / max(1e-3, max_i |b_i|).

/** The float32 bits of x (x rounded to float32 first). */
const f32Bits = (x: number) => new Uint32Array(Float32Array.of(x).buffer)[0]!;
const half = (x: number) => halfBitsOf(f32Bits(x));

describe('float32 → binary16 bits', () => {
  it('known values, ties to even, subnormals, the largest half and overflow', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.1, 0x2e66],
      [1 / 3, 0x3555],
      [65504, 0x7bff],
      [65519.99, 0x7bff], // below the midpoint to 65536
      [65520, 0x7c00], // the midpoint rounds to even: Infinity
      [1e6, 0x7c00],
      [-1e6, 0xfc00],
      [1 + 2 ** -11, 0x3c00], // tie between 0x3c00 and 0x3c01: even
      [1 + 3 * 2 ** -11, 0x3c02], // tie between 0x3c01 and 0x3c02: even
      [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above the tie
      [2 ** -14, 0x0400], // smallest normal
      [1023 * 2 ** -24, 0x03ff], // largest subnormal
      [1023.5 * 2 ** -24, 0x0400], // tie between 0x03ff and 0x0400: even, a normal
      [2 ** -24, 0x0001], // smallest subnormal
      [3 * 2 ** -25, 0x0002], // tie between 0x0001 and 0x0002: even
      [2 ** -25, 0x0000], // tie between 0 and 0x0001: even
      [1.0000001 * 2 ** -25, 0x0001],
      [-5 * 2 ** -24, 0x8005],
      [1e-10, 0x0000],
      [2 ** -149, 0x0000], // a float32 subnormal
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
    ];
    expect(cases.map(([x]) => half(x).toString(16))).toEqual(cases.map(([, h]) => h.toString(16)));
    const nan = half(NaN);
    expect([nan & 0x7c00, (nan & 0x3ff) !== 0]).toEqual([0x7c00, true]);
    expect(halfValue(0x7bff)).toBe(HALF_MAX);
  });

  it('every half float survives the round trip; every rounding is to a nearest neighbour', () => {
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0) continue; // NaNs
      if (half(halfValue(h)) !== h) throw new Error(`0x${h.toString(16)} came back as 0x${half(halfValue(h)).toString(16)}`);
    }
    let state = 7;
    for (let n = 0; n < 20000; n++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      const x = Math.fround((state / 2 ** 32 - 0.5) * 2 ** ((n % 40) - 26));
      const h = half(x);
      const down = halfValue(h) <= x ? h : h - (x >= 0 ? 1 : -1);
      // The neighbours either side of x; the chosen one is no farther than the other.
      const other = halfValue(h) === x ? h : h === down ? h + (x >= 0 ? 1 : -1) : down;
      expect(Math.abs(halfValue(h) - x)).toBeLessThanOrEqual(Math.abs(halfValue(other) - x));
    }
  });

  it('toHalf packs in order and reports the first finite value that overflows', () => {
    const out = new Uint16Array(4);
    expect(toHalf(Float32Array.of(1, -2, Infinity, 0.5), out)).toBe(-1);
    expect([...out]).toEqual([0x3c00, 0xc000, 0x7c00, 0x3800]);
    expect(toHalf(Float32Array.of(1, 70000, -80000, 2), out)).toBe(1);
  });
});

describe('f16 shaders', () => {
  it('differ from the float32 ones only in how weights are read; float32 shaders are PRELUDE as before', () => {
    const steps = planWgsl(modelNetwork(modelSpec(graphOf('specs/efficientnet.effnet', 'b0'))), 224).steps;
    const f32 = programShaders(steps);
    const f16 = programShaders(steps, 'f16');
    expect(prelude('f32')).toBe(PRELUDE);
    expect(f16.stepShaders).toEqual(f32.stepShaders);
    // The weight binding, wt and wt4 lie between the arena binding and erf_.
    const reads = /@binding\(1\)[^]*?(?=fn erf_)/;
    expect(f16.shaders.map((s) => s.replace(reads, ''))).toEqual(f32.shaders.map((s) => s.replace(reads, '')));
    expect(f16.shaders.map((s) => s.match(reads)?.[0])).toEqual(f16.shaders.map(() => prelude('f16').match(reads)![0]));
    expect(f16.shaders.every((s) => s.includes('array<u32>') && s.includes('unpack2x16float'))).toBe(true);
    expect(f32.shaders.some((s) => s.includes('unpack2x16float'))).toBe(false);
  });
});

describe('on Dawn (OpenGL ES on llvmpipe)', () => {
  let dawn: Awaited<ReturnType<typeof dawnDevice>>;
  beforeAll(async () => {
    dawn = await dawnDevice('opengles');
  });
  afterAll(() => dawn?.device.destroy());

  it('wt(i) and wt4(i) read the right halves at every offset, odd ones included', async () => {
    const { device } = dawn;
    // Normal, subnormal, negative, zero and extreme values: each exactly a half float.
    const values = Float32Array.from({ length: 39 }, (_, i) => (i % 7 === 3 ? (i - 19) * 2 ** -24 : i === 5 ? -HALF_MAX : i === 8 ? 0 : (i - 17) / 8 + i * 2 ** -9));
    const bits = new Uint16Array(40);
    expect(toHalf(values, bits.subarray(0, values.length))).toBe(-1);
    const expected = Array.from(bits, halfValue);
    const count = values.length - 3; // wt4(i) reads i..i+3
    const code = prelude('f16').replace('{{ACT}}', 'x').replace('{{WG_X}}', '1') +
      `
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = invocation(wid, lid, 64u);
  if (i >= ${count}u) {
    return;
  }
  let v = wt4(P.weights + i);
  arena[i * 5u] = wt(P.weights + i);
  arena[i * 5u + 1u] = v.x;
  arena[i * 5u + 2u] = v.y;
  arena[i * 5u + 3u] = v.z;
  arena[i * 5u + 4u] = v.w;
}
`;
    const { layout, acquire } = devicePipelines(device);
    const { pipelines, release } = await acquire([code], 'wt/wt4 probe');
    const arena = device.createBuffer({ size: count * 5 * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const weights = device.createBuffer({ size: bits.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    const params = device.createBuffer({ size: 32, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    const readback = device.createBuffer({ size: count * 5 * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      device.queue.writeBuffer(weights, 0, bits);
      device.queue.writeBuffer(params, 0, new Uint32Array(8));
      const group = device.createBindGroup({
        layout,
        entries: [
          { binding: 0, resource: { buffer: arena } },
          { binding: 1, resource: { buffer: weights } },
          { binding: 2, resource: { buffer: params } },
        ],
      });
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipelines[0]!);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(1);
      pass.end();
      encoder.copyBufferToBuffer(arena, 0, readback, 0, count * 5 * 4);
      device.queue.submit([encoder.finish()]);
      await readback.mapAsync(GPUMapMode.READ);
      const got = new Float32Array(readback.getMappedRange().slice(0));
      readback.unmap();
      const want = Array.from({ length: count }, (_, i) => [expected[i]!, ...expected.slice(i, i + 4)]).flat();
      expect([...got]).toEqual(want);
    } finally {
      release();
      for (const b of [arena, weights, params, readback]) b.destroy();
    }
  });

  describe('b0 (test/fixtures/b0: torchvision weights, input and logits)', () => {
    const g = graphOf('specs/efficientnet.effnet', 'b0');
    const network = modelNetwork(modelSpec(g));
    const meta = modelMetadata(g);
    const fixture = join(root, 'test/fixtures/b0');
    const nchw = readF32(join(fixture, 'input.f32'));
    const input = new Float32Array(nchw.length);
    for (let c = 0; c < 3; c++) for (let p = 0; p < 224 * 224; p++) input[p * 3 + c] = nchw[c * 224 * 224 + p]!;
    const torchvision = readF32(join(fixture, 'logits.f32'));
    const weights = loadWgslWeights(network, meta, readFileSync(join(fixture, 'weights.safetensors')));
    const models = new Map<WeightPrecision, WgslModel>();
    const logits = new Map<WeightPrecision, Float32Array>();
    beforeAll(async () => {
      for (const precision of ['f32', 'f16'] as const) {
        const model = await createWgslModel(dawn.device, network, meta, weights, { weightPrecision: precision });
        models.set(precision, model);
        logits.set(precision, await model.run(input));
      }
    }, 300_000); // a cold Mesa shader cache compiles every pipeline first
    afterAll(() => models.forEach((m) => m.dispose()));

    it('f16 weights: within 1e-2 of the f32 logits (measured 4.9e-3), the same top-5', () => {
      const f32 = logits.get('f32')!;
      const f16 = logits.get('f16')!;
      expect(relativeError(f32, torchvision)).toBeLessThan(1e-4);
      const error = relativeError(f16, f32);
      expect(error).toBeLessThan(1e-2);
      // Not bit-identical: the weights really are rounded (b0's fold gives few exact halves).
      expect(error).toBeGreaterThan(1e-5);
      expect(relativeError(f16, torchvision)).toBeLessThan(1e-2);
      const top5 = (x: Float32Array) => topClasses(x, 1000, { k: 5 }).map((p) => p.index);
      expect(top5(f16)).toEqual(top5(f32));
      expect(top5(f16)).toEqual(top5(torchvision));
    });

    it('f16 weights take half the bytes; the model says which it holds', () => {
      const f32 = models.get('f32')!;
      const f16 = models.get('f16')!;
      expect([f32.weightPrecision, f16.weightPrecision]).toEqual(['f32', 'f16']);
      expect(f16.weightBytes * 2).toBe(f32.weightBytes);
      expect(f32.weightBytes).toBe(planWgsl(network, 224).chunks.reduce((a, c) => a + c * 4, 0));
      expect(f16.dispatches).toBe(f32.dispatches);
    });
  });

  it('odd channel counts (weight reads at odd offsets): f16 within 1e-2 of f32, same argmax', async () => {
    const g: VariantGraph = graphOfText(
      'family odd {\n  round channels divisor 1 min 1\n  classes 10\n  stem conv k3 s2 c9\n  stage mbconv e3 k3 s1 c7 n2 se 0.25\n  stage mbconv e3 k5 s2 c13 n1 se 0.25\n  head conv k1 c21\n  variant v { width 1.0 depth 1.0 resolution 32 }\n}\n',
    );
    const network = modelNetwork(modelSpec(g));
    // 1×1 convolutions with an odd output count of 5 or more read wt4 at P.weights + k·N + n: odd for odd k.
    const odd = planWgsl(network, 32).steps.filter((s) => s.kind === 'pointwise' && (s.consts.N as number) % 2 === 1 && (s.consts.N as number) >= 5);
    expect(odd.length).toBeGreaterThan(1);
    const meta = modelMetadata(g);
    const weights = loadWgslWeights(network, meta, randomCheckpoint(g, 'torchvision', 3));
    const input = inputFor(g, 3);
    const out: Float32Array[] = [];
    for (const precision of ['f32', 'f16'] as const) {
      const model = await createWgslModel(dawn.device, network, meta, weights, { weightPrecision: precision });
      try {
        out.push(await model.run(input));
      } finally {
        model.dispose();
      }
    }
    const [f32, f16] = out as [Float32Array, Float32Array];
    const error = relativeError(f16, f32);
    expect(error).toBeLessThan(1e-2);
    expect(error).toBeGreaterThan(0);
    const argmax = (x: Float32Array) => x.indexOf(Math.max(...x));
    expect(argmax(f16)).toBe(argmax(f32));
  }, 120_000);

  it('a folded weight beyond ±65504 is a WgslLimitError naming its layer, not Infinity', async () => {
    const g = graphOfText('family big {\n  stem conv k3 s2 c8\n  stage mbconv e1 k3 s1 c8 n1\n  head conv k1 c16\n  variant v { width 1.0 depth 1.0 resolution 16 }\n}\n');
    const network = modelNetwork(modelSpec(g));
    const meta = modelMetadata(g);
    const weights = loadWgslWeights(network, meta, randomCheckpoint(g, 'torchvision', 1));
    // BatchNorm's scale γ/√(var + eps) multiplies every weight of the head: γ = 1e6 overflows half floats.
    weights.layers.get('features.2')!['bn.weight']!.fill(1e6);
    await expect(createWgslModel(dawn.device, network, meta, weights, { weightPrecision: 'f16' })).rejects.toThrow(WgslLimitError);
    await expect(createWgslModel(dawn.device, network, meta, weights, { weightPrecision: 'f16' })).rejects.toThrow(/big v: layer `features\.2` has a folded weight of -?\d.*, beyond half precision's ±65504; load it with f32 weights/);
    const f32 = await createWgslModel(dawn.device, network, meta, weights);
    f32.dispose();
  }, 60_000);
});

describe('effnet infer --target wgsl --weights-precision', () => {
  const effnet = (args: string[]) => {
    const p = spawnSync(process.execPath, [join(root, 'dist/src/cli/main.js'), ...args], { cwd: mkdtempSync(join(tmpdir(), 'effnet-f16-')), encoding: 'utf8', timeout: 240_000 });
    return { code: p.status, stdout: p.stdout, stderr: p.stderr.replace(/^Warning: \w+ artificially reduced .*\n/gm, '') };
  };
  const n = join(root, 'test/fixtures/narrow');
  const narrow = [join(n, 'narrow.effnet'), '--variant', 'narrow', '--weights', join(n, 'weights.safetensors')];

  it('f16: half the weight bytes of f32, and the device line says so', () => {
    const bench = (precision: string) => {
      const r = effnet(['infer', ...narrow, '--target', 'wgsl', '--weights-precision', precision, '--bench', '1']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout) as { weightBytes: number; device: string };
    };
    const [f32, f16] = [bench('f32'), bench('f16')];
    expect(f16.weightBytes * 2).toBe(f32.weightBytes);
    expect(f16.device).toMatch(/, f16 weights$/);
    expect(f32.device).not.toMatch(/f16/);
  }, 300_000);

  it('on another target, or an unknown precision: a usage error (exit 2)', () => {
    const tfjs = effnet(['infer', ...narrow, '--target', 'tfjs', '--weights-precision', 'f16', '--bench', '1']);
    expect([tfjs.code, tfjs.stderr]).toEqual([2, 'effnet: --weights-precision is for --target wgsl, not tfjs\n']);
    const bad = effnet(['infer', ...narrow, '--target', 'wgsl', '--weights-precision', 'f8', '--bench', '1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--weights-precision.*f8.*f32, f16/);
  });
});
