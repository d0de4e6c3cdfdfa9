/// <reference types="@webgpu/types" />
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSource } from '../src/compile/compile.js';
import { analyzeVariant } from '../src/cost/cost.js';
import { modelMetadata } from '../src/cost/metadata.js';
import { DiagnosticSink } from '../src/diagnostics/diagnostic.js';
import { modelNetwork, modelSpec } from '../src/graph/model-spec.js';
import { checkTargets } from '../src/graph/targets.js';
import { tfjsRuntime } from '../src/runtime/tfjs.js';
import { CHUNK_BYTES, planWgsl, type Step } from '../src/runtime/wgsl-plan.js';
import { TILES } from '../src/runtime/wgsl-tiles.js';
import { dawnDevice } from '../src/wgsl/dawn.js';
import { emitWgsl } from '../src/wgsl/emit.js';
import { randomSpec, type RandomSpec } from './support/random-spec.js';
import { fuzzParams, fuzzTimeout, savingFailuresAsync } from './support/fuzz-budget.js';
import { graphOfText, runBoth } from './support/w-differential.js';
import { tf, useBackend } from './support/tfjs.js';

// Two targets, one meaning: random valid specs run on tfjs (plain ops on the wasm backend: the
// reference, its SE a plain multiply) and on the WGSL plan (Dawn, OpenGL ES on llvmpipe) with the
// same random weights and input must agree: max_i |wgsl_i − tfjs_i| ≤ 1e-4 · max(1e-3, max_i |tfjs_i|).
// One Dawn device serves every case. Seed and budget come from test/support/fuzz-budget.ts (a fixed
// seed in CI; `npm run fuzz -- --cases N` scales it).

const TOLERANCE = 1e-4;
// Each distinct shader is compiled by llvmpipe (LLVM): with a cold Mesa shader cache a spec costs
// ~1.6 s (measured: 120 specs in 192 s on 2 cores), with a warm one ~0.05 s. Mostly narrow-palette
// specs (random structure, shapes that repeat) keep the default budget inside CI's time.
const params = fuzzParams<[RandomSpec, number]>(200);
const runs = params.numRuns ?? 0;
const specs = fc.oneof({ arbitrary: randomSpec({ narrow: true }), weight: 3 }, { arbitrary: randomSpec(), weight: 1 });

let dawn: Awaited<ReturnType<typeof dawnDevice>>;
beforeAll(async () => {
  await useBackend('wasm');
  dawn = await dawnDevice('opengles');
});
afterAll(() => dawn?.device.destroy());

const spec = (body: string, variant = 'variant v { width 1.0 depth 1.0 resolution 32 }') => `family repro {\n${body}\n  ${variant}\n}\n`;

/** Each case once failed (WGSL silently wrong, or a PlanError: "internal error" from generate). */
const REGRESSIONS: { name: string; text: string }[] = [
  { name: 'an SE gate feeding the classifier (head none): was ignored', text: spec('  stem conv k3 s2 c8\n  stage fused_mbconv e1 k3 s2 c8 n1 se 0.25\n  head none') },
  { name: 'an SE gate before a k×k convolution (the next fused block)', text: spec('  stem conv k3 s2 c8\n  stage fused_mbconv e1 k3 s2 c8 n1 se 0.25\n  stage fused_mbconv e4 k3 s2 c16 n1\n  head conv k1 c16') },
  { name: 'an SE gate before a depthwise convolution (mbconv e1)', text: spec('  stem conv k3 s2 c8\n  stage fused_mbconv e1 k3 s2 c8 n1 se 0.25\n  stage mbconv e1 k5 s2 c12 n1\n  head conv k1 c16') },
  { name: 'an SE gate ending a residual block (fused e1, stride 1)', text: spec('  stem conv k3 s2 c8\n  stage fused_mbconv e1 k3 s1 c8 n2 se 0.25\n  head conv k1 c16') },
  { name: 'a gated tensor as the skip input of the next residual block', text: spec('  stem conv k3 s2 c8\n  stage fused_mbconv e1 k3 s2 c8 n1 se 0.25\n  stage mbconv e4 k3 s1 c8 n1 se 0.25\n  head none') },
  { name: 'an SE gate before a k×k head', text: spec('  stem conv k3 s2 c8\n  stage fused_mbconv e1 k3 s2 c8 n1 se 0.5\n  head conv k3 s2 c16') },
  { name: 'a gated head-less conv chain with hard-sigmoid gates and a hidden classifier', text: spec('  se squeeze from expanded gate hardsigmoid act relu\n  stem conv k3 s2 c8 act hardswish\n  stage fused_mbconv e1 k3 s1 c8 n2 se 0.25\n  stage conv k3 s2 c12 skip auto\n  head none\n  classifier hidden 20 act hardswish') },
  { name: 'an SE squeeze of 8192 channels (its hidden layer beyond workgroup memory)', text: spec('  se squeeze from expanded divisor 8192\n  stem conv k3 s2 c8\n  stage fused_mbconv e1 k3 s2 c8 n1 se 0.25\n  head conv k1 c16') },
  { name: 'input channels 1', text: spec('  input channels 1\n  stem conv k3 s2 c8\n  stage mbconv e4 k3 s2 c8 n1 se 0.25\n  head conv k1 c16') },
  { name: 'input channels 4', text: spec('  input channels 4\n  stem conv k3 s2 c8\n  stage mbconv e4 k3 s2 c8 n1 se 0.25\n  head conv k1 c16') },
];

describe('WGSL and tfjs agree (regressions)', () => {
  for (const r of REGRESSIONS) {
    it(r.name, async () => {
      const out = await runBoth(dawn.device, graphOfText(r.text));
      expect(out.error).toBeLessThan(TOLERANCE);
    });
  }

  it('a linear layer split across weight bindings (tiny bindings stand for the 128 MiB ones)', async () => {
    const g = graphOfText(spec('  classes 37\n  stem conv k3 s2 c8\n  stage mbconv e4 k3 s2 c8 n1 se 0.25\n  head conv k1 c24\n  classifier hidden 40'));
    // 512 floats per binding: every convolution fits, both linear layers (1000 and 1520 floats) are split.
    const split = planWgsl(modelNetwork(modelSpec(g)), g.resolution, { chunkBytes: 2048 }).packing.filter((p) => p.columns);
    expect(split.map((p) => p.layer.spec.name)).toEqual(['classifier.0', 'classifier.0', 'classifier.3', 'classifier.3', 'classifier.3', 'classifier.3']);
    const out = await runBoth(dawn.device, g, 3, { chunkBytes: 2048 });
    expect(out.error).toBeLessThan(TOLERANCE);
  });

  it('an SE excitation whose hidden layer exceeds workgroup memory (two dense steps)', async () => {
    const g = graphOfText(spec('  stem conv k3 s2 c16\n  stage mbconv e4 k3 s2 c16 n2 se 0.5\n  stage fused_mbconv e1 k3 s1 c16 n1 se 1\n  head none'));
    const out = await runBoth(dawn.device, g, 5, { workgroupBytes: 16 });
    expect(out.error).toBeLessThan(TOLERANCE);
  });
});

/**
 * Shapes at the edges of the kernels' register tiles (src/runtime/wgsl-tiles.ts): each case names
 * what its plan must contain, so a change of tile sizes that stops reaching an edge fails here.
 */
const TILE_EDGES: { name: string; text: string; reaches: (s: Step) => boolean }[] = [
  {
    name: '1×1 convolutions over 7×7 pixels (tiles of 7), N a multiple of 4 but not of a tile, and N not a multiple of 4',
    text: spec('  round channels divisor 1 min 1\n  stem conv k3 s2 c8\n  stage mbconv e4 k3 s2 c20 n2\n  head conv k1 c18', 'variant v { width 1.0 depth 1.0 resolution 28 }'),
    reaches: (s) => s.kind === 'pointwise' && s.consts.M === 49 && s.consts.RM === 7 && (s.consts.N as number) % 4 !== 0,
  },
  {
    name: '1×1 convolutions over fewer pixels than a tile, with an SE gate and a residual',
    text: spec('  round channels divisor 1 min 1\n  stem conv k3 s2 c8\n  stage mbconv e4 k3 s2 c12 n2 se 0.25\n  head conv k1 c24', 'variant v { width 1.0 depth 1.0 resolution 8 }'),
    reaches: (s) => s.kind === 'pointwise' && (s.consts.M as number) < TILES.pointwise.pixels && s.consts.HAS_GATE === true && s.consts.HAS_RESIDUAL === true,
  },
  {
    name: 'k×k convolutions: 6 output channels (one per invocation), 12 (a channel group past the last), pixel tiles that wrap rows, a residual',
    text: spec('  round channels divisor 1 min 1\n  stem conv k3 s2 c6\n  stage fused_mbconv e1 k3 s1 c12 n1\n  stage fused_mbconv e1 k3 s1 c12 n2\n  head none', 'variant v { width 1.0 depth 1.0 resolution 30 }'),
    reaches: (s) => s.kind === 'conv2d' && s.consts.HAS_RESIDUAL === true && (s.consts.COUT as number) % (TILES.vector * TILES.conv2d.vectors) !== 0 && ((s.consts.HO as number) * (s.consts.WO as number)) % TILES.conv2d.pixels !== 0,
  },
  {
    name: 'depthwise convolutions: rows not a multiple of the tile, stride 2 with k5, dilation 2, 6 channels (one per invocation)',
    text: spec('  round channels divisor 1 min 1\n  stem conv k3 s2 c6\n  stage mbconv e1 k5 s2 c6 n1\n  stage mbconv e4 k3 s1 c8 n1 dilation 2\n  head conv k1 c16', 'variant v { width 1.0 depth 1.0 resolution 26 }'),
    reaches: (s) => s.kind === 'depthwise' && (s.consts.WO as number) % TILES.depthwise.pixels !== 0,
  },
];

describe('WGSL and tfjs agree at the edges of the register tiles', () => {
  it('the cases reach every kernel variant they are about', () => {
    const steps = TILE_EDGES.flatMap((c) => planWgsl(modelNetwork(modelSpec(graphOfText(c.text))), graphOfText(c.text).resolution).steps);
    for (const c of TILE_EDGES) expect(planWgsl(modelNetwork(modelSpec(graphOfText(c.text))), graphOfText(c.text).resolution).steps.some(c.reaches), c.name).toBe(true);
    const has = (f: (s: Step) => boolean) => steps.some(f);
    expect(has((s) => s.kind === 'conv2d' && !s.vec4)).toBe(true);
    expect(has((s) => s.kind === 'depthwise' && !s.vec4)).toBe(true);
    expect(has((s) => s.kind === 'depthwise' && s.consts.STRIDE === 2 && s.consts.K === 5)).toBe(true);
    expect(has((s) => s.kind === 'depthwise' && s.consts.DIL === 2)).toBe(true);
    expect(has((s) => s.kind === 'pointwise' && (s.consts.N as number) % TILES.pointwise.channels !== 0 && (s.consts.N as number) % 4 === 0)).toBe(true);
  });

  for (const c of TILE_EDGES) {
    it(c.name, async () => {
      const out = await runBoth(dawn.device, graphOfText(c.text), 7);
      expect(out.error).toBeLessThan(TOLERANCE);
    });
  }
});

describe('Dawn', () => {
  it('a device outlives a garbage collection of the instance its caller dropped (was: the process aborted, "std::system_error")', async () => {
    const { device } = await dawnDevice('opengles');
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    for (let i = 0; i < 5; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 20));
    }
    const b = device.createBuffer({ size: 16, usage: 0x1 /* MAP_READ */ | 0x8 /* COPY_DST */ });
    device.queue.writeBuffer(b, 0, new Float32Array([1, 2, 3, 4]));
    await b.mapAsync(1);
    expect([...new Float32Array(b.getMappedRange().slice(0))]).toEqual([1, 2, 3, 4]);
    device.destroy();
  });
});

describe('the plan and check (no device)', () => {
  it('classes 21843 behind a 2560-channel head: the linear layer is split across bindings, none over 128 MiB (was a PlanError: "internal error")', async () => {
    const g = graphOfText(spec('  classes 21843\n  stem conv k3 s2 c8\n  stage mbconv e4 k3 s2 c16 n1 se 0.25\n  head conv k1 c2560'));
    const plan = planWgsl(modelNetwork(modelSpec(g)), g.resolution);
    expect(Math.max(...plan.chunks) * 4).toBeLessThanOrEqual(CHUNK_BYTES);
    const slices = plan.packing.filter((p) => p.layer.spec.name === 'classifier.1').map((p) => p.columns);
    expect(slices).toEqual([[0, 13100], [13100, 21843]]);
    expect(plan.steps.filter((st) => st.layer === 'classifier.1').map((st) => st.consts.OUT)).toEqual([13100, 21843 - 13100]);
    expect(plan.outputs[0]!.floats).toBe(21843);
    await expect(emitWgsl(g, { spec: 'repro.effnet' })).resolves.toContain('createWgslModel');
  });

  it('an SE squeeze beyond 16 KiB of workgroup memory runs as two dense steps (the se kernel would not validate)', () => {
    // make_divisible(2, 8192) = 8192 squeeze channels for 8 gated ones.
    const g = graphOfText(spec('  se squeeze from expanded divisor 8192\n  stem conv k3 s2 c8\n  stage fused_mbconv e1 k3 s2 c8 n1 se 0.25\n  head none'));
    const plan = planWgsl(modelNetwork(modelSpec(g)), g.resolution);
    const se = plan.steps.filter((st) => st.layer === 'features.1.0.block.1');
    expect(se.map((st) => st.kind)).toEqual(['pool', 'dense', 'dense', 'scale']);
    expect(se.map((st) => st.act)).toEqual(['identity', 'silu', 'sigmoid', 'identity']);
  });

  it('a layer beyond the 65,535 × 65,535 workgroups WebGPU guarantees: E045 at its stage at check time', () => {
    const text = spec('  stem conv k3 s2 c8\n  stage conv k3 s1 c512 n1\n  head none', 'variant v { resolution 1000000 }');
    const c = compileSource(text, 'huge.effnet', { limits: { maxActivationBytes: Infinity, maxParams: Infinity } });
    expect(c.diagnostics.map((d) => `${d.code} ${d.range.start.line}:${d.range.start.column}`)).toEqual(['E045 3:3']);
    expect(c.diagnostics[0]!.message).toMatch(/^variant `v`: layer `features\.1\.0\.block\.0` needs \d+ workgroups, more than WebGPU's guaranteed 65535 × 65535 \(the wgsl target\)$/);
    expect(c.diagnostics[0]!.hint).toBeTruthy();
    expect(c.graphs).toEqual([]);
  });

  it('a layer sequence the planner has no kernels for: E046 at its stage', () => {
    const text = spec('  stem conv k3 s2 c8\n  stage mbconv e1 k3 s1 c8 n1\n  head none');
    const c = compileSource(text, 'grouped.effnet');
    const g = structuredClone(c.graphs[0]!);
    const dw = g.stages[0]!.blocks[0]!.layers[0]!;
    if (dw.op !== 'conv') throw new Error('expected the depthwise conv');
    // A layer whose input does not follow the one before it (grouped convolutions, refused here before, now run).
    dw.inShape = [dw.inShape[0] + 1, dw.inShape[1], dw.inShape[2]];
    const sink = new DiagnosticSink('grouped.effnet');
    expect(checkTargets(g, c.family!.variants[0]!.network, c.family!.variants[0]!.range, sink)).toBe(false);
    expect(sink.items.map((d) => `${d.code} ${d.range.start.line}:${d.range.start.column}`)).toEqual(['E046 3:3']);
    expect(sink.items[0]!.message).toContain('takes 9 channels but gets 8');
  });

  it('input channels 4: the tf.layers model takes 4 channels and countParams() matches the report', () => {
    for (const channels of [1, 4]) {
      const g = graphOfText(spec(`  input channels ${channels}\n  stem conv k3 s2 c8\n  stage mbconv e4 k3 s2 c8 n1 se 0.25\n  head conv k1 c16`));
      const meta = modelMetadata(g);
      const model = tfjsRuntime(tf).createModel(modelNetwork(modelSpec(g)), meta);
      const cost = analyzeVariant(g);
      expect(model.inputs[0]!.shape).toEqual([null, 32, 32, channels]);
      expect(model.countParams()).toBe(cost.params + cost.bnBuffers);
      model.dispose();
    }
  });
});

describe('WGSL and tfjs agree on random specs', () => {
  it(`${runs} random specs (seed ${params.seed ?? 'random'})`, async () => {
    let worst = 0;
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(specs, fc.integer({ min: 1, max: 2 ** 31 - 1 }), (s, weightSeed) => savingFailuresAsync(s.text, 'differential', async () => {
        const g = graphOfText(s.text);
        const steps = planWgsl(modelNetwork(modelSpec(g)), g.resolution).steps;
        for (const st of steps) seen.add(st.kind === 'scale' ? `scale gate ${st.consts.HAS_GATE} residual ${st.consts.HAS_RESIDUAL}` : st.kind);
        seen.add(`input channels ${s.inputChannels}`).add(s.head ? 'head' : 'head none').add(s.hidden ? 'hidden' : 'no hidden');
        const out = await runBoth(dawn.device, g, weightSeed);
        worst = Math.max(worst, out.error);
        if (!(out.error < TOLERANCE)) throw new Error(`relative error ${out.error} (weights seed ${weightSeed}):\n${s.text}`);
      })),
      { ...params, endOnFailure: true },
    );
    expect(worst).toBeLessThan(TOLERANCE);
    // The corpus reaches what the fixes are about (at the default budget).
    if (runs >= 40)
      expect([...seen].sort()).toEqual(
        expect.arrayContaining(['conv2d', 'dense', 'depthwise', 'head', 'head none', 'hidden', 'no hidden', 'pointwise', 'pool', 'se', 'scale gate true residual false', 'scale gate true residual true', ...[1, 2, 3, 4].map((c) => `input channels ${c}`)]),
      );
  }, fuzzTimeout(600_000));
});
