// A user's Node program (compiled as ESM and as CommonJS): the tfjs model effnet
// generated for efficientnet b0 (the default `--tfjs-module`, `@tensorflow/tfjs`) on the cpu
// backend, run on a checkpoint and an NCHW float32 image; writes the logits and
// top-5 as JSON. It also loads the generated WGSL module (Node can import it;
// it runs where WebGPU is) and lists what it exports.
// Usage: node main.js WEIGHTS.safetensors INPUT.f32 OUT.json
import { readFileSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { createInference, loadWeights, metadata, topK } from './generated/efficientnet/b0/model.tfjs.js';
import * as wgsl from './generated/efficientnet/b0/model.wgsl.js';

async function main(weightsPath: string, inputPath: string, outPath: string): Promise<void> {
  await tf.setBackend('cpu');
  const weights = loadWeights(readFileSync(weightsPath), 'torchvision');
  const bytes = readFileSync(inputPath);
  const nchw = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const r = metadata.resolution;
  const infer = createInference(weights);
  const images = tf.tensor4d(nchw, [1, 3, r, r]).transpose<tf.Tensor4D>([0, 2, 3, 1]);
  const logits = infer(images);
  const values = Array.from(await logits.data());
  tf.dispose([images, logits]);
  const result = { backend: tf.getBackend(), logits: values, top5: topK(values, 5), wgslExports: Object.keys(wgsl).sort() };
  writeFileSync(outPath, JSON.stringify(result));
}

const [weightsPath, inputPath, outPath] = process.argv.slice(2);
if (!weightsPath || !inputPath || !outPath) {
  console.error('usage: node main.js WEIGHTS.safetensors INPUT.f32 OUT.json');
  process.exitCode = 2;
} else {
  main(weightsPath, inputPath, outPath).catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
