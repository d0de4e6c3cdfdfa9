import { AttributeType, DataType, type AttributeMessage, type NodeMessage, type TensorMessage } from './schema.js';

// Collects an ONNX graph's nodes and initializers while the network is walked:
// one place that names values, refuses a name used twice, and stores floats as
// little-endian raw bytes (what every ONNX reader takes, on any host).

export type AttributeValue = number | number[] | string | { float: number } | { floats: number[] };

function attribute(name: string, value: AttributeValue): AttributeMessage {
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') return { name, type: AttributeType.INT, i: value };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  return { name, type: AttributeType.FLOATS, floats: value.floats };
}

const LITTLE_ENDIAN = new Uint8Array(Float32Array.of(1).buffer)[3] === 0x3f;

function littleEndian(values: Float32Array): Uint8Array {
  // The host's own bytes where they already are little-endian (every common host): a copy, no per-value work.
  if (LITTLE_ENDIAN) return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return bytes;
}

function int64s(values: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  for (const [i, v] of values.entries()) view.setBigInt64(i * 8, BigInt(v), true);
  return bytes;
}

export class GraphBuilder {
  readonly nodes: NodeMessage[] = [];
  readonly initializers: TensorMessage[] = [];
  private readonly names = new Set<string>();
  /** The node producing each value, and whether anything reads it yet (to rename a fresh output). */
  private readonly producer = new Map<string, NodeMessage>();
  private readonly read = new Set<string>();

  constructor(inputs: readonly string[]) {
    for (const name of inputs) this.claim(name);
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`the ONNX graph would name two values \`${name}\``);
    this.names.add(name);
    return name;
  }

  /** A float initializer, named as given. */
  floats(name: string, dims: readonly number[], values: Float32Array, doc?: string): string {
    if (values.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`initializer \`${name}\` holds ${values.length} values, not [${dims.join(', ')}]`);
    this.initializers.push({ dims: [...dims], data_type: DataType.FLOAT, name: this.claim(name), raw_data: littleEndian(values), ...(doc ? { doc_string: doc } : {}) });
    return name;
  }

  /** A 1-D int64 initializer (Split sizes and the like). */
  int64s(name: string, values: readonly number[]): string {
    this.initializers.push({ dims: [values.length], data_type: DataType.INT64, name: this.claim(name), raw_data: int64s(values) });
    return name;
  }

  /** A float scalar initializer, shared by every node that asks for the same value. */
  scalar(value: number): string {
    const name = `const.${value}`;
    if (!this.names.has(name)) this.floats(name, [], Float32Array.of(value));
    return name;
  }

  /** One node with one output named `name`; returns the output. */
  node(opType: string, name: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}): string {
    return this.nodeOutputs(opType, name, inputs, [name], attributes)[0]!;
  }

  /** One node with several outputs. */
  nodeOutputs(opType: string, name: string, inputs: readonly string[], outputs: readonly string[], attributes: Record<string, AttributeValue> = {}): string[] {
    const node: NodeMessage = {
      input: [...inputs],
      output: outputs.map((o) => this.claim(o)),
      name,
      op_type: opType,
      attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v)),
    };
    for (const i of inputs) this.read.add(i);
    for (const o of node.output) this.producer.set(o, node);
    this.nodes.push(node);
    return node.output;
  }

  /**
   * Gives a value the name a graph output must have: its producer's output renamed when nothing
   * reads it yet, else an Identity node.
   */
  rename(value: string, name: string): string {
    const node = this.producer.get(value);
    if (value === name) return name;
    if (!node || this.read.has(value)) return this.node('Identity', name, [value]);
    this.claim(name);
    this.names.delete(value);
    this.producer.delete(value);
    node.output = node.output.map((o) => (o === value ? name : o));
    this.producer.set(name, node);
    return name;
  }
}
