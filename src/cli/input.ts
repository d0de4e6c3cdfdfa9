import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { VariantGraph } from '../graph/graph.js';
import { modelNetwork, modelSpec } from '../graph/model-spec.js';
import { InputSizeError, shapesAt, type Network } from '../runtime/spec.js';
import { MiB, readRegularFile } from '../io/read.js';
import { readCheckpointFile } from '../weights/checkpoint-file.js';
import { DEFAULT_MAX_WEIGHTS_MIB } from '../weights/read.js';
import { createRequire } from 'node:module';
import type * as JpegJs from 'jpeg-js';
import type * as PngJs from 'pngjs';
import { UsageError } from './usage.js';

// What commands that run a model share: usage errors, reading files the
// user named (regular files only, bounded before reading), raw float32
// NCHW input (as torchvision takes it), and PNG or JPEG images.

export { UsageError } from './usage.js';

export type NCHW = [number, number, number, number];

/** The largest batch a command builds (as float32 bytes): a typed array's limit, well before memory runs out. */
export const MAX_INPUT_BYTES = 2 ** 31;

export function parseShape(text: string): NCHW {
  const dims = text.split(',').map((d) => (/^\s*[1-9]\d*\s*$/.test(d) ? Number(d) : NaN));
  if (dims.length !== 4 || !dims.every((d) => Number.isSafeInteger(d))) throw new UsageError(`--shape takes N,C,H,W (four positive integers), not ${JSON.stringify(text)}`);
  return dims as NCHW;
}

/** `--max-weights-mib`: a positive number of MiB. */
export function parseMaxWeightsMib(text: string | undefined): number {
  if (text === undefined) return DEFAULT_MAX_WEIGHTS_MIB * MiB;
  const mib = Number(text);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(text) || !(mib > 0)) throw new UsageError(`--max-weights-mib takes a positive number of MiB, not ${JSON.stringify(text)}`);
  return Math.floor(mib * MiB);
}

/**
 * A safetensors or torch.save (.pth) checkpoint `path` (as the user wrote it) relative to `cwd`, at most `maxBytes`:
 * ReadError for an unreadable, irregular or oversized file; WeightsError (prefixed with the path)
 * for a malformed header or a size other than the header describes.
 */
export function readWeights(cwd: string, path: string, maxBytes = DEFAULT_MAX_WEIGHTS_MIB * MiB): Uint8Array {
  return readCheckpointFile(resolve(cwd, path), `weights ${path}`, { maxBytes, flag: '--max-weights-mib', source: path });
}

/** The smallest square input the network takes (every convolution keeps at least one pixel). */
export function minimumSize(network: Network, upTo: number): number {
  for (let s = 1; s < upTo; s++) {
    try {
      shapesAt(network, s, s);
      return s;
    } catch (e) {
      if (!(e instanceof InputSizeError)) throw e;
    }
  }
  return upTo;
}

/**
 * The `--input`/`--shape` batch for `g`: raw float32 NCHW from the file, or a synthetic pattern without one.
 * `anySize`: the target takes any H × W the network can (tfjs); otherwise only the variant's resolution.
 */
export function readInput(g: VariantGraph, cwd: string, file: string | undefined, shapeText: string | undefined, anySize = false): { input: Float32Array; shape: NCHW } {
  const [c, h, w] = g.input;
  const who = `${g.family} ${g.variant}`;
  const shape: NCHW = shapeText === undefined ? [1, c, h, w] : parseShape(shapeText);
  if (shape[1] !== c) throw new UsageError(`${who} takes ${c}-channel input (N,${c},H,W), not ${shape.join(',')}`);
  if (!anySize && (shape[2] !== h || shape[3] !== w)) throw new UsageError(`${who}'s WGSL model is planned for N,${c},${h},${w} input, not ${shape.join(',')}; --target tfjs takes other sizes`);
  if (anySize) {
    const network = modelNetwork(modelSpec(g));
    try {
      shapesAt(network, shape[2], shape[3]);
    } catch (e) {
      if (!(e instanceof InputSizeError)) throw e;
      const min = minimumSize(network, g.resolution);
      throw new UsageError(`${who} cannot take ${shape[2]}×${shape[3]} input (${e.message}); the smallest square input it takes is ${min}×${min}`);
    }
  }
  const bytes = shape.reduce((a, d) => a * d, 4);
  if (bytes > MAX_INPUT_BYTES) throw new UsageError(`a float32 [${shape.join(', ')}] batch is ${bytes} bytes, over the ${MAX_INPUT_BYTES / MiB} MiB effnet builds; use a smaller N`);
  if (file === undefined) return { input: Float32Array.from({ length: bytes / 4 }, (_, i) => Math.sin(i)), shape };
  const path = resolve(cwd, file);
  // The size first (stat never blocks, not even on a FIFO), so a wrong one is named in the words of the shape;
  // readRegularFile checks again on the descriptor it reads.
  const size = regularSize(path);
  if (size !== undefined && size !== bytes) throw new UsageError(`${file} holds ${size} bytes; a float32 [${shape.join(', ')}] batch is ${bytes}`);
  const read = readRegularFile(path, `input ${file}`, { maxBytes: bytes });
  if (read.byteLength !== bytes) throw new UsageError(`${file} holds ${read.byteLength} bytes; a float32 [${shape.join(', ')}] batch is ${bytes}`);
  // A copy: a Node Buffer may be a view into a shared pool.
  return { input: new Float32Array(Uint8Array.from(read).buffer), shape };
}

/** A regular file's size; undefined for anything else, which readRegularFile then names. */
function regularSize(path: string): number | undefined {
  try {
    const st = statSync(path);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

/** A WGSL feature map, NHWC `[n, h, w, c]`, as torchvision gives it: NCHW. */
export function nhwcToNchw(x: Float32Array, [n, h, w, c]: [number, number, number, number]): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++) for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) out[(b * c + k) * h * w + p] = x[(b * h * w + p) * c + k]!;
  return out;
}

/** NCHW to the NHWC the WGSL models take. */
export function nchwToNhwc(x: Float32Array, [n, c, h, w]: NCHW): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++) for (let k = 0; k < c; k++) for (let p = 0; p < h * w; p++) out[(b * h * w + p) * c + k] = x[(b * c + k) * h * w + p]!;
  return out;
}

/** The largest image file `--image` reads. */
export const MAX_IMAGE_BYTES = 256 * MiB;
/** The most pixels `--image` decodes (RGBA: 4 bytes each). */
export const MAX_IMAGE_MEGAPIXELS = 64;

/** Decoded pixels: RGBA, row by row. */
export interface DecodedImage {
  data: Uint8Array;
  width: number;
  height: number;
  format: 'PNG' | 'JPEG';
}

/** A PNG or JPEG whose data does not decode: the file is at fault, not the command line (exit 1). */
export class ImageDecodeError extends Error {}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const startsWith = (bytes: Uint8Array, magic: number[]) => magic.every((b, i) => bytes[i] === b);

/** Other formats people try, named in the refusal. */
function formatName(bytes: Uint8Array): string | undefined {
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (ascii(0, 4) === 'GIF8') return 'a GIF';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'a WebP';
  if (ascii(0, 2) === 'BM') return 'a BMP';
  if (ascii(4, 8) === 'ftyp') return 'a HEIC/AVIF';
  if (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*') return 'a TIFF';
  return undefined;
}

/**
 * A PNG or JPEG (sniffed from its first bytes, whatever its name) as RGBA pixels; grey, palette,
 * 16-bit and alpha PNGs and greyscale, CMYK and progressive JPEGs all come out as 8-bit RGBA.
 * UsageError for another format or too many pixels, ImageDecodeError for data that does not decode.
 */
export function decodeImage(bytes: Uint8Array, shown: string): DecodedImage {
  // The decoders load on first use: every command imports this file, few decode images.
  const require = createRequire(import.meta.url);
  const tooMany = (w: number, h: number) =>
    new UsageError(`${shown} is ${w}×${h} pixels, more than the ${MAX_IMAGE_MEGAPIXELS} megapixels --image decodes; scale it down first`);
  const failed = (format: string, e: unknown) => new ImageDecodeError(`${shown}: not a readable ${format} (${e instanceof Error ? e.message : String(e)})`);
  if (startsWith(bytes, PNG_MAGIC)) {
    // The size from IHDR first: pngjs would allocate whatever it says.
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length >= 24) {
      const w = view.getUint32(16);
      const h = view.getUint32(20);
      if (w * h > MAX_IMAGE_MEGAPIXELS * 1e6) throw tooMany(w, h);
    }
    try {
      const png = (require('pngjs') as typeof PngJs).PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength), width: png.width, height: png.height, format: 'PNG' };
    } catch (e) {
      throw failed('PNG', e);
    }
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    try {
      const jpeg = (require('jpeg-js') as typeof JpegJs).decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_IMAGE_MEGAPIXELS, maxMemoryUsageInMB: 1024 });
      return { data: jpeg.data, width: jpeg.width, height: jpeg.height, format: 'JPEG' };
    } catch (e) {
      if (String(e instanceof Error ? e.message : e).includes('maxResolutionInMP limit exceeded')) throw new UsageError(`${shown} has more than the ${MAX_IMAGE_MEGAPIXELS} megapixels --image decodes; scale it down first`);
      throw failed('JPEG', e);
    }
  }
  const other = formatName(bytes);
  throw new UsageError(`${shown} is ${other ? `${other} image` : 'not an image effnet reads'}: --image takes PNG or JPEG`);
}

/** `--image <file>` relative to `cwd`: ReadError for an unreadable or oversized file, then as decodeImage. */
export function readImage(cwd: string, path: string): DecodedImage {
  return decodeImage(readRegularFile(resolve(cwd, path), `image ${path}`, { maxBytes: MAX_IMAGE_BYTES }), path);
}
