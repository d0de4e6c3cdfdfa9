import type * as OrtNode from 'onnxruntime-node';

// ONNX Runtime for Node: an optional peer effnet never installs, loaded only
// when a command runs an ONNX model. Sessions run on the CPU with every graph
// optimisation on (ONNX Runtime's own Conv + activation fusions and the like).

export type Ort = typeof OrtNode;

/** ONNX Runtime is not installed: the message names the install command. */
export class OrtMissingError extends Error {}

export const ORT_PACKAGE = 'onnxruntime-node';

/** `specifier` is for tests: a package that is not there. */
export async function loadOrt(specifier: string = ORT_PACKAGE): Promise<Ort> {
  try {
    return (await import(specifier)) as Ort;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')
      throw new OrtMissingError(`running ONNX models needs ${specifier}, which effnet does not install (npm install ${specifier})`);
    throw new OrtMissingError(`${specifier} did not load: ${(e as Error).message.split('\n')[0]}`);
  }
}

export interface SessionOptions {
  /** Intra-op threads (default: ONNX Runtime's choice, one per core). */
  threads?: number;
}

/** A session over the model's bytes, graph optimisation 'all', sequential execution. */
export function createSession(ort: Ort, bytes: Uint8Array, options: SessionOptions = {}): Promise<OrtNode.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    ...(options.threads !== undefined ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {}),
  });
}
