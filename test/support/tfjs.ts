import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { compileFile } from '../../src/compile/compile.js';
import type { VariantGraph } from '../../src/graph/graph.js';
import { emitTfjs } from '../../src/tfjs/emit.js';
import type { TfjsModelModule } from '../../src/tfjs/load.js';
import { writeSafetensors } from './safetensors.js';

// Generated tfjs modules for tests: emitted for `@tensorflow/tfjs` and this
// checkout's runtime sources, written under test/.generated/ (git-ignored)
// and imported as they are.

export const root = resolve(import.meta.dirname, '../..');
const outDir = join(root, 'test/.generated');

export async function useBackend(name: 'wasm' | 'cpu'): Promise<void> {
  await tf.setBackend(name);
  await tf.ready();
}

export function graphOf(spec: string, variant: string): VariantGraph {
  const c = compileFile(join(root, spec), { variants: [variant] });
  if (!c.graphs[0]) throw new Error(`${spec}#${variant} does not compile`);
  return c.graphs[0];
}

export async function importGenerated(g: VariantGraph): Promise<TfjsModelModule> {
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, `${g.family}_${g.variant}.tfjs.ts`);
  // Test files run in parallel and may emit the same variant: write whole files only.
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, await emitTfjs(g, { spec: `${g.family}.effnet`, tfjsModule: '@tensorflow/tfjs', runtimeModule: '../../src/runtime/tfjs.js' }));
  renameSync(tmp, path);
  return (await import(path)) as TfjsModelModule;
}

export const readF32 = (path: string): Float32Array => {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

/** A safetensors file of random, well-scaled weights for every tensor a graph's checkpoint holds. */
export function randomCheckpoint(tensors: { name: string; shape: number[]; slot: string }[], seed = 1): Uint8Array {
  let state = seed >>> 0;
  const uniform = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  return writeSafetensors(
    tensors.map((t) => {
      const n = t.shape.reduce((a, d) => a * d, 1);
      const fanIn = t.shape.length > 1 ? n / t.shape[0]! : 1;
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const u = uniform() * 2 - 1;
        data[i] = t.slot === 'bn.var' || t.slot === 'bn.weight' ? 1 + u / 2 : t.slot.endsWith('bias') || t.slot === 'bn.mean' ? 0.1 * u : u * Math.sqrt(3 / fanIn);
      }
      return { name: t.name, shape: t.shape, data };
    }),
  );
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export { tf };
