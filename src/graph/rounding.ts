import type { RepeatRounding } from '../ir/ir.js';

/**
 * torchvision / timm `_make_divisible`: round to the nearest multiple of
 * `divisor` (at least `min`), and add one divisor when that lost more than
 * (1 − limit) of the value.
 */
export function makeDivisible(v: number, divisor = 8, min = divisor, limit = 0.9): number {
  const rounded = Math.max(min, Math.floor(Math.floor(v + divisor / 2) / divisor) * divisor);
  return rounded < limit * v ? rounded + divisor : rounded;
}

/** Python's round(): halves go to the even neighbour (timm's `depth_trunc='round'`). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Scaled repeats of a stage; never below 1. */
export function scaleRepeats(n: number, depth: number, mode: RepeatRounding): number {
  const x = n * depth;
  const scaled = mode === 'ceil' ? Math.ceil(x) : mode === 'floor' ? Math.floor(x) : roundHalfEven(x);
  return Math.max(1, scaled);
}
