import protobuf from 'protobufjs';

// The part of ONNX's protobuf schema (onnx/onnx.proto, IR version 8) an exported
// network needs, stated with protobufjs's reflection API and the official field
// numbers. Only what effnet writes (and the producer name it reads back) is here.

/** TensorProto.DataType values effnet writes. */
export const DataType = { FLOAT: 1, INT64: 7 } as const;

/** AttributeProto.AttributeType values effnet writes. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

type FieldRule = 'repeated' | undefined;

function message(name: string, fields: [name: string, id: number, type: string, rule?: FieldRule][]): protobuf.Type {
  const t = new protobuf.Type(name);
  for (const [field, id, type, rule] of fields) t.add(new protobuf.Field(field, id, type, rule));
  return t;
}

const root = new protobuf.Root();
root.add(
  message('OperatorSetIdProto', [
    ['domain', 1, 'string'],
    ['version', 2, 'int64'],
  ]),
);
root.add(
  message('StringStringEntryProto', [
    ['key', 1, 'string'],
    ['value', 2, 'string'],
  ]),
);
root.add(
  message('TensorProto', [
    ['dims', 1, 'int64', 'repeated'],
    ['data_type', 2, 'int32'],
    ['name', 8, 'string'],
    ['raw_data', 9, 'bytes'],
    ['doc_string', 12, 'string'],
  ]),
);
root.add(
  message('AttributeProto', [
    ['name', 1, 'string'],
    ['f', 2, 'float'],
    ['i', 3, 'int64'],
    ['s', 4, 'bytes'],
    ['floats', 7, 'float', 'repeated'],
    ['ints', 8, 'int64', 'repeated'],
    ['type', 20, 'int32'],
  ]),
);
root.add(
  message('NodeProto', [
    ['input', 1, 'string', 'repeated'],
    ['output', 2, 'string', 'repeated'],
    ['name', 3, 'string'],
    ['op_type', 4, 'string'],
    ['attribute', 5, 'AttributeProto', 'repeated'],
    ['doc_string', 6, 'string'],
    ['domain', 7, 'string'],
  ]),
);
// TensorShapeProto.Dimension: `dim_value` or `dim_param` (a oneof; effnet sets exactly one).
const dimension = message('Dimension', [
  ['dim_value', 1, 'int64'],
  ['dim_param', 2, 'string'],
]);
const shape = message('TensorShapeProto', [['dim', 1, 'Dimension', 'repeated']]);
shape.add(dimension);
root.add(shape);
const typeProto = message('TypeProto', [['tensor_type', 1, 'Tensor']]);
typeProto.add(
  message('Tensor', [
    ['elem_type', 1, 'int32'],
    ['shape', 2, 'TensorShapeProto'],
  ]),
);
root.add(typeProto);
root.add(
  message('ValueInfoProto', [
    ['name', 1, 'string'],
    ['type', 2, 'TypeProto'],
    ['doc_string', 3, 'string'],
  ]),
);
root.add(
  message('GraphProto', [
    ['node', 1, 'NodeProto', 'repeated'],
    ['name', 2, 'string'],
    ['initializer', 5, 'TensorProto', 'repeated'],
    ['doc_string', 10, 'string'],
    ['input', 11, 'ValueInfoProto', 'repeated'],
    ['output', 12, 'ValueInfoProto', 'repeated'],
  ]),
);
root.add(
  message('ModelProto', [
    ['ir_version', 1, 'int64'],
    ['producer_name', 2, 'string'],
    ['producer_version', 3, 'string'],
    ['domain', 4, 'string'],
    ['model_version', 5, 'int64'],
    ['doc_string', 6, 'string'],
    ['graph', 7, 'GraphProto'],
    ['opset_import', 8, 'OperatorSetIdProto', 'repeated'],
    ['metadata_props', 14, 'StringStringEntryProto', 'repeated'],
  ]),
);
root.resolveAll();

export const ModelProto = root.lookupType('ModelProto');

// ---- the plain objects effnet builds (protobufjs field names) -------------------

export interface TensorMessage {
  dims: number[];
  data_type: number;
  name: string;
  raw_data: Uint8Array;
  doc_string?: string;
}

export interface AttributeMessage {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  floats?: number[];
  ints?: number[];
}

export interface NodeMessage {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  attribute: AttributeMessage[];
  doc_string?: string;
}

export type DimensionMessage = { dim_value: number } | { dim_param: string };

export interface ValueInfoMessage {
  name: string;
  type: { tensor_type: { elem_type: number; shape: { dim: DimensionMessage[] } } };
  doc_string?: string;
}

export interface GraphMessage {
  node: NodeMessage[];
  name: string;
  initializer: TensorMessage[];
  doc_string?: string;
  input: ValueInfoMessage[];
  output: ValueInfoMessage[];
}

export interface ModelMessage {
  ir_version: number;
  producer_name: string;
  producer_version: string;
  domain?: string;
  model_version?: number;
  doc_string?: string;
  graph: GraphMessage;
  opset_import: { domain: string; version: number }[];
  metadata_props?: { key: string; value: string }[];
}

/** The protobuf bytes of a model: fields in field-number order, so the same model gives the same bytes. */
export const encodeModel = (model: ModelMessage): Uint8Array => ModelProto.encode(ModelProto.fromObject(model)).finish();
