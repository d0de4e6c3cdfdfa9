// What the exporter cannot write: a layer or setting ONNX (opset 17) has no
// operator for here. Its message is one line naming the layer; the CLI prints
// it and exits 1, and no file is written.

export class OnnxExportError extends Error {}
