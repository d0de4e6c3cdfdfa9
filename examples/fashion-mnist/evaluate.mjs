#!/usr/bin/env node
// An evaluator for `effnet search --eval`: trains one candidate's generated tfjs model
// (`createModel()`, a trainable tf.LayersModel) from scratch on Fashion-MNIST for a fixed budget
// and prints its top-1 accuracy on the test split as the last line of stdout: {"top1": …, …}.
// Progress goes to stderr. Settings come from the environment (README.md in this folder).
// Exit 0 with the metrics, 1 when it cannot run (no dataset, a model that fails), 2 bad settings.
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DatasetError, DEBIAN_DIR, loadSplit } from './idx.mjs';
import { importGeneratedModel } from './load-model.mjs';
import { registerWasmGradients } from './wasm-gradients.mjs';

class UsageError extends Error {}

/** A whole-number setting from the environment, within [least, most]. */
function count(name, fallback, least, most = Number.MAX_SAFE_INTEGER) {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < least || n > most) throw new UsageError(`${name} takes a whole number in [${least}, ${most}], not ${JSON.stringify(text)}`);
  return n;
}

function number(name, fallback) {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!(n > 0 && n < 1)) throw new UsageError(`${name} takes a number in (0, 1), not ${JSON.stringify(text)}`);
  return n;
}

/** The folder holding `model.tfjs.ts`: the one named, or its `<variant>` or `<family>/<variant>` below it (`effnet generate --out`). */
function modelFolder(dir, variant) {
  if (!existsSync(dir)) throw new UsageError(`the model folder ${dir} is not there`);
  const has = (d) => existsSync(join(d, 'model.tfjs.ts')) && existsSync(join(d, 'network.ts'));
  if (has(dir)) return dir;
  if (variant) {
    if (has(join(dir, variant))) return join(dir, variant);
    const below = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && has(join(dir, e.name, variant)));
    if (below.length === 1) return join(dir, below[0].name, variant);
  }
  throw new UsageError(`no generated model.tfjs.ts and network.ts in ${dir}${variant ? ` (nor in ${variant}/ or */${variant}/ below it)` : ''}`);
}

function settings() {
  // `effnet search --eval` passes the spec, variant and model folder as arguments too.
  const [, , argSpec, argVariant, argDir] = process.argv;
  const dir = process.env.EFFNET_MODEL_DIR || argDir;
  if (!dir) throw new UsageError('set EFFNET_MODEL_DIR to the candidate\'s generated model folder (or pass SPEC VARIANT MODEL_DIR)');
  const variant = process.env.EFFNET_VARIANT || argVariant || undefined;
  const backend = process.env.EFFNET_FMNIST_BACKEND || 'wasm';
  if (!['wasm', 'cpu'].includes(backend)) throw new UsageError(`EFFNET_FMNIST_BACKEND is wasm or cpu, not ${JSON.stringify(backend)}`);
  return {
    model: modelFolder(resolve(dir), variant),
    spec: process.env.EFFNET_SPEC || argSpec,
    variant,
    resolution: count('EFFNET_RESOLUTION', 0, 8, 1024) || undefined,
    data: process.env.EFFNET_FMNIST_DIR || DEBIAN_DIR,
    train: count('EFFNET_FMNIST_TRAIN', 10000, 1, 60000),
    test: count('EFFNET_FMNIST_TEST', 2000, 1, 10000),
    steps: count('EFFNET_FMNIST_STEPS', 300, 1),
    batch: count('EFFNET_FMNIST_BATCH', 64, 1, 4096),
    lr: number('EFFNET_FMNIST_LR', 0.003),
    calibrate: count('EFFNET_FMNIST_CALIBRATE', 256, 1, 4096),
    seed: count('EFFNET_FMNIST_SEED', 1, 0, 2 ** 32 - 1),
    backend,
  };
}

// Fashion-MNIST's pixel mean and standard deviation (of x / 255 over the training split).
const MEAN = 0.286;
const STD = 0.353;

/** A split as a normalised NHWC float tensor at `size`×`size` (bilinear from 28×28) and int32 labels. */
function tensors(tf, split, size) {
  const { images, labels, count: n, height, width } = split;
  return tf.tidy(() => {
    let x = tf.tensor4d(Float32Array.from(images, (v) => (v / 255 - MEAN) / STD), [n, height, width, 1]);
    if (size !== height || size !== width) x = tf.image.resizeBilinear(x, [size, size], true);
    return { x, y: tf.tensor1d(Int32Array.from(labels), 'int32') };
  });
}

/**
 * BatchNorm's running statistics set to those of one training-mode pass over `x` (momentum 0 for
 * that pass). After a short run the exponential averages still hold much of their initial 0 and 1,
 * which the small variances of a fresh network make far off: inference would be near chance.
 */
function calibrateBatchNorm(tf, model, x) {
  const norms = model.layers.filter((l) => l.getClassName() === 'BatchNormalization');
  const momentum = norms.map((l) => l.momentum);
  for (const l of norms) l.momentum = 0;
  tf.tidy(() => void model.apply(x, { training: true }));
  norms.forEach((l, i) => (l.momentum = momentum[i]));
}

/** A deterministic permutation of 0..n-1 (Fisher–Yates on a 32-bit LCG). */
function permutation(n, next) {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = next() % (i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

async function main() {
  const s = settings();
  const t0 = performance.now();
  // The data first: a missing dataset fails before TensorFlow.js loads.
  const trainSplit = loadSplit(s.data, 'train', s.train);
  const testSplit = loadSplit(s.data, 'test', s.test);
  const tf = await import('@tensorflow/tfjs');
  if (s.backend === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    registerWasmGradients(tf);
  }
  tf.enableProdMode();
  if (!(await tf.setBackend(s.backend))) throw new Error(`the TensorFlow.js ${s.backend} backend did not initialise`);
  await tf.ready();

  const generated = await importGeneratedModel(s.model, import.meta.resolve('@tensorflow/tfjs'));
  const meta = generated.metadata;
  if (meta.inputChannels !== 1 || meta.classes !== 10)
    throw new UsageError(`${meta.family} ${meta.variant} takes ${meta.inputChannels} channels to ${meta.classes} classes; Fashion-MNIST needs 1 and 10 (\`input channels 1\`, \`classes 10\`)`);
  const size = s.resolution ?? meta.resolution;
  const model = generated.createModel({ height: size, width: size });

  const train = tensors(tf, trainSplit, size);
  const test = tensors(tf, testSplit, size);
  const n = train.y.shape[0];
  console.error(`${meta.family} ${meta.variant}${s.spec ? ` (${s.spec})` : ''} at ${size}×${size}: ${meta.params} params, ${meta.macs} MACs; ${n} training images, ${s.steps} steps of ${s.batch} on tfjs ${tf.getBackend()}`);

  model.compile({ optimizer: tf.train.adam(s.lr), loss: (y, logits) => tf.losses.softmaxCrossEntropy(y, logits) });
  let state = s.seed >>> 0;
  const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0);
  let order = permutation(n, next);
  let at = 0;
  let loss = NaN;
  for (let step = 0; step < s.steps; step++) {
    const take = Math.min(s.batch, n);
    const idx = new Int32Array(take);
    for (let i = 0; i < take; i++) {
      if (at === n) (order = permutation(n, next)), (at = 0);
      idx[i] = order[at++];
    }
    const [x, y] = tf.tidy(() => {
      const i = tf.tensor1d(idx, 'int32');
      return [tf.gather(train.x, i), tf.oneHot(tf.gather(train.y, i), 10)];
    });
    loss = Number(await model.trainOnBatch(x, y));
    tf.dispose([x, y]);
    if ((step + 1) % 10 === 0 || step + 1 === s.steps) console.error(`step ${step + 1}/${s.steps}: loss ${loss.toFixed(4)}`);
  }

  const calibration = tf.tidy(() => tf.gather(train.x, tf.tensor1d(permutation(n, next).subarray(0, Math.min(s.calibrate, n)), 'int32')));
  calibrateBatchNorm(tf, model, calibration);
  calibration.dispose();

  // Inference mode: BatchNorm's running statistics, no dropout or stochastic depth.
  let correct = 0;
  const m = test.y.shape[0];
  for (let start = 0; start < m; start += 256) {
    const k = Math.min(256, m - start);
    correct += tf.tidy(() => {
      const logits = model.predict(test.x.slice([start, 0, 0, 0], [k, -1, -1, -1]));
      return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), test.y.slice([start], [k])), 'int32')).dataSync()[0];
    });
  }
  const metrics = { top1: correct / m, loss, steps: s.steps, train_images: n, test_images: m, seconds: Math.round((performance.now() - t0) / 100) / 10 };
  console.log(JSON.stringify(metrics));
}

/** A module that is not there: TensorFlow.js (an optional peer of effnet), or effnet's runtime before `npm run build`. */
function missingModule(e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND') return null;
  const first = String(e.message).split('\n')[0];
  if (/@tensorflow\/tfjs/.test(first)) return `${first}: npm install @tensorflow/tfjs @tensorflow/tfjs-backend-wasm`;
  return `${first} (the generated model imports effnet's runtime: in a checkout of effnet, run npm run build)`;
}

main().catch((e) => {
  const known = e instanceof UsageError || e instanceof DatasetError || e?.name === 'InputSizeError';
  console.error(`evaluate.mjs: ${known ? e.message : missingModule(e) ?? e?.stack ?? e}`);
  process.exit(e instanceof UsageError ? 2 : 1);
});
