// float32 → IEEE 754 binary16 bits, exactly as a hardware conversion would
// (round to nearest, ties to even; subnormals kept; NaN stays NaN). Node 20 has
// neither Float16Array nor Math.f16round, and WGSL's unpack2x16float reads these
// bits back on every adapter, with or without the `shader-f16` feature.

/** Largest finite half float. */
export const HALF_MAX = 65504;

/** Rounds `kept` (the integer part) by the `dropped` low `bits` bits below it, ties to even. */
function roundEven(kept: number, dropped: number, bits: number): number {
  const half = 1 << (bits - 1);
  return dropped > half || (dropped === half && (kept & 1) === 1) ? kept + 1 : kept;
}

/** The binary16 bits of one float32, given as its bits; a finite value beyond ±65504 (after rounding) becomes ±Infinity. */
export function halfBitsOf(f32bits: number): number {
  const sign = (f32bits >>> 16) & 0x8000;
  const exponent = (f32bits >>> 23) & 0xff;
  const mantissa = f32bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200 | (mantissa >>> 13)); // ±Infinity, or a quiet NaN
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // A half subnormal (or zero): the 24-bit significand in units of 2^-24.
    const shift = 14 - e;
    if (shift > 24) return sign;
    const m = mantissa | 0x800000;
    return sign | roundEven(m >>> shift, m & ((1 << shift) - 1), shift);
  }
  // A carry out of the mantissa moves into the exponent, up to Infinity: that is the right answer.
  return sign | roundEven((e << 10) | (mantissa >>> 13), mantissa & 0x1fff, 13);
}

/**
 * `values` as binary16 bits, in order (two per 32-bit word, the first in the low half, as
 * unpack2x16float reads them). Returns the index of the first finite value that overflows to
 * ±Infinity, or -1 when none does.
 */
export function toHalf(values: Float32Array, into: Uint16Array): number {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  let overflow = -1;
  for (let i = 0; i < bits.length; i++) {
    const h = halfBitsOf(bits[i]!);
    if (overflow < 0 && (h & 0x7fff) === 0x7c00 && Number.isFinite(values[i]!)) overflow = i;
    into[i] = h;
  }
  return overflow;
}

/** The value of binary16 bits (what the GPU will read). */
export function halfValue(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
