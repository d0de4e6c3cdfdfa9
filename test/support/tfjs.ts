import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { compileFile } from '../../src/compile/compile.js';
import type { VariantGraph } from '../../src/graph/graph.js';
import { emitNetwork } from '../../src/emit/network.js';
import { emitTfjs } from '../../src/tfjs/emit.js';
import type { TfjsModelModule } from '../../src/tfjs/load.js';

// Generated tfjs modules for tests: emitted for `@tensorflow/tfjs` and this
// checkout's runtime sources, written under test/.generated/ (git-ignored)
// and imported as they are.

export const root = resolve(import.meta.dirname, '../..');
const outDir = join(root, 'test/.generated');

export async function useBackend(name: 'wasm' | 'cpu'): Promise<void> {
  // No "install tfjs-node" banner for the cpu backend.
  tf.enableProdMode();
  await tf.setBackend(name);
  await tf.ready();
}

export function graphOf(spec: string, variant: string): VariantGraph {
  const c = compileFile(join(root, spec), { variants: [variant] });
  if (!c.graphs[0]) throw new Error(`${spec}#${variant} does not compile`);
  return c.graphs[0];
}

/** Writes `test/.generated/<name>` whole (test files run in parallel and may emit the same variant); returns its path. */
export function writeGenerated(name: string, text: string): string {
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, name);
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
  return path;
}

/** The variant's network module beside the target modules; returns how they import it. */
export async function writeNetwork(g: VariantGraph): Promise<string> {
  writeGenerated(`${g.family}_${g.variant}.network.ts`, await emitNetwork(g, { spec: `${g.family}.effnet`, runtimeModule: '../../src/runtime/spec.js' }));
  return `./${g.family}_${g.variant}.network.js`;
}

export async function importGenerated(g: VariantGraph): Promise<TfjsModelModule> {
  const networkModule = await writeNetwork(g);
  const source = await emitTfjs(g, { spec: `${g.family}.effnet`, tfjsModule: '@tensorflow/tfjs', runtimeModule: '../../src/runtime/tfjs.js', networkModule });
  return (await import(writeGenerated(`${g.family}_${g.variant}.tfjs.ts`, source))) as TfjsModelModule;
}

export const readF32 = (path: string): Float32Array => {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export { tf };
