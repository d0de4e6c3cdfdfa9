// The reader lives with the runtime, which generated code imports; re-exported for the compiler side.
export { parseSafetensors, WeightsError, type SafetensorsFile, type Tensor } from '../runtime/safetensors.js';
