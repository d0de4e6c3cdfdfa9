import type * as tfjs from '@tensorflow/tfjs';
import type { Weights } from './checkpoint.js';
import { slot, transpose } from './fold.js';
import { inputChannels, layerSpecs, paddingMode, shapesAt, type Activation, type Builder, type ConvSpec, type LayerSpec, type ModelMetadata, type Network } from './spec.js';
import { activate, LAYER_ACTIVATIONS, type Tf } from './tfjs-activations.js';
import { dilatedConvClass, type DilatedConvConfig } from './tfjs-dilated.js';
import { convParts, isDepthwiseLayer, splitLayerClass } from './tfjs-split.js';

// The trainable tf.layers model generated `createModel` returns: one named
// layer (or a few) per torchvision module, weights set from a checkpoint. A
// mixed or grouped convolution is one layer per split or group (tfjs-split.ts),
// so the model holds exactly the checkpoint's parameters.

export interface ModelOptions {
  /** Weights from `loadWeights`; without them the layers keep their initialisers. */
  weights?: Weights;
  /** Input height (default: the variant's resolution); null takes any height (Keras `[null, null, C]`). */
  height?: number | null;
  /** Input width (default: the variant's resolution); null takes any width. */
  width?: number | null;
}

interface CustomLayers {
  stochasticDepth(rate: number, name: string): tfjs.layers.Layer;
  activation(act: Activation, name: string): tfjs.layers.Layer;
  /** Splits the channels into these sizes: one output each. */
  split(sizes: number[], name: string): tfjs.layers.Layer;
  /** A stride-1 dilated convolution that computes (and trains) what it says. */
  dilatedConv(config: DilatedConvConfig): tfjs.layers.Layer;
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
  const Split = splitLayerClass(tf);
  const DilatedConv = dilatedConvClass(tf);
  tf.serialization.registerClass(StochasticDepth);
  tf.serialization.registerClass(TorchActivation);
  tf.serialization.registerClass(Split);
  tf.serialization.registerClass(DilatedConv);
  return {
    stochasticDepth: (rate, name) => new StochasticDepth({ rate, name }),
    activation: (activation, name) => new TorchActivation({ activation, name }),
    split: (sizes, name) => new Split({ sizes, name }),
    dilatedConv: (config) => new DilatedConv(config),
  };
}

type Sym = tfjs.SymbolicTensor;

/** `<name>/conv` names a convolution run whole; `<name>/conv.<i>` each split or group of one run in parts. */
const convSuffix = (i: number, parts: number): string => (parts === 1 ? '' : `.${i}`);

function layersBuilder(tf: Tf, custom: CustomLayers, features: Sym[]): Builder<Sym> {
  const apply = (layer: tfjs.layers.Layer, x: Sym | Sym[]): Sym => layer.apply(x) as Sym;
  const act = (x: Sym, a: Activation, name: string): Sym => {
    if (a === 'identity') return x;
    const native = LAYER_ACTIVATIONS[a];
    return apply(native ? tf.layers.activation({ activation: native, name }) : custom.activation(a, name), x);
  };
  /** The input zero-padded where the padding mode needs it, and the mode the convolution then takes. */
  const padded = (x: Sym, p: ConvSpec, suffix: string): { x: Sym; mode: 'same' | 'valid' } => {
    const [, h, w] = x.shape;
    // Without a fixed size (ModelOptions height/width null), a mode that holds for every size.
    const mode = typeof h === 'number' && typeof w === 'number' ? paddingMode(p, h, w) : paddingMode(p);
    if (mode !== 'explicit') return { x, mode };
    const [t, b, l, r] = p.padding;
    return { x: apply(tf.layers.zeroPadding2d({ padding: [[t, b], [l, r]], name: `${p.name}/pad${suffix}` }), x), mode: 'valid' };
  };
  /** One tf.layers convolution `<name>/conv<suffix>` of `p` (a whole ConvSpec or one of its parts); `mode` when already padded. */
  const convLayer = (x: Sym, p: ConvSpec, suffix: string, mode?: 'same' | 'valid'): Sym => {
    if (mode === undefined) ({ x, mode } = padded(x, p, suffix));
    const name = `${p.name}/conv${suffix}`;
    const depthwise = isDepthwiseLayer(p);
    const dilation = p.dilation ?? 1;
    if (dilation > 1) {
      if (p.stride !== 1) throw new Error(`layer \`${p.name}\`: a dilated convolution with stride ${p.stride}`);
      return apply(custom.dilatedConv({ name, kernelSize: p.kernel, dilation, padding: mode, filters: depthwise ? null : p.out, depthMultiplier: depthwise ? p.out / p.in : 1, useBias: p.bias === true }), x);
    }
    const common = { kernelSize: p.kernel, strides: p.stride, padding: mode, useBias: p.bias === true, name };
    return apply(depthwise ? tf.layers.depthwiseConv2d({ ...common, depthMultiplier: p.out / p.in }) : tf.layers.conv2d({ ...common, filters: p.out }), x);
  };
  return {
    conv(x, s) {
      const parts = convParts(s);
      if (parts.length === 1) x = convLayer(x, s, '');
      else {
        // A grouped convolution pads once; a mixed one pads each split for its own kernel.
        const whole = s.splits ? null : padded(x, s, '');
        const xs = custom.split(parts.map((p) => p.spec.in), `${s.name}/split`).apply(whole?.x ?? x) as Sym[];
        const ys = parts.map((p, i) => convLayer(xs[i]!, p.spec, convSuffix(i, parts.length), whole?.mode));
        x = apply(tf.layers.concatenate({ axis: -1, name: `${s.name}/concat` }), ys);
      }
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
      // `classes 0`: the pooled features out, no dropout before nothing.
      if (!s.linear) return y;
      if (s.dropout > 0) y = apply(tf.layers.dropout({ rate: s.dropout, name: 'classifier/dropout' }), y);
      return act(apply(tf.layers.dense({ units: s.linear.out, name: s.linear.name }), y), s.linear.act, `${s.linear.name}/act`);
    },
    feature: (x) => (features.push(x), x),
  };
}

/** Each layer's tf.layers weights, in the order `setWeights` takes them. */
function layerValues(l: LayerSpec, weights: Weights): [string, Float32Array[]][] {
  const s = l.spec;
  switch (l.kind) {
    case 'conv': {
      const c = l.spec;
      const parts = convParts(c);
      const bias = c.bias ? slot(weights, c.name, 'conv.bias', c.out) : null;
      const convs = parts.map((p, i): [string, Float32Array[]] => [
        `${c.name}/conv${convSuffix(i, parts.length)}`,
        [p.kernel(weights), ...(bias ? [bias.subarray(p.outOffset, p.outOffset + p.spec.out)] : [])],
      ]);
      if (!c.norm) return convs;
      return [...convs, [`${c.name}/bn`, (['bn.weight', 'bn.bias', 'bn.mean', 'bn.var'] as const).map((n) => slot(weights, c.name, n, c.out))]];
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

const registered = new WeakMap<object, CustomLayers>();

/**
 * The model: NHWC input at the variant's resolution (or `options.height` × `options.width`, null for
 * any size), logits out (pooled features for `classes 0`, the feature maps for a feature network).
 */
export function createLayersModel(tf: Tf, network: Network, meta: ModelMetadata, options: ModelOptions = {}): tfjs.LayersModel {
  let custom = registered.get(tf);
  if (!custom) registered.set(tf, (custom = customLayers(tf)));
  const height = options.height === undefined ? meta.resolution : options.height;
  const width = options.width === undefined ? meta.resolution : options.width;
  // A size the network cannot take: InputSizeError naming the layer, not a tf.layers shape error.
  if (height !== null && width !== null) shapesAt(network, height, width);
  const input = tf.input({ shape: [height, width, inputChannels(network)], name: 'input' });
  const features: Sym[] = [];
  const output = network<Sym>(input, layersBuilder(tf, custom, features));
  const model = tf.model({ inputs: input, outputs: meta.features.length > 0 ? features : output, name: `${meta.family}_${meta.variant}` });
  if (options.weights) setLayersWeights(tf, model, network, options.weights);
  return model;
}

/** Sets every layer's weights from a bound checkpoint. */
export function setLayersWeights(tf: Tf, model: tfjs.LayersModel, network: Network, weights: Weights): void {
  for (const l of layerSpecs(network)) {
    for (const [name, values] of layerValues(l, weights)) {
      const layer = model.getLayer(name);
      const shapes = layer.getWeights().map((w) => w.shape);
      tf.tidy(() => layer.setWeights(values.map((v, i) => tf.tensor(v, shapes[i]))));
    }
  }
}
