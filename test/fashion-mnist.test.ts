import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { DatasetError, DEBIAN_DIR, loadSplit, readIdx } from '../examples/fashion-mnist/idx.mjs';
import { registerWasmGradients } from '../examples/fashion-mnist/wasm-gradients.mjs';
import { runCli, tempDirs } from './support/cli.js';
import { root } from './support/tfjs.js';

// examples/fashion-mnist: the evaluator `effnet search --eval` runs per candidate. It trains the
// candidate's generated tf.layers model on a tiny slice of Debian's Fashion-MNIST and must learn
// (top-1 well above the 0.1 of chance); its training kernels for tfjs's wasm backend must give
// the gradients tfjs's own kernels give on the cpu backend.

const evaluator = join(root, 'examples/fashion-mnist/evaluate.mjs');
const temp = tempDirs('effnet-fmnist-');

describe('the dataset', () => {
  it('Debian’s dataset-fashion-mnist is installed (apt-get install dataset-fashion-mnist)', () => {
    const files = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
    const missing = files.filter((f) => !existsSync(join(DEBIAN_DIR, f)));
    expect(missing, `missing from ${DEBIAN_DIR}: apt-get install dataset-fashion-mnist`).toEqual([]);
  });

  it('reads the IDX splits: 28×28 images, labels 0–9', () => {
    const train = loadSplit(DEBIAN_DIR, 'train', 100);
    expect(train).toMatchObject({ count: 100, height: 28, width: 28 });
    expect(train.images.length).toBe(100 * 28 * 28);
    expect(new Set(train.labels).size).toBe(10);
    expect(Math.max(...train.labels)).toBe(9);
    expect(loadSplit(DEBIAN_DIR, 'test', 1e9).count).toBe(10000);
  });

  it('refuses a file that is not IDX, and a folder without the dataset names the package', () => {
    const dir = temp();
    const ok = join(dir, 'ok.gz');
    writeFileSync(ok, gzipSync(Buffer.from([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6])));
    expect(readIdx(ok)).toMatchObject({ dims: [2, 3] });
    expect(Array.from(readIdx(ok).data)).toEqual([1, 2, 3, 4, 5, 6]);
    const short = join(dir, 'short.gz');
    writeFileSync(short, gzipSync(Buffer.from([0, 0, 8, 1, 0, 0, 0, 5, 1, 2])));
    expect(() => readIdx(short)).toThrow(/2 bytes do not fill \[5\]/);
    const float = join(dir, 'float.gz');
    writeFileSync(float, gzipSync(Buffer.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0])));
    expect(() => readIdx(float)).toThrow(DatasetError);
    expect(() => loadSplit(dir, 'train', 1)).toThrow(/Fashion-MNIST is not at .*apt-get install dataset-fashion-mnist/);
  });
});

/** Largest |a − b| over the tensors' values, relative to the largest |b| (at least 1). */
function relativeDiff(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let worst = 0;
  let scale = 1;
  for (let i = 0; i < x.length; i++) (worst = Math.max(worst, Math.abs(x[i]! - y[i]!))), (scale = Math.max(scale, Math.abs(y[i]!)));
  return worst / scale;
}

describe('training kernels on wasm', () => {
  type Case = { name: string; inputs: () => tf.Tensor[]; f: (...t: tf.Tensor[]) => tf.Scalar };
  // A random weighting of the output, so every output element's gradient matters.
  const weighted = (y: tf.Tensor): tf.Scalar => tf.sum(tf.mul(y, tf.randomUniform(y.shape, -1, 1, 'float32', 7)));
  const u = (shape: number[], seed: number) => () => tf.randomUniform(shape, -1, 1, 'float32', seed);
  const cases: Case[] = [
    { name: 'conv 3×3 stride 2, explicit padding', inputs: () => [u([2, 9, 9, 3], 1)(), u([3, 3, 3, 4], 2)()], f: (x, w) => weighted(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, [[0, 0], [1, 1], [1, 1], [0, 0]])) },
    { name: 'conv 3×3 stride 1, same', inputs: () => [u([2, 6, 6, 2], 3)(), u([3, 3, 2, 5], 4)()], f: (x, w) => weighted(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')) },
    { name: 'conv 1×1 (the matrix-product path)', inputs: () => [u([2, 5, 5, 6], 5)(), u([1, 1, 6, 7], 6)()], f: (x, w) => weighted(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid')) },
    { name: 'conv 1×1 stride 2', inputs: () => [u([2, 6, 6, 3], 7)(), u([1, 1, 3, 4], 8)()], f: (x, w) => weighted(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'valid')) },
    { name: 'depthwise 5×5 stride 2, same', inputs: () => [u([2, 9, 9, 4], 9)(), u([5, 5, 4, 1], 10)()], f: (x, w) => weighted(tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same')) },
    { name: 'depthwise 3×3 stride 1, padding 1, multiplier 2', inputs: () => [u([2, 7, 7, 3], 11)(), u([3, 3, 3, 2], 12)()], f: (x, w) => weighted(tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 1)) },
    {
      name: 'BatchNorm in training (batch statistics)',
      inputs: () => [u([4, 3, 3, 5], 13)(), u([5], 14)(), u([5], 15)()],
      f: (x, scale, offset) => {
        const { mean, variance } = tf.moments(x!, [0, 1, 2]);
        return weighted(tf.batchNorm(x as tf.Tensor4D, mean, variance, offset as tf.Tensor1D, scale as tf.Tensor1D, 1e-3));
      },
    },
  ];

  it('match tfjs’s own gradients on the cpu backend', async () => {
    // The references first: registering replaces BatchNorm's gradient on every backend.
    tf.enableProdMode();
    await tf.setBackend('cpu');
    const reference = cases.map((c) => tf.grads(c.f)(c.inputs()));
    registerWasmGradients(tf);
    await tf.setBackend('wasm');
    for (const [i, c] of cases.entries()) {
      const got = tf.grads(c.f)(c.inputs());
      for (const [k, g] of got.entries()) expect(relativeDiff(g, reference[i]![k]!), `${c.name}, gradient ${k}`).toBeLessThan(1e-5);
    }
  });
});

describe('evaluate.mjs', () => {
  /** The fashion family with one candidate as `effnet search` writes them: a scaled variant at its own resolution. */
  let made: Promise<string> | undefined;
  const candidate = () => (made ??= generateCandidate());
  async function generateCandidate(): Promise<string> {
    const dir = temp();
    const spec = readFileSync(join(root, 'examples/fashion-mnist/fashion.effnet'), 'utf8').replace(/\n\}\n$/, '\n  variant cand { width 1.1 depth 1.2 resolution 32 }\n}\n');
    writeFileSync(join(dir, 'spec.effnet'), spec);
    const r = await runCli(['generate', 'spec.effnet', '--out', 'out', '--target', 'tfjs', '--tfjs-module', '@tensorflow/tfjs'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return dir;
  }

  const run = (env: Record<string, string>, args: string[] = []) => {
    const r = spawnSync(process.execPath, [evaluator, ...args], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 170_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('learns on a tiny slice: 512 training images, 30 steps of 32, top-1 on 256 test images well above chance', async () => {
    const dir = await candidate();
    const model = join(dir, 'out/fashion/cand');
    // As `effnet search --eval` calls it: spec, variant and model folder as arguments and variables.
    const r = run(
      { EFFNET_SPEC: join(dir, 'spec.effnet'), EFFNET_VARIANT: 'cand', EFFNET_MODEL_DIR: model, EFFNET_RESOLUTION: '32', EFFNET_FMNIST_TRAIN: '512', EFFNET_FMNIST_TEST: '256', EFFNET_FMNIST_STEPS: '30', EFFNET_FMNIST_BATCH: '32' },
      [join(dir, 'spec.effnet'), 'cand', model],
    );
    expect(r.stderr).toMatch(/fashion cand \(.*spec\.effnet\) at 32×32: \d+ params, \d+ MACs; 512 training images, 30 steps of 32 on tfjs wasm/);
    expect(r.code).toBe(0);
    const last = r.stdout.trim().split('\n').at(-1)!;
    const metrics = JSON.parse(last) as Record<string, number>;
    expect(metrics).toMatchObject({ steps: 30, train_images: 512, test_images: 256 });
    expect(Number.isFinite(metrics.loss)).toBe(true);
    // Chance is 0.1; this budget reaches about 0.7.
    expect(metrics.top1).toBeGreaterThan(0.3);
    expect(metrics.top1).toBeLessThanOrEqual(1);
  }, 180_000);

  it('bad settings exit 2 and a missing dataset exits 1, each with one line', async () => {
    const none = run({ EFFNET_MODEL_DIR: '' });
    expect(none).toMatchObject({ code: 2, stdout: '' });
    expect(none.stderr).toBe('evaluate.mjs: set EFFNET_MODEL_DIR to the candidate\'s generated model folder (or pass SPEC VARIANT MODEL_DIR)\n');
    const dir = await candidate();
    // The `effnet generate --out` folder with the variant's name: the model is found below it.
    const steps = run({ EFFNET_MODEL_DIR: join(dir, 'out'), EFFNET_VARIANT: 'cand', EFFNET_FMNIST_STEPS: '-3' });
    expect(steps).toMatchObject({ code: 2, stderr: 'evaluate.mjs: EFFNET_FMNIST_STEPS takes a whole number in [1, 9007199254740991], not "-3"\n' });
    const data = run({ EFFNET_MODEL_DIR: join(dir, 'out'), EFFNET_VARIANT: 'cand', EFFNET_FMNIST_DIR: dir });
    expect(data.code).toBe(1);
    expect(data.stderr.trim().split('\n').at(-1)).toBe(`evaluate.mjs: Fashion-MNIST is not at ${dir} (no ${join(dir, 'train-images-idx3-ubyte.gz')}): apt-get install dataset-fashion-mnist, or set EFFNET_FMNIST_DIR`);
  }, 60_000);
});
