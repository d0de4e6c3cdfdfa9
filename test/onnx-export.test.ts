import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { nchwToNhwc, nhwcToNchw } from '../src/cli/input.js';
import { compileSource } from '../src/compile/compile.js';
import type { VariantGraph } from '../src/graph/graph.js';
import { modelNetwork, modelSpec } from '../src/graph/model-spec.js';
import { bindVariantWeights } from '../src/onnx/bind.js';
import { exportOnnx, IR_VERSION, OPSET, type OnnxModel, type OnnxOptions } from '../src/onnx/export.js';
import { ModelProto } from '../src/onnx/schema.js';
import { createSession } from '../src/onnx/ort.js';
import type { Layout } from '../src/runtime/checkpoint.js';
import { randomCheckpoint } from '../src/weights/random.js';
import { graphOf, maxAbsDiff, readF32, root, useBackend } from './support/tfjs.js';
import { graphOfText, relativeError, tfjsLogits } from './support/w-differential.js';

// The ONNX export (src/onnx/) on ONNX Runtime for Node with every graph optimisation on:
// torchvision's and timm's logits for the committed fixtures within 1e-4, the other shipped
// families and the feature network against the tfjs plain-ops inference (itself checked
// against torchvision) with random weights, and the model's own structure.

interface Meta {
  input: { shape: [number, number, number, number] };
  logits: { shape: number[] };
  layout?: Layout;
}

const fixtures: { name: string; dir: string; spec: string; variant: string }[] = [
  { name: 'narrow (torchvision)', dir: 'test/fixtures/narrow', spec: 'test/fixtures/narrow/narrow.effnet', variant: 'narrow' },
  { name: 'b0 (torchvision)', dir: 'test/fixtures/b0', spec: 'specs/efficientnet.effnet', variant: 'b0' },
  { name: 'tf_efficientnet_b0 (timm, TF SAME padding)', dir: 'test/fixtures/families/tf_efficientnet_b0', spec: 'specs/efficientnet_tf.effnet', variant: 'b0' },
  { name: 'mixnet_s (timm, mixed kernels, split 1×1 convs)', dir: 'test/fixtures/families/mixnet_s', spec: 'specs/mixnet.effnet', variant: 's' },
];

/** Each output's data and dimensions, in the model's output order. */
async function outputsOf(model: OnnxModel, input: Float32Array, shape: number[]): Promise<{ data: Float32Array; dims: number[] }[]> {
  const session = await createSession(ort, model.bytes, { threads: 1 });
  try {
    const result = await session.run({ input: new ort.Tensor('float32', input, shape) });
    return model.outputs.map((o) => ({ data: result[o.name]!.data as Float32Array, dims: [...result[o.name]!.dims] }));
  } finally {
    await session.release();
  }
}

const run = async (model: OnnxModel, input: Float32Array, shape: number[]) => (await outputsOf(model, input, shape)).map((o) => o.data);

function load(f: (typeof fixtures)[number]) {
  const dir = join(root, f.dir);
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Meta;
  const g = graphOf(f.spec, f.variant);
  const weights = bindVariantWeights(g, readFileSync(join(dir, 'weights.safetensors')), meta.layout ?? 'torchvision');
  return { g, meta, weights, input: readF32(join(dir, 'input.f32')), expected: readF32(join(dir, 'logits.f32')) };
}

describe('fixtures: logits within 1e-4 of torchvision / timm on onnxruntime-node (graphOptimizationLevel all)', () => {
  for (const f of fixtures) {
    it(`${f.name}: fixed size and dynamic H×W`, async () => {
      const { g, meta, weights, input, expected } = load(f);
      const [, , h, w] = meta.input.shape;
      const fixed = exportOnnx(g, weights, { height: h, width: w });
      expect(fixed.input.shape).toEqual(['N', 3, h, w]);
      expect(fixed.outputs).toEqual([{ name: 'logits', shape: ['N', 1000] }]);
      const [logits] = await run(fixed, input, meta.input.shape);
      expect(logits!.length).toBe(expected.length);
      expect(maxAbsDiff(logits!, expected)).toBeLessThan(1e-4);
      const dynamic = exportOnnx(g, weights, { dynamic: true });
      expect(dynamic.input.shape).toEqual(['N', 3, 'H', 'W']);
      const [again] = await run(dynamic, input, meta.input.shape);
      expect(maxAbsDiff(again!, expected)).toBeLessThan(1e-4);
    });
  }

  it('the b0 export takes the variant\'s size by default, one Conv per convolution (BatchNorm folded), SE as pool → conv → SiLU → conv → Sigmoid → Mul', () => {
    const { g, weights } = load(fixtures[1]!);
    const model = exportOnnx(g, weights);
    expect(model.input.shape).toEqual(['N', 3, 224, 224]);
    const decoded = ModelProto.toObject(ModelProto.decode(model.bytes), { longs: Number }) as {
      ir_version: number;
      producer_name: string;
      opset_import: { domain?: string; version: number }[];
      graph: { node: { name: string; op_type: string; input: string[]; output: string[] }[]; initializer: { name: string; dims: number[] }[] };
    };
    expect(decoded.ir_version).toBe(IR_VERSION);
    expect(decoded.opset_import).toEqual([{ domain: '', version: OPSET }]);
    expect(OPSET).toBeGreaterThanOrEqual(17);
    expect(decoded.producer_name).toBe('effnet');
    const ops = new Map<string, number>();
    for (const n of decoded.graph.node) ops.set(n.op_type, (ops.get(n.op_type) ?? 0) + 1);
    // b0: 49 convolutions with BatchNorm (33 with SiLU: all but the 16 project convs), 16 SE blocks (two convs,
    // SiLU, a sigmoid gate, the scaling Mul), 9 residual adds, one Gemm.
    expect(Object.fromEntries(ops)).toEqual({ Conv: 49 + 32, Sigmoid: 33 + 16 + 16, Mul: 33 + 16 + 16, GlobalAveragePool: 17, Add: 9, Flatten: 1, Gemm: 1 });
    expect(model.ops).not.toContain('BatchNormalization');
    const init = new Map(decoded.graph.initializer.map((t) => [t.name, t.dims]));
    expect(init.get('features.0.0.weight')).toEqual([32, 3, 3, 3]);
    expect(init.get('features.1.0.block.0.0.weight')).toEqual([32, 1, 3, 3]);
    expect(init.get('features.1.0.block.1.fc1.weight')).toEqual([8, 32, 1, 1]);
    expect(init.get('classifier.1.weight')).toEqual([1000, 1280]);
    const dw = decoded.graph.node.find((n) => n.name === 'features.1.0.block.0.0')!;
    expect(dw.op_type).toBe('Conv');
    expect(dw.input).toEqual(['features.0.act', 'features.1.0.block.0.0.weight', 'features.1.0.block.0.0.bias']);
    // Parameters: conv weights as stored plus one bias per BatchNorm (5,288,548 − 42,016/2 BatchNorm weights and biases folded).
    const floats = decoded.graph.initializer.reduce((n, t) => n + t.dims.reduce((a, b) => a * b, 1), 0);
    expect(floats).toBe(5288548 - 42016 / 2);
  });

  it('is deterministic: the same graph and weights give the same bytes', () => {
    const { g, weights } = load(fixtures[0]!);
    const a = exportOnnx(g, weights, { height: 64, width: 64 });
    const b = exportOnnx(graphOf(fixtures[0]!.spec, 'narrow'), bindVariantWeights(g, readFileSync(join(root, fixtures[0]!.dir, 'weights.safetensors'))), { height: 64, width: 64 });
    expect(Buffer.compare(a.bytes, b.bytes)).toBe(0);
    expect(a.bytes.byteLength).toBeGreaterThan(2_000_000);
  });

  it('a mixed convolution is Split → one Conv per kernel size → Concat, each split padded for its own kernel', () => {
    const { g, weights } = load(fixtures[3]!);
    const decoded = ModelProto.toObject(ModelProto.decode(exportOnnx(g, weights, { height: 64, width: 64 }).bytes), { longs: Number }) as {
      graph: { node: { name: string; op_type: string; attribute: { name: string; ints?: number[] }[] }[] };
    };
    const nodes = decoded.graph.node.filter((n) => n.name.startsWith('features.3.0.block.1.'));
    expect(nodes.map((n) => `${n.op_type} ${n.name}`).slice(0, 5)).toEqual([
      'Split features.3.0.block.1.split',
      'Conv features.3.0.block.1.0.0',
      'Conv features.3.0.block.1.0.1',
      'Conv features.3.0.block.1.0.2',
      'Concat features.3.0.block.1.0',
    ]);
    const attr = (n: (typeof nodes)[number], name: string) => n.attribute.find((a) => a.name === name)?.ints;
    expect(nodes.slice(1, 4).map((n) => [attr(n, 'kernel_shape'), attr(n, 'pads')])).toEqual([
      [[3, 3], [1, 1, 1, 1]],
      [[5, 5], [2, 2, 2, 2]],
      [[7, 7], [3, 3, 3, 3]],
    ]);
  });
});

/** ONNX (NCHW in, NCHW maps out) against the tfjs plain-ops inference (NHWC) on the same random weights and input. */
async function againstTfjs(g: VariantGraph, options: OnnxOptions & { height: number; width: number }, seed = 3) {
  const bytes = randomCheckpoint(g, 'torchvision', seed);
  const model = exportOnnx(g, bindVariantWeights(g, bytes), options);
  const [c] = g.input;
  const { height: h, width: w } = options;
  let state = seed;
  const nhwc = new Float32Array(h * w * c).map(() => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
  // tfjsLogits takes the graph's own input size: hand it a graph at this size.
  const reference = tfjsLogits(modelNetwork(modelSpec(g)), { ...g, input: [c, h, w] }, bytes, nhwc);
  const outputs = await outputsOf(model, nhwcToNchw(nhwc, [1, h, w, c]), [1, c, h, w]);
  const got = outputs.map((o) => (o.dims.length === 4 ? nchwToNhwc(o.data, o.dims as [number, number, number, number]) : o.data));
  return { model, error: relativeError(concat(got), reference) };
}

const concat = (parts: Float32Array[]) => {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
};

describe('every shipped family against the tfjs inference (random weights, 64×64, within 1e-4 of the largest output)', () => {
  beforeAll(() => useBackend('wasm'));
  const cases: [string, string][] = [
    ['specs/efficientnet_edgetpu.effnet', 's'],
    ['specs/efficientnet_lite.effnet', 'lite0'],
    ['specs/mobilenet_v2.effnet', 'w1_0'],
    ['specs/mobilenet_v3.effnet', 'small'],
    ['specs/lcnet.effnet', 'w1_0'],
    ['specs/fbnet.effnet', 'c'],
    ['specs/tinynet.effnet', 'e'],
    ['specs/mnasnet.effnet', 'a1'],
    ['specs/mixnet.effnet', 'tf_s'],
    ['specs/mobilenet_v1.effnet', 'w1_0'],
  ];
  for (const [spec, variant] of cases) {
    it(`${spec}#${variant}`, async () => {
      const { model, error } = await againstTfjs(graphOf(spec, variant), { height: 64, width: 64 });
      expect(error).toBeLessThan(1e-4);
      expect(model.outputs[0]!.name).toBe('logits');
    });
  }

  it('EfficientNetV2\'s network (fused MBConv stages) at width and depth 0.25', async () => {
    const text = readFileSync(join(root, 'specs/efficientnet_v2.effnet'), 'utf8').replace(/\}\s*$/, '  variant quarter { width 0.25 depth 0.25 resolution 64 }\n}\n');
    const c = compileSource(text, 'efficientnet_v2.effnet', { variants: ['quarter'] });
    const { error } = await againstTfjs(c.graphs[0]!, { height: 64, width: 64 });
    expect(error).toBeLessThan(1e-4);
  });

  it('lcnet: hard-swish, a hard-sigmoid SE gate and a hidden classifier layer are ONNX operators', async () => {
    const { model } = await againstTfjs(graphOf('specs/lcnet.effnet', 'w1_0'), { height: 32, width: 32 });
    expect(model.ops).toEqual(expect.arrayContaining(['HardSwish', 'HardSigmoid', 'Gemm']));
  });

  it('the feature network hands out one NCHW output per map (fixed and dynamic, dilated at output stride 16)', async () => {
    for (const variant of ['b0', 'b0_os16']) {
      const g = graphOf('specs/efficientnet_features.effnet', variant);
      const fixed = await againstTfjs(g, { height: 64, width: 64 });
      expect(fixed.error).toBeLessThan(1e-4);
      expect(fixed.model.outputs.map((o) => o.name)).toEqual(['features.1', 'features.2', 'features.3', 'features.5', 'features.7']);
      expect(fixed.model.outputs.map((o) => o.shape.slice(1))).toEqual(
        variant === 'b0'
          ? [[16, 32, 32], [24, 16, 16], [40, 8, 8], [112, 4, 4], [320, 2, 2]]
          : [[16, 32, 32], [24, 16, 16], [40, 8, 8], [112, 4, 4], [320, 4, 4]],
      );
      const dynamic = await againstTfjs(g, { height: 48, width: 48, dynamic: true });
      expect(dynamic.error).toBeLessThan(1e-4);
      expect(dynamic.model.input.shape).toEqual(['N', 3, 'H', 'W']);
    }
  });

  it('TensorFlow SAME padding at any size is SAME_UPPER: odd and unequal sizes match the tfjs inference', async () => {
    for (const [spec, variant] of [
      ['specs/efficientnet_tf.effnet', 'b0'],
      ['specs/mixnet.effnet', 'tf_s'],
    ]) {
      const { model, error } = await againstTfjs(graphOf(spec!, variant!), { height: 57, width: 71, dynamic: true });
      expect(error, `${spec}#${variant}`).toBeLessThan(1e-4);
      expect(model.input.shape).toEqual(['N', 3, 'H', 'W']);
    }
  });

  it('`classes 0` hands out the pooled features', async () => {
    const g = graphOfText(
      'family pooled {\n  input channels 3\n  classes 0\n  activation relu6\n  stem conv k3 s2 c16\n  stage mbconv e4 k3 s2 c24 n2 se 0.25\n  head conv k1 c64\n  variant v { width 1.0 depth 1.0 resolution 32 }\n}\n',
    );
    const { model, error } = await againstTfjs(g, { height: 32, width: 32 });
    expect(error).toBeLessThan(1e-4);
    expect(model.outputs).toEqual([{ name: 'pooled_features', shape: ['N', 64] }]);
  });
});
