import type { ImageTransform, ModelMetadata } from './spec.js';

// An image as a network's input, the way torchvision's ImageClassification
// transform makes it from a tensor image with antialias=True: resize the shorter
// side (separable, antialiased bilinear or bicubic: the filter widens by the
// downscale factor; a bicubic result clamped to the image's range), centre-crop,
// scale to [0, 1], normalise. Computed in float64 without rounding the resized
// image back to bytes (torchvision's uint8 path does, which moves values by at
// most half a level). Imports nothing at run time: generated modules use it in
// browsers and Node alike.

/** Pixels as ImageData holds them (RGBA, 4 values a pixel) or raw RGB (3), row by row, 0–255. Alpha is ignored. */
export interface RgbImage {
  readonly data: ArrayLike<number>;
  readonly width: number;
  readonly height: number;
}

/** `nhwc`: `[1, H, W, 3]`, what the generated tfjs and WGSL models take; `nchw`: `[1, 3, H, W]`, torchvision's. */
export type TensorLayout = 'nhwc' | 'nchw';

export interface PreprocessOptions {
  /** Default `nhwc`. */
  layout?: TensorLayout;
  /**
   * Crop `size`×`size` instead of the transform's crop, resized by the same fraction (the shorter
   * side to ⌊resize · size / crop⌋): for a model planned at another size than it was evaluated at.
   */
  size?: number;
}

/** An image the transform cannot take (no pixels, or data that does not match its size). */
export class ImageError extends Error {}

/** A model's top classes: softmax probability, highest first. */
export interface Prediction {
  index: number;
  label: string;
  probability: number;
}

/** [height, width] after resizing the shorter side to `shorter`: the longer one becomes int(shorter · long / short), as torchvision computes it. */
export function resizedSize(height: number, width: number, shorter: number): [number, number] {
  if (width <= height) return [Math.trunc((shorter * height) / width), shorter];
  return [shorter, Math.trunc((shorter * width) / height)];
}

/** Where a centred crop starts: round((size − crop) / 2), halves to even as Python's round. */
export function cropOffset(size: number, crop: number): number {
  const half = (size - crop) / 2;
  const floor = Math.floor(half);
  return half - floor === 0.5 ? (floor % 2 === 0 ? floor : floor + 1) : Math.round(half);
}

interface Kernel {
  /** Half the kernel's width at scale 1 (torchvision's interp_size / 2). */
  radius: number;
  at(x: number): number;
}

/** Cubic convolution with a = −0.5, the coefficient of PIL's and torch's antialiased bicubic. */
const A = -0.5;
const KERNELS: Record<ImageTransform['interpolation'], Kernel> = {
  bilinear: { radius: 1, at: (x) => Math.max(0, 1 - Math.abs(x)) },
  bicubic: {
    radius: 2,
    at(x) {
      const t = Math.abs(x);
      if (t < 1) return ((A + 2) * t - (A + 3)) * t * t + 1;
      if (t < 2) return ((A * t - 5 * A) * t + 8 * A) * t - 4 * A;
      return 0;
    },
  },
};

/** One axis of an antialiased resize, for outputs from..from+count−1: each output's first input, tap count and normalised weights. */
interface AxisWeights {
  first: Int32Array;
  taps: Int32Array;
  /** `stride` weights per output. */
  weights: Float64Array;
  stride: number;
}

function axisWeights(inSize: number, outSize: number, kernel: Kernel, from: number, count: number): AxisWeights {
  const scale = inSize / outSize;
  // Downscaling widens the filter by the scale: every input pixel counts (the antialiasing).
  const support = kernel.radius * Math.max(scale, 1);
  const invScale = scale >= 1 ? 1 / scale : 1;
  const stride = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(count);
  const taps = new Int32Array(count);
  const weights = new Float64Array(count * stride);
  for (let k = 0; k < count; k++) {
    const center = scale * (from + k + 0.5);
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const n = Math.min(Math.trunc(center + support + 0.5), inSize) - lo;
    let total = 0;
    for (let j = 0; j < n; j++) {
      const w = kernel.at((j + lo - center + 0.5) * invScale);
      weights[k * stride + j] = w;
      total += w;
    }
    if (total !== 0) for (let j = 0; j < n; j++) weights[k * stride + j]! /= total;
    first[k] = lo;
    taps[k] = n;
  }
  return { first, taps, weights, stride };
}

/** Values a pixel (3 or 4), checking the image's size against its data. */
function pixelStride(image: RgbImage): number {
  const { width, height } = image;
  if (!(Number.isSafeInteger(width) && width > 0 && Number.isSafeInteger(height) && height > 0)) throw new ImageError(`an image needs a positive integer width and height, not ${width}×${height}`);
  const n = image.data.length;
  if (n === width * height * 4) return 4;
  if (n === width * height * 3) return 3;
  throw new ImageError(`a ${width}×${height} image holds ${width * height * 4} values (RGBA) or ${width * height * 3} (RGB), not ${n}`);
}

/**
 * `image` as the network's input under `transform`: a Float32Array `[1, crop, crop, 3]` (NHWC,
 * the default) or `[1, 3, crop, crop]` (NCHW), with crop = `options.size` when given.
 */
export function preprocessImage(image: RgbImage, transform: ImageTransform, options: PreprocessOptions = {}): Float32Array {
  const channels = pixelStride(image);
  const crop = options.size ?? transform.crop;
  const resize = options.size === undefined ? transform.resize : Math.floor((transform.resize * options.size) / transform.crop);
  if (!(Number.isSafeInteger(crop) && crop > 0 && crop <= resize)) throw new ImageError(`cannot crop ${crop}×${crop} from an image resized to ${resize}`);
  const { data, width, height } = image;
  const [outH, outW] = resizedSize(height, width, resize);
  const top = cropOffset(outH, crop);
  const left = cropOffset(outW, crop);
  const kernel = KERNELS[transform.interpolation];
  // Only the crop's rows and columns of the resized image are computed: the same values.
  const cols = axisWeights(width, outW, kernel, left, crop);
  const rows = axisWeights(height, outH, kernel, top, crop);
  const rowLo = rows.first[0]!;
  const rowHi = rows.first[crop - 1]! + rows.taps[crop - 1]!;

  // Horizontal pass over the input rows the vertical pass reads: [row][column][channel].
  const wide = new Float64Array((rowHi - rowLo) * crop * 3);
  for (let y = rowLo; y < rowHi; y++) {
    const base = y * width;
    for (let k = 0; k < crop; k++) {
      const x0 = cols.first[k]!;
      const n = cols.taps[k]!;
      const w0 = k * cols.stride;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let j = 0; j < n; j++) {
        const w = cols.weights[w0 + j]!;
        const p = (base + x0 + j) * channels;
        r += w * data[p]!;
        g += w * data[p + 1]!;
        b += w * data[p + 2]!;
      }
      const o = ((y - rowLo) * crop + k) * 3;
      wide[o] = r;
      wide[o + 1] = g;
      wide[o + 2] = b;
    }
  }

  // Bicubic overshoots at edges: clamped to the image's range, as torchvision does for a uint8 image and PIL for any.
  const clamp = transform.interpolation === 'bicubic';
  const nchw = options.layout === 'nchw';
  const plane = crop * crop;
  const out = new Float32Array(plane * 3);
  const scale = transform.std.map((s) => 1 / (255 * s));
  const shift = transform.mean.map((m, c) => m / transform.std[c]!);
  for (let i = 0; i < crop; i++) {
    const y0 = rows.first[i]! - rowLo;
    const n = rows.taps[i]!;
    const w0 = i * rows.stride;
    for (let k = 0; k < crop; k++) {
      for (let c = 0; c < 3; c++) {
        let v = 0;
        for (let j = 0; j < n; j++) v += rows.weights[w0 + j]! * wide[((y0 + j) * crop + k) * 3 + c]!;
        if (clamp) v = Math.min(255, Math.max(0, v));
        // (v / 255 − mean) / std
        out[nchw ? c * plane + i * crop + k : (i * crop + k) * 3 + c] = v * scale[c]! - shift[c]!;
      }
    }
  }
  return out;
}

/** A generated model's `preprocess`: its metadata's transform, or an ImageError for a model that takes no RGB image. */
export function modelPreprocess(meta: Pick<ModelMetadata, 'family' | 'variant' | 'inputChannels' | 'preprocess'>, image: RgbImage, options: PreprocessOptions = {}): Float32Array {
  if (meta.preprocess === undefined) throw new ImageError(`${meta.family} ${meta.variant} takes ${meta.inputChannels}-channel input, not an RGB image`);
  return preprocessImage(image, meta.preprocess, options);
}

/** Softmax of one image's logits (float64, shifted by the largest logit so that nothing overflows). */
export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const out = new Float64Array(logits.length);
  let total = 0;
  for (let i = 0; i < logits.length; i++) total += out[i] = Math.exp(logits[i]! - max);
  for (let i = 0; i < out.length; i++) out[i]! /= total;
  return out;
}

export interface TopOptions {
  /** How many (default 5). */
  k?: number;
  /** Which image of a batch's logits `[N, classes]` (default 0). */
  image?: number;
  /** Class names by index; without them, `class <i>`. */
  labels?: readonly string[];
}

/** The `k` most probable of `classes` classes of one image in a batch's logits, highest first (ties: the lower index first). */
export function topClasses(logits: ArrayLike<number>, classes: number, options: TopOptions = {}): Prediction[] {
  const { k = 5, image = 0, labels } = options;
  if (!(Number.isSafeInteger(classes) && classes > 0)) throw new RangeError(`top classes need a positive class count, not ${classes}`);
  if (!(Number.isSafeInteger(image) && image >= 0 && (image + 1) * classes <= logits.length)) throw new RangeError(`logits of ${logits.length} values hold no image ${image} of ${classes} classes`);
  const row = Array.from({ length: classes }, (_, i) => logits[image * classes + i]!);
  const p = softmax(row);
  const order = Array.from(p.keys()).sort((a, b) => p[b]! - p[a]! || a - b);
  return order.slice(0, Math.max(0, k)).map((index) => ({ index, label: labels?.[index] ?? `class ${index}`, probability: p[index]! }));
}
