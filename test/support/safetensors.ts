export { writeSafetensors } from '../../src/runtime/safetensors.js';
