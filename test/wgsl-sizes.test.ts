/// <reference types="@webgpu/types" />
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelMetadata } from '../src/cost/metadata.js';
import { modelNetwork, modelSpec } from '../src/graph/model-spec.js';
import { shapesAt } from '../src/runtime/spec.js';
import { tfjsRuntime } from '../src/runtime/tfjs.js';
import { createWgslModel, InputSizeError, loadWgslWeights, type Weights } from '../src/runtime/wgsl.js';
import { CONV2D } from '../src/runtime/kernels/conv2d.js';
import { DEPTHWISE } from '../src/runtime/kernels/depthwise.js';
import { POINTWISE } from '../src/runtime/kernels/pointwise.js';
import { PRELUDE } from '../src/runtime/kernels/prelude.js';
import { DENSE, POOL } from '../src/runtime/kernels/reduce.js';
import { SCALE } from '../src/runtime/kernels/scale.js';
import { planWgsl } from '../src/runtime/wgsl-plan.js';
import { programShaders } from '../src/runtime/wgsl-shaders.js';
import { pointwisePixels, TILES } from '../src/runtime/wgsl-tiles.js';
import { dawnDevice } from '../src/wgsl/dawn.js';
import { classifierModule } from '../src/wgsl/load.js';
import { graphOf, maxAbsDiff, readF32, root, tf, useBackend } from './support/tfjs.js';
import { importGeneratedWgsl } from './support/wgsl.js';
import { relativeError } from './support/w-differential.js';

// One plan for any input size: the runtime plans the dispatches and makes the
// WGSL at load for the size asked, compiling each distinct shader once per
// device. b0 at 256×320 must give torchvision's logits (test/fixtures/b0-sizes).

const b0 = graphOf('specs/efficientnet.effnet', 'b0');
const network = modelNetwork(modelSpec(b0));
const meta = modelMetadata(b0);
const bytes = readF32(join(root, 'test/fixtures/b0/weights.safetensors'));
const weightBytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** NCHW (torchvision's files) as NHWC (what the model takes). */
function nhwc(x: Float32Array, [c, h, w]: [number, number, number]): Float32Array {
  const out = new Float32Array(x.length);
  for (let k = 0; k < c; k++) for (let p = 0; p < h * w; p++) out[p * c + k] = x[k * h * w + p]!;
  return out;
}

/** A device that records the shaders it compiles and executes nothing: enough for the runtime to build a model. */
function recordingDevice() {
  const compiled: string[] = [];
  const device = {
    limits: { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30, maxComputeWorkgroupsPerDimension: 65535, maxComputeInvocationsPerWorkgroup: 256 },
    createBuffer: () => ({ destroy() {} }),
    queue: { writeBuffer() {} },
    createBindGroupLayout: () => ({}),
    createPipelineLayout: () => ({}),
    createBindGroup: () => ({}),
    createShaderModule: ({ code }: { code: string }) => ({ code }),
    createComputePipelineAsync: async ({ compute }: { compute: { module: { code: string } } }) => (compiled.push(compute.module.code), {}),
    pushErrorScope() {},
    popErrorScope: async () => null,
  };
  return { device: device as unknown as GPUDevice, compiled };
}

let bound: Weights | undefined;
const noWeights = (): Weights => (bound ??= loadWgslWeights(network, meta, weightBytes));

describe('the plan at any size', () => {
  it('b0 at 256×320: the outputs and every conv shape follow the size; weights are packed as at 224', () => {
    const at224 = planWgsl(network, 224);
    const plan = planWgsl(network, { height: 256, width: 320 });
    expect(plan.input).toMatchObject({ height: 256, width: 320, channels: 3, floats: 256 * 320 * 3 });
    expect(plan.steps.length).toBe(at224.steps.length);
    expect(plan.outputs.map((o) => o.shape)).toEqual([[1, 1, 1000]]);
    const stem = plan.steps[0]!;
    expect(stem.consts).toMatchObject({ H: 256, W: 320, HO: 128, WO: 160 });
    // The head's 1×1 conv sees the last stage's map: 1/32 of the input on each side.
    const head = plan.steps.find((s) => s.layer === 'features.8')!;
    expect(head.consts.M).toBe(8 * 10);
    expect(shapesAt(network, 256, 320).output).toEqual([1, 1, 1000]);
    expect(plan.chunks).toEqual(at224.chunks);
    expect(plan.packing.map((p) => [p.layer.spec.name, p.weights])).toEqual(at224.packing.map((p) => [p.layer.spec.name, p.weights]));
  });

  it('grids come from the one tile table', () => {
    const plan = planWgsl(network, { height: 256, width: 320 });
    for (const s of plan.steps) {
      const c = s.consts as Record<string, number>;
      const v = s.vec4 ? TILES.vector : 1;
      const [invocations, perWorkgroup] =
        s.kind === 'pointwise'
          ? [Math.ceil(c.M! / c.RM!) * Math.ceil(c.N! / TILES.pointwise.channels), TILES.pointwise.workgroup]
          : s.kind === 'depthwise'
            ? [(c.HO! * Math.ceil(c.WO! / TILES.depthwise.pixels) * c.C!) / v, TILES.workgroup]
            : s.kind === 'conv2d'
              ? [Math.ceil((c.HO! * c.WO!) / TILES.conv2d.pixels) * Math.ceil(c.COUT! / (v * TILES.conv2d.vectors)), TILES.workgroup]
              : [undefined, 0];
      if (s.kind === 'pointwise') expect(c.RM, s.layer).toBe(pointwisePixels(c.M!));
      if (invocations !== undefined) expect(s.workgroups[0] * s.workgroups[1], s.layer).toBe(Math.ceil(invocations / perWorkgroup));
    }
    // The head's 1×1 conv over 8×10 pixels: 10 tiles of 8; over 7×7 (b0 at 224), 7 tiles of 7, not 6 of 8 and one of 1.
    expect(plan.steps.find((s) => s.layer === 'features.8')!.consts.RM).toBe(8);
    expect(planWgsl(network, 224).steps.find((s) => s.layer === 'features.8')!.consts.RM).toBe(7);
    expect([1, 7, 8, 9, 49, 196].map(pointwisePixels)).toEqual([1, 7, 8, 5, 7, 8]);
    expect(POINTWISE).toContain(`@workgroup_size(${TILES.pointwise.workgroup})`);
    expect(POINTWISE).toContain(`const CN = ${TILES.pointwise.channels}u;`);
    expect(DEPTHWISE).toContain(`const TX = ${TILES.depthwise.pixels}u;`);
    expect(CONV2D).toContain(`const TP = ${TILES.conv2d.pixels}u;`);
    // Every kernel counts invocations with its own workgroup size.
    expect(PRELUDE).toContain('* size + lid');
    for (const [kernel, size] of [[POINTWISE, TILES.pointwise.workgroup], [CONV2D, TILES.workgroup], [DEPTHWISE, TILES.workgroup], [POOL, TILES.workgroup], [DENSE, TILES.workgroup], [SCALE, TILES.workgroup]] as const) {
      expect(kernel).toContain(`@workgroup_size(${size})`);
      expect(kernel).toContain(`invocation(wid, lid, ${size}u)`);
    }
  });

  it('shaders carry code only: no comments, no substitution point left', () => {
    const { shaders } = programShaders(planWgsl(network, { height: 256, width: 320 }).steps);
    expect(shaders.length).toBeGreaterThan(30);
    for (const s of shaders) {
      expect(s).not.toMatch(/\/\/|\/\*|\{\{/);
      expect(s).toMatch(/^struct Params \{/);
    }
  });
});

describe('createWgslModel at another size (a device that records what it compiles)', () => {
  it('compiles each distinct shader once per device while a model uses it; a second size compiles only the shaders it does not share', async () => {
    const { device, compiled } = recordingDevice();
    const at224 = await createWgslModel(device, network, meta, noWeights());
    const distinct224 = programShaders(planWgsl(network, 224).steps).shaders;
    expect(at224.inputShape).toEqual([224, 224, 3]);
    expect(compiled).toEqual(distinct224);
    const again = await createWgslModel(device, network, meta, noWeights());
    expect(compiled.length).toBe(distinct224.length);
    const wide = await createWgslModel(device, network, meta, noWeights(), { height: 256, width: 320 });
    expect(wide.inputShape).toEqual([256, 320, 3]);
    const distinctWide = programShaders(planWgsl(network, { height: 256, width: 320 }).steps).shaders;
    const fresh = distinctWide.filter((s) => !distinct224.includes(s));
    // SE, the classifier's dense layer: the same at any size.
    expect(fresh.length).toBeLessThan(distinctWide.length);
    expect(compiled.slice(distinct224.length)).toEqual(fresh);
    // Pipelines live as long as a model uses them: once every model is disposed, they are compiled again.
    for (const m of [at224, again, wide]) m.dispose();
    await createWgslModel(device, network, meta, noWeights());
    expect(compiled.length).toBe(distinct224.length + fresh.length + distinct224.length);
  });

  it('an input the network cannot take is an InputSizeError naming the model and the layer', async () => {
    const { device, compiled } = recordingDevice();
    await expect(createWgslModel(device, network, meta, noWeights(), { height: 0, width: 5 })).rejects.toThrow(InputSizeError);
    await expect(createWgslModel(device, network, meta, noWeights(), { height: 0, width: 5 })).rejects.toThrow(/^efficientnet b0 cannot take 0×5 images: layer `features\.0` gets 0×5 pixels/);
    await expect(createWgslModel(device, network, meta, noWeights(), { height: 2.5, width: 5 })).rejects.toThrow('efficientnet b0 cannot take 2.5×5 images: an image is a whole number of pixels high and wide');
    await expect(createWgslModel(device, network, meta, noWeights(), { height: 256 })).rejects.toThrow('efficientnet b0: give both height and width, or neither (224×224)');
    expect(compiled).toEqual([]);
  });
});

describe('b0 at 256×320 on WGSL (Dawn, OpenGL ES on llvmpipe)', () => {
  let dawn: Awaited<ReturnType<typeof dawnDevice>>;
  beforeAll(async () => {
    await useBackend('wasm');
    dawn = await dawnDevice('opengles');
  });
  afterAll(() => dawn?.device.destroy());

  it('the generated module\'s createModel(device, weights, { height, width }): torchvision\'s logits within 1e-4, and tfjs\'s within 1e-4 relative', async () => {
    const dir = join(root, 'test/fixtures/b0-sizes');
    const input = readF32(join(dir, 'input_256x320.f32'));
    const expected = readF32(join(dir, 'logits_256x320.f32'));
    const mod = classifierModule(await importGeneratedWgsl(b0));
    const weights = mod.loadWeights(weightBytes);
    const model = await mod.createModel(dawn.device, weights, { height: 256, width: 320 });
    const rt = tfjsRuntime(tf);
    const infer = rt.createInference(network, meta, rt.loadWeights(network, meta, weightBytes));
    const x = rt.fromNchw(input, [1, 3, 256, 320]);
    try {
      expect(model.inputShape).toEqual([256, 320, 3]);
      const logits = await model.run(nhwc(input, [3, 256, 320]), 1);
      expect(Math.max(...expected.map(Math.abs))).toBeGreaterThan(0.5);
      expect(maxAbsDiff(logits, expected)).toBeLessThan(1e-4);
      const y = infer(x);
      const reference = Float32Array.from(y.dataSync());
      y.dispose();
      expect(relativeError(logits, reference)).toBeLessThan(1e-4);
      await expect(model.run(new Float32Array(224 * 224 * 3), 1)).rejects.toThrow('efficientnet b0 takes NHWC float32 [batch, 256, 320, 3]');
    } finally {
      model.dispose();
      infer.dispose();
      x.dispose();
    }
  }, 300_000);
});
