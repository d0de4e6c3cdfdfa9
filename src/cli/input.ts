import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { VariantGraph } from '../graph/graph.js';

// What commands that run a model share: usage errors, reading files the
// user named, and raw float32 NCHW input (as torchvision takes it).

/** A mistake in how a command was called: one line on stderr, exit 2. */
export class UsageError extends Error {}

export type NCHW = [number, number, number, number];

export function parseShape(text: string): NCHW {
  const dims = text.split(',').map((d) => Number(d.trim()));
  if (dims.length !== 4 || !dims.every((d) => Number.isInteger(d) && d > 0)) throw new UsageError(`--shape takes N,C,H,W (four positive integers), not "${text}"`);
  return dims as NCHW;
}

/** Reads `path` (as the user wrote it) relative to `cwd`. */
export function readFile(what: string, cwd: string, path: string): Uint8Array {
  try {
    return readFileSync(resolve(cwd, path));
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** The `--input`/`--shape` batch for `g`: raw float32 NCHW from the file, or a synthetic pattern without one. */
export function readInput(g: VariantGraph, cwd: string, file: string | undefined, shapeText: string | undefined): { input: Float32Array; shape: NCHW } {
  const r = g.resolution;
  const shape: NCHW = shapeText === undefined ? [1, 3, r, r] : parseShape(shapeText);
  if (shape[1] !== 3 || shape[2] !== r || shape[3] !== r) throw new UsageError(`${g.family} ${g.variant} takes N,3,${r},${r} input, not ${shape.join(',')}`);
  const floats = shape.reduce((a, d) => a * d, 1);
  if (file === undefined) return { input: Float32Array.from({ length: floats }, (_, i) => Math.sin(i)), shape };
  const bytes = readFile('input', cwd, file);
  if (bytes.byteLength !== floats * 4) throw new UsageError(`${file} holds ${bytes.byteLength} bytes; a float32 [${shape.join(', ')}] batch is ${floats * 4}`);
  // A copy: a Node Buffer may be a view into a shared pool.
  return { input: new Float32Array(Uint8Array.from(bytes).buffer), shape };
}

/** NCHW to the NHWC the WGSL models take. */
export function nchwToNhwc(x: Float32Array, [n, c, h, w]: NCHW): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++) for (let k = 0; k < c; k++) for (let p = 0; p < h * w; p++) out[(b * h * w + p) * c + k] = x[(b * c + k) * h * w + p]!;
  return out;
}
