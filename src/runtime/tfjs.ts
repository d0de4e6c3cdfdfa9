import type * as tfjs from '@tensorflow/tfjs';
import { bindCheckpoint, type Layout, type Weights } from './checkpoint.js';
import { parseCheckpoint } from './pth.js';
import { inputChannels, layerSpecs, shapesAt, InputSizeError, type ModelMetadata, type Network } from './spec.js';
import type { Tf } from './tfjs-activations.js';
import { disposePrepared, opsBuilder, prepareWeights } from './tfjs-inference.js';
import { createLayersModel, setLayersWeights, type ModelOptions } from './tfjs-layers.js';

// The TensorFlow.js runtime generated `model.tfjs.ts` files share. It takes
// the tf namespace from the generated module (which imports the tfjs flavour
// it was generated for), so this package never picks one itself.

export type { Tf } from './tfjs-activations.js';
export type { ModelOptions } from './tfjs-layers.js';
export type { Layout, Weights } from './checkpoint.js';
export type { Activation, BlockSpec, Builder, ClassifierSpec, ConvSpec, FeatureSpec, LinearSpec, ModelMetadata, Network, NormSpec, SeSpec } from './spec.js';
export { WeightsError } from './safetensors.js';
export { InputSizeError } from './spec.js';

/**
 * Runs the network on an NHWC batch `[N, H, W, C]` (C the spec's input channels; any H × W the
 * network can take, the variant's resolution being what it was trained at) inside tf.tidy.
 */
export interface Inference<Output = tfjs.Tensor2D> {
  /** Logits `[N, classes]`, or a feature network's maps `[N, h, w, c]` in the order of `metadata.features`. */
  (input: tfjs.Tensor4D): Output;
  /** Frees the folded weight tensors. */
  dispose(): void;
}

/** A feature network's inference: one NHWC map per `metadata.features` entry. */
export type FeatureInference = Inference<tfjs.Tensor4D[]>;

export interface TfjsRuntime {
  createModel(network: Network, meta: ModelMetadata, options?: ModelOptions): tfjs.LayersModel;
  createInference(network: Network, meta: ModelMetadata, weights: Weights): Inference;
  createFeatureInference(network: Network, meta: ModelMetadata, weights: Weights): FeatureInference;
  loadWeights(network: Network, meta: ModelMetadata, bytes: Uint8Array, layout?: Layout): Weights;
  setWeights(model: tfjs.LayersModel, network: Network, weights: Weights): void;
  /** A torchvision-style NCHW batch as the NHWC tensor the models take. */
  fromNchw(data: Float32Array, shape: [number, number, number, number]): tfjs.Tensor4D;
}

// ---- the runtime -------------------------------------------------------------

const runtimes = new WeakMap<object, TfjsRuntime>();

/** The runtime over one tf namespace (made once per namespace). */
export function tfjsRuntime(tf: Tf): TfjsRuntime {
  const known = runtimes.get(tf);
  if (known) return known;
  const who = (meta: ModelMetadata) => `${meta.family} ${meta.variant}`;

  /** The forward pass with plain ops: its output, and the feature maps it handed out. */
  function inference<Output>(network: Network, meta: ModelMetadata, weights: Weights, pick: (output: tfjs.Tensor, features: tfjs.Tensor[]) => Output): Inference<Output> {
    const prepared = prepareWeights(tf, layerSpecs(network), weights);
    const channels = inputChannels(network);
    const checked = new Set<string>();
    const run = (input: tfjs.Tensor4D): Output => {
      const [, h, w, c] = input.shape;
      if (input.rank !== 4 || c !== channels) throw new Error(`${who(meta)} takes an NHWC batch [N, H, W, ${channels}], not [${input.shape.join(', ')}]`);
      if (!checked.has(`${h}x${w}`)) {
        try {
          shapesAt(network, h, w);
        } catch (e) {
          if (e instanceof InputSizeError) throw new InputSizeError(`${who(meta)} cannot take ${h}×${w} images: ${e.message}`);
          throw e;
        }
        checked.add(`${h}x${w}`);
      }
      return tf.tidy(() => {
        const features: tfjs.Tensor[] = [];
        const output = network<tfjs.Tensor>(input, opsBuilder(tf, prepared, features));
        return pick(output, features) as tfjs.TensorContainer;
      }) as Output;
    };
    return Object.assign(run, { dispose: () => disposePrepared(prepared) });
  }

  const runtime: TfjsRuntime = {
    createModel: (network, meta, options) => createLayersModel(tf, network, meta, options),
    setWeights: (model, network, weights) => setLayersWeights(tf, model, network, weights),

    createInference(network, meta, weights) {
      if (meta.features.length > 0) throw new Error(`${who(meta)} is a feature network: use createFeatureInference`);
      return inference(network, meta, weights, (output) => output as tfjs.Tensor2D);
    },

    createFeatureInference(network, meta, weights) {
      if (meta.features.length === 0) throw new Error(`${who(meta)} is a classifier: use createInference`);
      return inference(network, meta, weights, (_output, features) => features as tfjs.Tensor4D[]);
    },

    loadWeights(network, meta, bytes, layout = 'torchvision') {
      return bindCheckpoint(parseCheckpoint(bytes), layerSpecs(network), layout, who(meta), { backbone: meta.features.length > 0 });
    },

    fromNchw(data, shape) {
      const [n, c, h, w] = shape;
      if (data.length !== n * c * h * w) throw new Error(`${data.length} values do not fill a [${shape.join(', ')}] batch (${n * c * h * w})`);
      return tf.tidy(() => tf.transpose(tf.tensor4d(data, shape), [0, 2, 3, 1]));
    },
  };
  runtimes.set(tf, runtime);
  return runtime;
}
