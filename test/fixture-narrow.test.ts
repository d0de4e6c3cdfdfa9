import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileFile } from '../src/compile/compile.js';
import type { VariantGraph } from '../src/graph/graph.js';

// The narrow numerical fixture in test/fixtures/narrow/ (made with torchvision
// 0.14.1 by scripts/fixtures/make_fixture.py narrow) against the graph that
// narrow.effnet compiles to: parameter count, and every tensor name and shape
// of the torchvision state_dict (num_batches_tracked is not stored).

const here = (p: string) => fileURLToPath(new URL(`./fixtures/narrow/${p}`, import.meta.url));

interface Meta {
  params: number;
  maxAbsLogit: number;
  input: { shape: number[] };
  logits: { shape: number[] };
  tensors: { name: string; shape: number[] }[];
}
const meta = JSON.parse(readFileSync(here('meta.json'), 'utf8')) as Meta;

interface TensorInfo {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** safetensors: u64 LE header length, JSON header, then the raw data. */
function readSafetensorsHeader(path: string): { tensors: Map<string, TensorInfo>; dataBytes: number } {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>;
  delete header.__metadata__;
  return { tensors: new Map(Object.entries(header as Record<string, TensorInfo>)), dataBytes: buf.length - 8 - n };
}

/** Tensor names and shapes the graph predicts, in torchvision's state_dict order. */
function predictedTensors(g: VariantGraph): { name: string; shape: number[] }[] {
  const out: { name: string; shape: number[] }[] = [];
  const add = (name: string, shape: number[]) => out.push({ name, shape });
  for (const l of [g.stem, ...g.stages.flatMap((s) => s.blocks.flatMap((b) => b.layers)), ...(g.head ? [g.head] : [])]) {
    if (l.op === 'conv') {
      const [inC] = l.inShape;
      const outC = l.outShape[0];
      add(`${l.name}.0.weight`, [outC, inC / l.groups, l.kernel, l.kernel]);
      if (l.bias) add(`${l.name}.0.bias`, [outC]);
      if (l.norm) for (const t of ['weight', 'bias', 'running_mean', 'running_var']) add(`${l.name}.1.${t}`, [outC]);
    } else {
      const c = l.inShape[0];
      add(`${l.name}.fc1.weight`, [l.squeeze, c, 1, 1]);
      add(`${l.name}.fc1.bias`, [l.squeeze]);
      add(`${l.name}.fc2.weight`, [c, l.squeeze, 1, 1]);
      add(`${l.name}.fc2.bias`, [c]);
    }
  }
  for (const l of [g.classifier!.hidden, g.classifier!.linear]) {
    if (!l) continue;
    add(`${l.name}.weight`, [l.outFeatures, l.inFeatures]);
    add(`${l.name}.bias`, [l.outFeatures]);
  }
  return out;
}

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function readF32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

describe('narrow torchvision fixture', () => {
  const c = compileFile(here('narrow.effnet'));
  const g = c.graphs.find((x) => x.variant === 'narrow')!;

  it('compiles without diagnostics', () => {
    expect(c.diagnostics).toEqual([]);
    expect(g).toBeDefined();
    expect(g.input).toEqual(meta.input.shape.slice(1));
    expect([meta.logits.shape[1]]).toEqual([g.classes]);
  });

  it('has torchvision’s parameter count', () => {
    const params = [g.stem, ...g.stages.flatMap((s) => s.blocks.flatMap((b) => b.layers)), g.head, g.classifier!.hidden, g.classifier!.linear].reduce(
      (a, l) => a + (l?.params ?? 0),
      0,
    );
    expect(params).toBe(meta.params);
  });

  it('predicts every tensor name and shape of the safetensors file, and nothing else', () => {
    const { tensors } = readSafetensorsHeader(here('weights.safetensors'));
    const actual = new Map([...tensors].map(([k, v]) => [k, v.shape]));
    const predicted = new Map(predictedTensors(g).map((t) => [t.name, t.shape]));
    expect([...predicted.keys()].sort()).toEqual([...actual.keys()].sort());
    for (const [name, shape] of predicted) expect(actual.get(name), name).toEqual(shape);
  });

  it('predicts the state_dict order recorded in meta.json', () => {
    expect(predictedTensors(g)).toEqual(meta.tensors);
  });

  it('stores packed float32 data', () => {
    const { tensors, dataBytes } = readSafetensorsHeader(here('weights.safetensors'));
    const spans = [...tensors.values()].map((t) => t.data_offsets).sort((a, b) => a[0] - b[0]);
    let at = 0;
    for (const [name, t] of tensors) {
      expect(t.dtype, name).toBe('F32');
      expect(t.data_offsets[1] - t.data_offsets[0], name).toBe(4 * numel(t.shape));
    }
    for (const [s, e] of spans) {
      expect(s).toBe(at);
      at = e;
    }
    expect(at).toBe(dataBytes);
  });

  it('has input and logits of the recorded sizes, finite and informative', () => {
    const input = readF32(here('input.f32'));
    const logits = readF32(here('logits.f32'));
    expect(input.length).toBe(numel(meta.input.shape));
    expect(logits.length).toBe(numel(meta.logits.shape));
    expect(logits.every(Number.isFinite)).toBe(true);
    const maxAbs = logits.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(maxAbs).toBeGreaterThan(0.1);
    expect(maxAbs).toBeCloseTo(meta.maxAbsLogit, 5);
    const classes = meta.logits.shape[1]!;
    let diff = 0;
    for (let i = 0; i < classes; i++) diff = Math.max(diff, Math.abs(logits[i]! - logits[classes + i]!));
    expect(diff).toBeGreaterThan(0.1);
  });
});
