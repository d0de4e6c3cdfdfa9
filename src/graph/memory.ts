import type { Shape } from './graph.js';

/** float32 */
export const BYTES_PER_VALUE = 4;

export const shapeBytes = (s: Shape): number => s[0] * s[1] * s[2] * BYTES_PER_VALUE;

/** Sum of the output tensors of these layers (one image, float32). */
export function activationBytes(layers: readonly { outShape: Shape }[]): number {
  let total = 0;
  for (const l of layers) total += shapeBytes(l.outShape);
  return total;
}
