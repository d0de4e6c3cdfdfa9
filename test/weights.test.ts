import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFile } from '../src/compile/compile.js';
import { bindWeights, expectedTensors } from '../src/weights/layout.js';
import { parseSafetensors, WeightsError, type SafetensorsFile } from '../src/weights/safetensors.js';
import { writeSafetensors } from '../src/runtime/safetensors.js';

const root = resolve(import.meta.dirname, '..');
const narrowDir = join(root, 'test/fixtures/narrow');
const bytes = new Uint8Array(readFileSync(join(narrowDir, 'weights.safetensors')));
const narrow = compileFile(join(narrowDir, 'narrow.effnet')).graphs[0]!;
const b0 = compileFile(join(root, 'specs/efficientnet.effnet'), { variants: ['b0'] }).graphs[0]!;

const fromFile = (f: SafetensorsFile) => [...f.tensors.values()];

describe('safetensors', () => {
  it('reads the torchvision fixture: every tensor float32 with its shape', () => {
    const f = parseSafetensors(bytes, 'weights.safetensors');
    expect(f.tensors.size).toBe(197);
    const stem = f.tensors.get('features.0.0.weight')!;
    expect(stem.shape).toEqual([8, 3, 3, 3]);
    expect(stem.data.length).toBe(8 * 27);
    const total = fromFile(f).filter((t) => !/running_|num_batches/.test(t.name)).reduce((a, t) => a + t.data.length, 0);
    expect(total).toBe(519_822);
  });

  it('decodes F16 and BF16', () => {
    const header = new TextEncoder().encode(JSON.stringify({ h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] }, b: { dtype: 'BF16', shape: [1], data_offsets: [4, 6] } }));
    const file = new Uint8Array(8 + header.byteLength + 6);
    const v = new DataView(file.buffer);
    v.setBigUint64(0, BigInt(header.byteLength), true);
    file.set(header, 8);
    v.setUint16(8 + header.byteLength, 0x3c00, true); // 1.0
    v.setUint16(8 + header.byteLength + 2, 0xc000, true); // -2.0
    v.setUint16(8 + header.byteLength + 4, 0x3fc0, true); // bf16 1.5
    const f = parseSafetensors(file);
    expect([...f.tensors.get('h')!.data]).toEqual([1, -2]);
    expect([...f.tensors.get('b')!.data]).toEqual([1.5]);
  });

  it('a truncated, corrupted or inconsistent file is an error that says so', () => {
    const err = (b: Uint8Array) => {
      try {
        parseSafetensors(b, 'w.safetensors');
      } catch (e) {
        expect(e).toBeInstanceOf(WeightsError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(err(bytes.subarray(0, 4))).toMatch(/^w\.safetensors: 4 bytes is too short .*truncated/);
    expect(err(bytes.subarray(0, 200))).toMatch(/the header claims \d+ bytes but only 192 follow/);
    expect(err(bytes.subarray(0, bytes.length - 10))).toMatch(/tensor `.*` ends at byte \d+ of a \d+-byte data section \(truncated file\)/);
    const corrupted = bytes.slice();
    corrupted[8] = 0x78; // the header's opening `{` becomes `x`
    expect(err(corrupted)).toMatch(/the header is not valid JSON/);
    const random = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff);
    expect(err(random)).toMatch(/w\.safetensors: /);
    const t = { name: 'x', shape: [2, 2], data: new Float32Array(4) };
    const lying = writeSafetensors([t]);
    const text = new TextDecoder().decode(lying).replace('[2,2]', '[2,3]');
    expect(err(new TextEncoder().encode(text))).toMatch(/tensor `x` \[2, 3\] F32 needs 24 bytes but has 16/);
  });
});

describe('layouts', () => {
  it('the torchvision fixture binds to the narrow graph, every layer and slot filled', () => {
    const bound = bindWeights(parseSafetensors(bytes), narrow, 'torchvision');
    expect(bound.get('features.0')!['conv.weight']!.length).toBe(8 * 3 * 3 * 3);
    expect(Object.keys(bound.get('features.1.0.block.1')!).sort()).toEqual(['fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight']);
    expect(bound.get('classifier.1')!['linear.weight']!.length).toBe(1000 * 320);
    const layers = 1 + narrow.stages.reduce((a, s) => a + s.blocks.reduce((x, b) => x + b.layers.length, 0), 0) + 1 + 1;
    expect(bound.size).toBe(layers);
  });

  it('timm names b0 as timm does', () => {
    const names = new Map(expectedTensors(b0, 'timm').map((t) => [t.name, t.shape]));
    expect(names.get('conv_stem.weight')).toEqual([32, 3, 3, 3]);
    expect(names.get('blocks.0.0.conv_dw.weight')).toEqual([32, 1, 3, 3]);
    expect(names.get('blocks.0.0.bn1.running_var')).toEqual([32]);
    expect(names.get('blocks.0.0.se.conv_reduce.weight')).toEqual([8, 32, 1, 1]);
    expect(names.get('blocks.0.0.conv_pw.weight')).toEqual([16, 32, 1, 1]);
    expect(names.get('blocks.1.0.conv_pw.weight')).toEqual([96, 16, 1, 1]);
    expect(names.get('blocks.1.0.conv_dw.weight')).toEqual([96, 1, 3, 3]);
    expect(names.get('blocks.1.0.bn3.weight')).toEqual([24]);
    expect(names.get('blocks.6.0.conv_pwl.weight')).toEqual([320, 1152, 1, 1]);
    expect(names.get('conv_head.weight')).toEqual([1280, 320, 1, 1]);
    expect(names.get('bn2.bias')).toEqual([1280]);
    expect(names.get('classifier.weight')).toEqual([1000, 1280]);
    expect(names.size).toBe(expectedTensors(b0, 'torchvision').length);
  });

  it('a checkpoint renamed from torchvision to timm binds to the same arrays', () => {
    const tv = parseSafetensors(bytes);
    const tvNames = expectedTensors(narrow, 'torchvision');
    const timmNames = expectedTensors(narrow, 'timm');
    const renamed = writeSafetensors(tvNames.map((e, i) => ({ name: timmNames[i]!.name, shape: e.shape, data: tv.tensors.get(e.name)!.data })));
    const a = bindWeights(tv, narrow, 'torchvision');
    const b = bindWeights(parseSafetensors(renamed), narrow, 'timm');
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [layer, slots] of a) for (const [slot, data] of Object.entries(slots)) expect(b.get(layer)![slot as keyof typeof slots]).toEqual(data);
  });

  it('missing, extra and mis-shaped tensors are named', () => {
    const tv = fromFile(parseSafetensors(bytes));
    const without = writeSafetensors(tv.filter((t) => t.name !== 'features.2.0.block.2.fc1.bias'));
    expect(() => bindWeights(parseSafetensors(without), narrow, 'torchvision')).toThrow(
      /the weights lack 1 tensor of efficientnet_narrow narrow \(torchvision layout\): `features\.2\.0\.block\.2\.fc1\.bias`/,
    );
    const withExtra = writeSafetensors([...tv, { name: 'head.extra', shape: [1], data: new Float32Array(1) }]);
    expect(() => bindWeights(parseSafetensors(withExtra), narrow, 'torchvision')).toThrow(/hold 1 tensor that .* does not have: `head\.extra`/);
    const reshaped = writeSafetensors(tv.map((t) => (t.name === 'features.0.0.weight' ? { ...t, shape: [16, 3, 3, 3], data: new Float32Array(16 * 27) } : t)));
    expect(() => bindWeights(parseSafetensors(reshaped), narrow, 'torchvision')).toThrow(
      /tensor `features\.0\.0\.weight` has shape \[16, 3, 3, 3\] but efficientnet_narrow narrow \(torchvision layout\) needs \[8, 3, 3, 3\]/,
    );
    // Another variant's weights: the first difference found is named.
    expect(() => bindWeights(parseSafetensors(bytes), b0, 'torchvision')).toThrow(/the weights lack 114 tensors of efficientnet b0 \(torchvision layout\): `features\.2\.1\.block\.0\.0\.weight`/);
    expect(() => bindWeights(parseSafetensors(bytes), narrow, 'timm')).toThrow(/lack 197 tensors .*`conv_stem\.weight`/);
  });
});
