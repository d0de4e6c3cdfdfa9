// Type-checked, never run (the native TensorFlow library is not installed):
// the tfjs model generated with `--tfjs-module @tensorflow/tfjs-node-gpu`,
// used with that package's own types.
import * as tf from '@tensorflow/tfjs-node-gpu';
import { createInference, createModel, loadWeights, metadata, topK } from './generated-gpu/efficientnet/b0/model.tfjs.js';

export function classify(checkpoint: Uint8Array, images: tf.Tensor4D): { logits: tf.Tensor2D; best: string | undefined } {
  const infer = createInference(loadWeights(checkpoint, 'timm'));
  const logits = infer(images);
  return { logits, best: topK(logits.dataSync(), 1)[0]?.label };
}

export async function fineTune(images: tf.Tensor4D, labels: tf.Tensor2D): Promise<tf.LayersModel> {
  const model: tf.LayersModel = createModel({ height: metadata.resolution, width: metadata.resolution });
  model.compile({ optimizer: tf.train.adam(1e-4), loss: 'categoricalCrossentropy' });
  await model.fit(images, labels, { epochs: 1 });
  await model.save(tf.io.fileSystem('/nowhere'));
  return model;
}
