import type * as tfjs from '@tensorflow/tfjs';
import { bindCheckpoint, type Layout, type Weights } from './checkpoint.js';
import { convKernel, foldedConv, kernelShape, slot, transpose } from './fold.js';
import { parseSafetensors } from './safetensors.js';
import { inputChannels, isDepthwise, layerSpecs, paddingMode, type Activation, type Builder, type ConvSpec, type LayerSpec, type ModelMetadata, type Network } from './spec.js';

// The TensorFlow.js runtime generated `model.tfjs.ts` files share. It takes
// the tf namespace from the generated module (which imports the tfjs flavour
// it was generated for), so this package never picks one itself.

export type Tf = typeof tfjs;
export type { Layout, Weights } from './checkpoint.js';
export type { Activation, BlockSpec, Builder, ClassifierSpec, ConvSpec, LinearSpec, ModelMetadata, Network, NormSpec, SeSpec } from './spec.js';
export { WeightsError } from './safetensors.js';

export interface ModelOptions {
  /** Weights from `loadWeights`; without them the layers keep their initialisers. */
  weights?: Weights;
}

/** Runs the network on an NHWC batch `[N, R, R, C]` (C the spec's input channels) and returns logits `[N, classes]`. */
export interface Inference {
  (input: tfjs.Tensor4D): tfjs.Tensor2D;
  /** Frees the folded weight tensors. */
  dispose(): void;
}

export interface TfjsRuntime {
  createModel(network: Network, meta: ModelMetadata, options?: ModelOptions): tfjs.LayersModel;
  createInference(network: Network, meta: ModelMetadata, weights: Weights): Inference;
  loadWeights(network: Network, meta: ModelMetadata, bytes: Uint8Array, layout?: Layout): Weights;
  setWeights(model: tfjs.LayersModel, network: Network, weights: Weights): void;
  /** A torchvision-style NCHW batch as the NHWC tensor the models take. */
  fromNchw(data: Float32Array, shape: [number, number, number, number]): tfjs.Tensor4D;
}

// ---- activations ------------------------------------------------------------

/** PyTorch's definitions: hardsigmoid = relu6(x + 3) / 6, gelu the exact erf form. */
function activate(tf: Tf, x: tfjs.Tensor, act: Activation): tfjs.Tensor {
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

/** Activations tfjs fuses into conv and matMul kernels. */
const FUSED: Partial<Record<Activation, 'relu' | 'relu6' | 'sigmoid'>> = { relu: 'relu', relu6: 'relu6', sigmoid: 'sigmoid' };
/** Activations tf.layers has under PyTorch's definition. */
const LAYER_ACTIVATIONS: Partial<Record<Activation, 'relu' | 'relu6' | 'sigmoid' | 'swish'>> = { relu: 'relu', relu6: 'relu6', sigmoid: 'sigmoid', silu: 'swish' };

// ---- tf.layers: the trainable model -----------------------------------------

interface CustomLayers {
  stochasticDepth(rate: number, name: string): tfjs.layers.Layer;
  activation(act: Activation, name: string): tfjs.layers.Layer;
}

/** Layers tf.layers lacks, registered for `model.save()` / `tf.loadLayersModel`. */
function customLayers(tf: Tf): CustomLayers {
  /** A shape-preserving layer on one input, its one setting kept in its serialised config. */
  abstract class Elementwise<K extends string, V> extends tf.layers.Layer {
    constructor(
      config: { name?: string },
      private readonly key: K,
      readonly value: V,
    ) {
      super(config);
    }
    override computeOutputShape(shape: tfjs.Shape | tfjs.Shape[]): tfjs.Shape | tfjs.Shape[] {
      return shape;
    }
    override call(inputs: tfjs.Tensor | tfjs.Tensor[], kwargs: Record<string, unknown>): tfjs.Tensor {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      return this.apply1(x, kwargs['training'] === true);
    }
    abstract apply1(x: tfjs.Tensor, training: boolean): tfjs.Tensor;
    override getConfig(): tfjs.serialization.ConfigDict {
      return { ...super.getConfig(), [this.key]: this.value as tfjs.serialization.ConfigDictValue };
    }
  }
  /** torchvision's StochasticDepth(p, 'row'): drops whole samples of the residual branch while training. */
  class StochasticDepth extends Elementwise<'rate', number> {
    static className = 'EffnetStochasticDepth';
    constructor(config: { rate: number; name?: string }) {
      super(config, 'rate', config.rate);
    }
    apply1(x: tfjs.Tensor, training: boolean): tfjs.Tensor {
      if (!training || this.value === 0) return x;
      return tf.tidy(() => {
        const keep = 1 - this.value;
        const mask = tf.floor(tf.add(tf.randomUniform([x.shape[0]!, 1, 1, 1]), keep));
        return tf.mul(x, tf.div(mask, keep));
      });
    }
  }
  /** hardswish, hardsigmoid and exact gelu as PyTorch defines them. */
  class TorchActivation extends Elementwise<'activation', Activation> {
    static className = 'EffnetActivation';
    constructor(config: { activation: Activation; name?: string }) {
      super(config, 'activation', config.activation);
    }
    apply1(x: tfjs.Tensor): tfjs.Tensor {
      return tf.tidy(() => activate(tf, x, this.value));
    }
  }
  tf.serialization.registerClass(StochasticDepth);
  tf.serialization.registerClass(TorchActivation);
  return {
    stochasticDepth: (rate, name) => new StochasticDepth({ rate, name }),
    activation: (activation, name) => new TorchActivation({ activation, name }),
  };
}

type Sym = tfjs.SymbolicTensor;

function layersBuilder(tf: Tf, custom: CustomLayers): Builder<Sym> {
  const apply = (layer: tfjs.layers.Layer, x: Sym | Sym[]): Sym => layer.apply(x) as Sym;
  const act = (x: Sym, a: Activation, name: string): Sym => {
    if (a === 'identity') return x;
    const native = LAYER_ACTIVATIONS[a];
    return apply(native ? tf.layers.activation({ activation: native, name }) : custom.activation(a, name), x);
  };
  return {
    conv(x, s) {
      const mode = paddingMode(s, x.shape[1]!, x.shape[2]!);
      const [t, b, l, r] = s.padding;
      if (mode === 'explicit') x = apply(tf.layers.zeroPadding2d({ padding: [[t, b], [l, r]], name: `${s.name}/pad` }), x);
      const common = { kernelSize: s.kernel, strides: s.stride, dilationRate: s.dilation ?? 1, padding: mode === 'same' ? ('same' as const) : ('valid' as const), useBias: s.bias === true, name: `${s.name}/conv` };
      // Grouped and mixed convolutions hold their kernel dense (or depthwise) with zeros (fold.ts convKernel).
      x = apply(isDepthwise(s) ? tf.layers.depthwiseConv2d({ ...common, depthMultiplier: 1 }) : tf.layers.conv2d({ ...common, filters: s.out }), x);
      // Keras' momentum weighs the old statistic, PyTorch's the new one.
      if (s.norm) x = apply(tf.layers.batchNormalization({ axis: -1, epsilon: s.norm.eps, momentum: 1 - s.norm.momentum, name: `${s.name}/bn` }), x);
      return act(x, s.act, `${s.name}/act`);
    },
    se(x, s) {
      let g = apply(tf.layers.globalAveragePooling2d({ name: `${s.name}/pool` }), x);
      g = act(apply(tf.layers.dense({ units: s.squeeze, name: `${s.name}/fc1` }), g), s.act, `${s.name}/act`);
      g = act(apply(tf.layers.dense({ units: s.channels, name: `${s.name}/fc2` }), g), s.gate, `${s.name}/gate`);
      g = apply(tf.layers.reshape({ targetShape: [1, 1, s.channels], name: `${s.name}/reshape` }), g);
      return apply(tf.layers.multiply({ name: `${s.name}/scale` }), [x, g]);
    },
    block(x, s, body) {
      let y = body(x);
      if (!s.residual) return y;
      if (s.dropPath > 0) y = apply(custom.stochasticDepth(s.dropPath, `${s.name}/drop_path`), y);
      return apply(tf.layers.add({ name: `${s.name}/add` }), [x, y]);
    },
    classifier(x, s) {
      let y = apply(tf.layers.globalAveragePooling2d({ name: 'classifier/pool' }), x);
      if (s.hidden) y = act(apply(tf.layers.dense({ units: s.hidden.out, name: s.hidden.name }), y), s.hidden.act, `${s.hidden.name}/act`);
      if (s.dropout > 0) y = apply(tf.layers.dropout({ rate: s.dropout, name: 'classifier/dropout' }), y);
      return act(apply(tf.layers.dense({ units: s.linear.out, name: s.linear.name }), y), s.linear.act, `${s.linear.name}/act`);
    },
  };
}

/** Each layer's tf.layers weights, in the order `setWeights` takes them. */
function layerValues(l: LayerSpec, weights: Weights): [string, Float32Array[]][] {
  const s = l.spec;
  switch (l.kind) {
    case 'conv': {
      const c = l.spec;
      const conv = [convKernel(weights, c), ...(c.bias ? [slot(weights, c.name, 'conv.bias', c.out)] : [])];
      const bn = (['bn.weight', 'bn.bias', 'bn.mean', 'bn.var'] as const).map((n) => slot(weights, c.name, n, c.out));
      return [[`${c.name}/conv`, conv], ...(c.norm ? [[`${c.name}/bn`, bn] as [string, Float32Array[]]] : [])];
    }
    case 'se': {
      const e = l.spec;
      return [
        [`${e.name}/fc1`, [transpose(slot(weights, e.name, 'fc1.weight', e.squeeze * e.channels), e.squeeze, e.channels), slot(weights, e.name, 'fc1.bias', e.squeeze)]],
        [`${e.name}/fc2`, [transpose(slot(weights, e.name, 'fc2.weight', e.squeeze * e.channels), e.channels, e.squeeze), slot(weights, e.name, 'fc2.bias', e.channels)]],
      ];
    }
    case 'linear':
      return [[s.name, [transpose(slot(weights, s.name, 'linear.weight', l.spec.in * l.spec.out), l.spec.out, l.spec.in), slot(weights, s.name, 'linear.bias', l.spec.out)]]];
  }
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

function opsBuilder(tf: Tf, prepared: Map<string, Prepared>): Builder<tfjs.Tensor> {
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
      const [t, b, l, r] = s.padding;
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
      const o = get(s.linear.name, 'dense');
      return dense(y, o.kernel, o.bias, s.linear.act);
    },
  };
}

// ---- the runtime -------------------------------------------------------------

const runtimes = new WeakMap<object, TfjsRuntime>();

/** The runtime over one tf namespace (made once per namespace). */
export function tfjsRuntime(tf: Tf): TfjsRuntime {
  const known = runtimes.get(tf);
  if (known) return known;
  let custom: CustomLayers | undefined;
  const who = (meta: ModelMetadata) => `${meta.family} ${meta.variant}`;

  const runtime: TfjsRuntime = {
    createModel(network, meta, options = {}) {
      custom ??= customLayers(tf);
      const input = tf.input({ shape: [meta.resolution, meta.resolution, inputChannels(network)], name: 'input' });
      const output = network<Sym>(input, layersBuilder(tf, custom));
      const model = tf.model({ inputs: input, outputs: output, name: `${meta.family}_${meta.variant}` });
      if (options.weights) runtime.setWeights(model, network, options.weights);
      return model;
    },

    setWeights(model, network, weights) {
      for (const l of layerSpecs(network)) {
        for (const [name, values] of layerValues(l, weights)) {
          const layer = model.getLayer(name);
          const shapes = layer.getWeights().map((w) => w.shape);
          tf.tidy(() => layer.setWeights(values.map((v, i) => tf.tensor(v, shapes[i]))));
        }
      }
    },

    createInference(network, meta, weights) {
      const prepared = prepare(tf, layerSpecs(network), weights);
      const builder = opsBuilder(tf, prepared);
      const r = meta.resolution;
      const channels = inputChannels(network);
      const run = (input: tfjs.Tensor4D): tfjs.Tensor2D => {
        const [, h, w, c] = input.shape;
        if (input.rank !== 4 || h !== r || w !== r || c !== channels)
          throw new Error(`${who(meta)} takes an NHWC batch [N, ${r}, ${r}, ${channels}], not [${input.shape.join(', ')}]`);
        return tf.tidy(() => network<tfjs.Tensor>(input, builder) as tfjs.Tensor2D);
      };
      return Object.assign(run, {
        dispose() {
          for (const p of prepared.values()) for (const t of Object.values(p)) if (typeof t !== 'string') t.dispose();
          prepared.clear();
        },
      });
    },

    loadWeights(network, meta, bytes, layout = 'torchvision') {
      return bindCheckpoint(parseSafetensors(bytes), layerSpecs(network), layout, who(meta));
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
