import type * as tfjs from '@tensorflow/tfjs';
import { bindCheckpoint, type Layout, type Weights } from './checkpoint.js';
import { foldedConv, kernelShape, slot, transpose } from './fold.js';
import { parseCheckpoint } from './pth.js';
import { inputChannels, isDepthwise, layerSpecs, paddingAt, paddingMode, shapesAt, InputSizeError, type Activation, type Builder, type LayerSpec, type ModelMetadata, type Network } from './spec.js';
import { activate, FUSED, type Tf } from './tfjs-activations.js';
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

// ---- plain ops: the inference function --------------------------------------

type Prepared =
  | { kind: 'conv'; filter: tfjs.Tensor4D; bias: tfjs.Tensor1D }
  | { kind: 'dense'; kernel: tfjs.Tensor2D; bias: tfjs.Tensor1D }
  | { kind: 'se'; fc1: tfjs.Tensor2D; b1: tfjs.Tensor1D; fc2: tfjs.Tensor2D; b2: tfjs.Tensor1D };

/** Weight tensors in the layouts the ops take, BatchNorm folded, created once. */
function prepare(tf: Tf, layers: LayerSpec[], weights: Weights): Map<string, Prepared> {
  const prepared = new Map<string, Prepared>();
  for (const l of layers) {
    if (l.kind === 'conv') {
      const { kernel, bias } = foldedConv(weights, l.spec);
      prepared.set(l.spec.name, { kind: 'conv', filter: tf.tensor4d(kernel, kernelShape(l.spec)), bias: tf.tensor1d(bias) });
    } else if (l.kind === 'se') {
      const e = l.spec;
      prepared.set(e.name, {
        kind: 'se',
        fc1: tf.tensor2d(transpose(slot(weights, e.name, 'fc1.weight', e.squeeze * e.channels), e.squeeze, e.channels), [e.channels, e.squeeze]),
        b1: tf.tensor1d(slot(weights, e.name, 'fc1.bias', e.squeeze)),
        fc2: tf.tensor2d(transpose(slot(weights, e.name, 'fc2.weight', e.squeeze * e.channels), e.channels, e.squeeze), [e.squeeze, e.channels]),
        b2: tf.tensor1d(slot(weights, e.name, 'fc2.bias', e.channels)),
      });
    } else {
      const s = l.spec;
      prepared.set(s.name, {
        kind: 'dense',
        kernel: tf.tensor2d(transpose(slot(weights, s.name, 'linear.weight', s.in * s.out), s.out, s.in), [s.in, s.out]),
        bias: tf.tensor1d(slot(weights, s.name, 'linear.bias', s.out)),
      });
    }
  }
  return prepared;
}

function opsBuilder(tf: Tf, prepared: Map<string, Prepared>, features: tfjs.Tensor[]): Builder<tfjs.Tensor> {
  const get = <K extends Prepared['kind']>(name: string, kind: K) => prepared.get(name) as Extract<Prepared, { kind: K }>;
  /** A matMul with bias and, where tfjs fuses it, the activation. */
  const dense = (x: tfjs.Tensor, kernel: tfjs.Tensor2D, bias: tfjs.Tensor1D, act: Activation) =>
    activate(tf, tf.fused.matMul({ a: x as tfjs.Tensor2D, b: kernel, bias, activation: FUSED[act] ?? 'linear' }), FUSED[act] ? 'identity' : act);
  /** Global average pool to [N, C] (an average pool over the whole map: faster than mean on wasm). */
  const pool = (x: tfjs.Tensor) => {
    const [n, h, w, c] = x.shape as [number, number, number, number];
    return tf.reshape(tf.avgPool(x as tfjs.Tensor4D, [h, w], 1, 'valid'), [n, c]);
  };
  return {
    conv(x, s) {
      const { filter, bias } = get(s.name, 'conv');
      const mode = paddingMode(s, x.shape[1]!, x.shape[2]!);
      const [t, b, l, r] = paddingAt(s, x.shape[1]!, x.shape[2]!);
      const explicit: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [t, b], [l, r], [0, 0]];
      const activation = FUSED[s.act] ?? ('linear' as const);
      const common = { x: x as tfjs.Tensor4D, filter, strides: s.stride, dilations: s.dilation ?? 1, bias, activation };
      // tfjs types no explicit padding for depthwise convolutions: pad first.
      const y = isDepthwise(s)
        ? mode === 'explicit'
          ? tf.fused.depthwiseConv2d({ ...common, x: tf.pad(common.x, explicit), pad: 'valid' })
          : tf.fused.depthwiseConv2d({ ...common, pad: mode })
        : tf.fused.conv2d({ ...common, pad: mode === 'explicit' ? explicit : mode });
      return FUSED[s.act] ? y : activate(tf, y, s.act);
    },
    se(x, s) {
      const { fc1, b1, fc2, b2 } = get(s.name, 'se');
      const gate = dense(dense(pool(x), fc1, b1, s.act), fc2, b2, s.gate);
      return tf.mul(x, tf.reshape(gate, [-1, 1, 1, s.channels]));
    },
    // Stochastic depth is the identity at inference.
    block: (x, s, body) => (s.residual ? tf.add(x, body(x)) : body(x)),
    classifier(x, s) {
      let y = pool(x);
      if (s.hidden) {
        const h = get(s.hidden.name, 'dense');
        y = dense(y, h.kernel, h.bias, s.hidden.act);
      }
      if (!s.linear) return y;
      const o = get(s.linear.name, 'dense');
      return dense(y, o.kernel, o.bias, s.linear.act);
    },
    feature: (x) => (features.push(x), x),
  };
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
    const prepared = prepare(tf, layerSpecs(network), weights);
    const channels = inputChannels(network);
    const run = (input: tfjs.Tensor4D): Output => {
      const [, h, w, c] = input.shape;
      if (input.rank !== 4 || c !== channels) throw new Error(`${who(meta)} takes an NHWC batch [N, H, W, ${channels}], not [${input.shape.join(', ')}]`);
      try {
        shapesAt(network, h, w);
      } catch (e) {
        if (e instanceof InputSizeError) throw new InputSizeError(`${who(meta)} cannot take ${h}×${w} images: ${e.message}`);
        throw e;
      }
      return tf.tidy(() => {
        const features: tfjs.Tensor[] = [];
        const output = network<tfjs.Tensor>(input, opsBuilder(tf, prepared, features));
        return pick(output, features) as tfjs.TensorContainer;
      }) as Output;
    };
    return Object.assign(run, {
      dispose() {
        for (const p of prepared.values()) for (const t of Object.values(p)) if (typeof t !== 'string') t.dispose();
        prepared.clear();
      },
    });
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
