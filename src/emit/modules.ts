// Module names generated code imports by default, apart from the emitters so that
// the CLI can show them in its help without loading an emitter.

/** Where generated tfjs code imports TensorFlow.js from unless `--tfjs-module` says otherwise. */
export const DEFAULT_TFJS_MODULE = '@tensorflow/tfjs';
