import type * as tfjs from '@tensorflow/tfjs';
import type { Activation } from './spec.js';

// Activations as PyTorch defines them, in tfjs ops, and which of them tfjs
// kernels and layers have built in. Both tfjs paths (layers, plain ops) use them.

/**
 * The tf namespace as generated code holds it, without `default`: an ES module's view of the CommonJS
 * @tensorflow/tfjs has one, a CommonJS file's `import * as tf` does not.
 */
export type Tf = Omit<typeof tfjs, 'default'>;

/** A layer class made over one tf namespace: built from its config, registrable with tf.serialization (typed, so declarations name no anonymous class). */
export type LayerClass<Config> = tfjs.serialization.SerializableConstructor<tfjs.layers.Layer> & (new (config: Config) => tfjs.layers.Layer);

/** PyTorch's definitions: hardsigmoid = relu6(x + 3) / 6, gelu the exact erf form. */
export function activate(tf: Tf, x: tfjs.Tensor, act: Activation): tfjs.Tensor {
  switch (act) {
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return tf.relu6(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'silu':
      return tf.mul(x, tf.sigmoid(x));
    case 'hardsigmoid':
      return tf.div(tf.relu6(tf.add(x, 3)), 6);
    case 'hardswish':
      return tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6));
    case 'gelu':
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.div(x, Math.SQRT2)), 1));
    case 'identity':
      return x;
  }
}

/** Activations tfjs fuses into conv and matMul kernels (tfjs 4.22 fuses no swish/SiLU on any backend: wasm's list is linear, relu, relu6, prelu, leakyrelu, sigmoid, elu). */
export const FUSED: Partial<Record<Activation, 'relu' | 'relu6' | 'sigmoid'>> = { relu: 'relu', relu6: 'relu6', sigmoid: 'sigmoid' };
/** Activations tf.layers has under PyTorch's definition. */
export const LAYER_ACTIVATIONS: Partial<Record<Activation, 'relu' | 'relu6' | 'sigmoid' | 'swish'>> = { relu: 'relu', relu6: 'relu6', sigmoid: 'sigmoid', silu: 'swish' };
