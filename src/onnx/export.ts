import type { VariantGraph } from '../graph/graph.js';
import { modelNetwork, modelSpec } from '../graph/model-spec.js';
import type { Weights } from '../runtime/checkpoint.js';
import { InputSizeError, inputChannels, shapesAt } from '../runtime/spec.js';
import { OnnxExportError } from './errors.js';
import { GraphBuilder } from './graph-builder.js';
import { onnxBuilder, type Value } from './layers.js';
import { DataType, encodeModel, type DimensionMessage, type ValueInfoMessage } from './schema.js';

// A variant with its weights as one ONNX model: the network walked once with
// the ONNX builder (layers.ts), BatchNorm folded, NCHW float input, logits (or
// a feature network's maps, or pooled features) out. Pure: the same graph and
// weights give the same bytes.

/** ONNX's default operator set at this version, and the IR version that goes with it. */
export const OPSET = 17;
export const IR_VERSION = 8;
export const PRODUCER = 'effnet';

export interface OnnxOptions {
  /** Any input height and width (`H`, `W` in the model), instead of the fixed size. */
  dynamic?: boolean;
  /** The fixed input size (default: the variant's resolution). */
  height?: number;
  width?: number;
  /** Written as the model's producer_version. */
  producerVersion?: string;
}

export interface OnnxModel {
  bytes: Uint8Array;
  input: { name: string; shape: (number | string)[] };
  outputs: { name: string; shape: (number | string)[] }[];
  nodes: number;
  initializers: number;
  /** Operator types used, sorted. */
  ops: string[];
}

export const INPUT_NAME = 'input';

const dims = (shape: (number | string)[]): DimensionMessage[] => shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d }));
const valueInfo = (name: string, shape: (number | string)[]): ValueInfoMessage => ({ name, type: { tensor_type: { elem_type: DataType.FLOAT, shape: { dim: dims(shape) } } } });

export function exportOnnx(g: VariantGraph, weights: Weights, options: OnnxOptions = {}): OnnxModel {
  const network = modelNetwork(modelSpec(g));
  const channels = inputChannels(network);
  const height = options.dynamic ? undefined : (options.height ?? g.resolution);
  const width = options.dynamic ? undefined : (options.width ?? g.resolution);
  if (height !== undefined && width !== undefined) {
    try {
      shapesAt(network, height, width);
    } catch (e) {
      if (e instanceof InputSizeError) throw new OnnxExportError(`${g.family} ${g.variant} cannot take ${height}×${width} input: ${e.message}`);
      throw e;
    }
  }
  const builder = new GraphBuilder([INPUT_NAME]);
  const features: Value[] = [];
  const last = network<Value>({ name: INPUT_NAME, c: channels, h: height, w: width }, onnxBuilder(builder, weights, features));

  const spatial = (v: Value): (number | string)[] => [v.h ?? `${v.name}.height`, v.w ?? `${v.name}.width`];
  const outputs =
    g.features.length > 0
      ? features.map((f) => ({ name: f.name, shape: ['N', f.c, ...spatial(f)] }))
      : [{ name: builder.rename(last.name, g.classes > 0 ? 'logits' : 'pooled_features'), shape: ['N', last.c] }];
  const input = { name: INPUT_NAME, shape: ['N', channels, height ?? 'H', width ?? 'W'] };
  const what = g.features.length > 0 ? 'feature maps' : g.classes > 0 ? 'logits' : 'pooled features';
  const bytes = encodeModel({
    ir_version: IR_VERSION,
    producer_name: PRODUCER,
    producer_version: options.producerVersion ?? '',
    doc_string: `${g.family} ${g.variant}: NCHW float input, ${what} out; BatchNorm folded into the convolutions`,
    graph: {
      node: builder.nodes,
      name: `${g.family}_${g.variant}`,
      initializer: builder.initializers,
      input: [valueInfo(input.name, input.shape)],
      output: outputs.map((o) => valueInfo(o.name, o.shape)),
    },
    opset_import: [{ domain: '', version: OPSET }],
    metadata_props: [
      { key: 'family', value: g.family },
      { key: 'variant', value: g.variant },
      { key: 'resolution', value: String(g.resolution) },
    ],
  });
  return { bytes, input, outputs, nodes: builder.nodes.length, initializers: builder.initializers.length, ops: [...new Set(builder.nodes.map((n) => n.op_type))].sort() };
}
