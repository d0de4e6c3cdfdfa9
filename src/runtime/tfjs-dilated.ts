import type * as tfjs from '@tensorflow/tfjs';
import type { LayerClass, Tf } from './tfjs-activations.js';

// Dilated convolutions for the trainable model. tf.layers' DepthwiseConv2D
// ignores its dilation rate (tfjs 4.22), and tfjs has no gradient for any
// dilated convolution. TensorFlow's own atrous form has both: the input split
// into d×d subsampled grids (spaceToBatchND), each convolved undilated, the
// outputs interleaved back (batchToSpaceND).

export interface DilatedConvConfig {
  name?: string;
  kernelSize: number;
  dilation: number;
  /** Stride-1 TensorFlow SAME padding, or none. */
  padding: 'same' | 'valid';
  /** Output channels of a dense convolution; null for a depthwise one. */
  filters: number | null;
  /** Outputs per input channel of a depthwise one (tf.layers' depthMultiplier). */
  depthMultiplier: number;
  useBias: boolean;
}

/** `EffnetDilatedConv2D`: a stride-1 dilated convolution, dense (`kernel` HWIO) or depthwise (`depthwise_kernel` `[k, k, C, M]`), then `bias`. */
export function dilatedConvClass(tf: Tf): LayerClass<DilatedConvConfig> {
  return class DilatedConv extends tf.layers.Layer {
    static className = 'EffnetDilatedConv2D';
    readonly settings: DilatedConvConfig;
    private kernel: tfjs.LayerVariable | null = null;
    private bias: tfjs.LayerVariable | null = null;

    constructor(config: DilatedConvConfig) {
      super(config);
      const { kernelSize, dilation, padding, filters, depthMultiplier, useBias } = config;
      this.settings = { kernelSize, dilation, padding, filters, depthMultiplier, useBias };
    }

    override build(shape: tfjs.Shape | tfjs.Shape[]): void {
      const { kernelSize: k, filters, depthMultiplier, useBias } = this.settings;
      const c = channels(shape);
      this.kernel = this.addWeight(filters === null ? 'depthwise_kernel' : 'kernel', [k, k, c, filters ?? depthMultiplier], 'float32', tf.initializers.glorotUniform({}));
      if (useBias) this.bias = this.addWeight('bias', [filters ?? c * depthMultiplier], 'float32', tf.initializers.zeros());
      this.built = true;
    }

    override computeOutputShape(shape: tfjs.Shape | tfjs.Shape[]): tfjs.Shape {
      const { kernelSize: k, dilation: d, padding, filters, depthMultiplier } = this.settings;
      const [n, h, w] = (Array.isArray(shape[0]) ? shape[0] : shape) as tfjs.Shape;
      const size = (v: number | null | undefined) => (v == null ? null : padding === 'same' ? v : v - d * (k - 1));
      return [n ?? null, size(h), size(w), filters ?? channels(shape) * depthMultiplier];
    }

    override call(inputs: tfjs.Tensor | tfjs.Tensor[]): tfjs.Tensor {
      const { kernelSize: k, dilation: d, padding, filters } = this.settings;
      return tf.tidy(() => {
        let x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tfjs.Tensor4D;
        const reach = d * (k - 1);
        if (padding === 'same') x = tf.pad(x, [[0, 0], [Math.floor(reach / 2), reach - Math.floor(reach / 2)], [Math.floor(reach / 2), reach - Math.floor(reach / 2)], [0, 0]]);
        const [, h, w] = x.shape;
        // Rows and columns up to a multiple of d, so every grid is the same size.
        const grids = tf.spaceToBatchND(x, [d, d], [[0, (d - (h % d)) % d], [0, (d - (w % d)) % d]]);
        const kernel = this.kernel!.read() as tfjs.Tensor4D;
        const y = filters === null ? tf.depthwiseConv2d(grids, kernel, 1, 'valid') : tf.conv2d(grids, kernel, 1, 'valid');
        // Each grid gives ⌈h/d⌉ − (k − 1) rows, d times that interleaved; h − reach of them are the output.
        const [, gh, gw] = y.shape;
        const out = tf.batchToSpaceND(y, [d, d], [[0, d * gh - (h - reach)], [0, d * gw - (w - reach)]]) as tfjs.Tensor4D;
        return this.bias ? tf.add(out, this.bias.read()) : out;
      });
    }

    override getConfig(): tfjs.serialization.ConfigDict {
      return { ...super.getConfig(), ...this.settings };
    }
  };
}

function channels(shape: tfjs.Shape | tfjs.Shape[]): number {
  const s = (Array.isArray(shape[0]) ? shape[0] : shape) as tfjs.Shape;
  const c = s[s.length - 1];
  if (typeof c !== 'number') throw new Error('a dilated convolution needs its input channels known');
  return c;
}
