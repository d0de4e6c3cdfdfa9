import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrt, OrtMissingError } from '../src/onnx/ort.js';
import { producerName } from '../src/onnx/owned.js';
import { parseSafetensors, writeSafetensors } from '../src/runtime/safetensors.js';
import { runCli, tempDirs } from './support/cli.js';
import { maxAbsDiff, readF32, root } from './support/tfjs.js';

// `effnet export --format onnx` and `effnet infer --target onnx` through the CLI: exit codes,
// one-line errors, nothing half-written, and no file replaced that effnet did not write.

const tmp = tempDirs('effnet-onnx-');
const narrow = join(root, 'test/fixtures/narrow');
const spec = join(narrow, 'narrow.effnet');
const weights = join(narrow, 'weights.safetensors');
const exportArgs = (out: string, ...more: string[]) => ['export', spec, '--variant', 'narrow', '--weights', weights, '--format', 'onnx', '--out', out, ...more];

describe('effnet export --format onnx', () => {
  it('writes the model, says what it wrote, and writes the same bytes again over its own file', async () => {
    const dir = tmp();
    const first = await runCli(exportArgs('model.onnx'), dir);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/^wrote model\.onnx: ONNX opset 17, 150 nodes, 104 initializers, 2 MiB \(efficientnet_narrow narrow; input \[N, 3, 64, 64\] → logits \[N, 1000\]\)\n$/);
    const bytes = readFileSync(join(dir, 'model.onnx'));
    expect(producerName(bytes.subarray(0, 4096))).toBe('effnet');
    const again = await runCli(exportArgs('model.onnx'), dir);
    expect(again.code).toBe(0);
    expect(Buffer.compare(readFileSync(join(dir, 'model.onnx')), bytes)).toBe(0);
    expect(readdirSync(dir)).toEqual(['model.onnx']);
  });

  it('--dynamic takes any height and width', async () => {
    const r = await runCli(exportArgs('any.onnx', '--dynamic'), tmp());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('input [N, 3, H, W] → logits [N, 1000]');
  });

  it('refuses to replace a file effnet did not write (exit 2), leaving it as it was', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'model.onnx'), 'my notes\n');
    const r = await runCli(exportArgs('model.onnx'), dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('effnet: --out model.onnx exists and is not an ONNX model effnet exported; effnet replaces only its own models: remove it or name another file\n');
    expect(readFileSync(join(dir, 'model.onnx'), 'utf8')).toBe('my notes\n');
  });

  it('weights of the wrong shape: a one-line error naming the tensor, exit 1, no file and no temp file', async () => {
    const dir = tmp();
    const file = parseSafetensors(readFileSync(weights));
    const tensors = [...file.tensors.values()].map((t) => (t.name === 'classifier.1.bias' ? { ...t, shape: [999], data: t.data.subarray(0, 999) } : t));
    writeFileSync(join(dir, 'bad.safetensors'), writeSafetensors(tensors));
    const r = await runCli(['export', spec, '--variant', 'narrow', '--weights', 'bad.safetensors', '--out', 'model.onnx'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stderr).toMatch(/^effnet: bad\.safetensors: .*classifier\.1\.bias.*999.*; nothing written\n$/);
    expect(readdirSync(dir)).toEqual(['bad.safetensors']);
  });

  it('usage errors exit 2: an unknown format, a missing weights file, no --out', async () => {
    const dir = tmp();
    expect((await runCli(exportArgs('m.onnx', '--format', 'tflite'), dir)).code).toBe(2);
    expect((await runCli(['export', spec, '--variant', 'narrow', '--weights', 'missing.safetensors', '--out', 'm.onnx'], dir)).code).toBe(2);
    expect((await runCli(['export', spec, '--variant', 'narrow', '--weights', weights], dir)).code).toBe(2);
    expect((await runCli(exportArgs('m.onnx', '--variant', 'b9'), dir)).code).toBe(2);
    expect(existsSync(join(dir, 'm.onnx'))).toBe(false);
  });
});

describe('effnet infer --target onnx', () => {
  it('runs the narrow fixture on onnxruntime-node within 1e-4 of torchvision', async () => {
    const dir = tmp();
    const r = await runCli(['infer', spec, '--variant', 'narrow', '--target', 'onnx', '--weights', weights, '--input', join(narrow, 'input.f32'), '--shape', '2,3,64,64', '--out', 'logits.f32'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote logits\.f32: float32 logits \[2, 1000\] \(efficientnet_narrow narrow, onnx on cpu, [\d.]+ ms\)\n$/);
    expect(maxAbsDiff(readF32(join(dir, 'logits.f32')), readF32(join(narrow, 'logits.f32')))).toBeLessThan(1e-4);
  });

  it('--bench prints the latency JSON with the model\'s figures', async () => {
    const r = await runCli(['infer', spec, '--variant', 'narrow', '--target', 'onnx', '--weights', weights, '--bench', '2'], tmp());
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(result).toMatchObject({ target: 'onnx', backend: 'cpu', runs: 2, nodes: 150 });
    expect(result.device).toMatch(/^onnxruntime-node \d+\.\d+\.\d+ cpu$/);
  });

  it('takes only the cpu backend (exit 2 otherwise)', async () => {
    const r = await runCli(['infer', spec, '--variant', 'narrow', '--target', 'onnx', '--backend', 'wasm', '--weights', weights, '--bench', '1'], tmp());
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('effnet: --target onnx runs on --backend cpu, not wasm\n');
  });

  it('ONNX Runtime missing: one line naming the install command', async () => {
    await expect(loadOrt('onnxruntime-node-not-installed')).rejects.toThrow(
      new OrtMissingError('running ONNX models needs onnxruntime-node-not-installed, which effnet does not install (npm install onnxruntime-node-not-installed)'),
    );
  });
});

describe('producerName', () => {
  it('reads ModelProto.producer_name from a file\'s head, and nothing from other files', () => {
    // ir_version 8, producer_name "effnet", then a graph too long for the head.
    expect(producerName(Uint8Array.from([0x08, 0x08, 0x12, 0x06, ...Buffer.from('effnet'), 0x3a, 0xff, 0xff, 0x03]))).toBe('effnet');
    expect(producerName(Uint8Array.from([0x08, 0x08, 0x3a, 0xff, 0xff, 0x03, 0x12, 0x06]))).toBeUndefined();
    expect(producerName(Buffer.from('# effnet\n'))).toBeUndefined();
    expect(producerName(new Uint8Array())).toBeUndefined();
  });
});
