import { readdirSync } from 'node:fs';
import { join } from 'node:path';

// What generate can be asked for, without what it runs: the command reads these to
// parse its flags and to answer a no-op --check before loading any emitter.

/** What `generate` can write; each target owns its own file names. */
export const TARGETS = ['report', 'tfjs', 'wgsl'] as const;
export type Target = (typeof TARGETS)[number];

const TARGET_FILES: Record<Target, RegExp> = {
  report: /(^|\/)(README\.md|report\.md|report\.json|architecture\.svg|scaling\.svg)$/,
  // network.ts is both model modules' import.
  tfjs: /(^|\/)(model\.tfjs|network)\.ts$/,
  wgsl: /(^|\/)(model\.wgsl|network)\.ts$/,
};

/**
 * Whether a generated file is answered for by these targets: all targets own every file
 * (so stray files are orphans); a subset leaves the other targets' files alone.
 */
export const ownedBy =
  (targets: readonly Target[]) =>
  (path: string): boolean =>
    TARGETS.every((t) => targets.includes(t)) || targets.some((t) => TARGET_FILES[t].test(path));

export interface GenerateOptions {
  targets: readonly Target[];
  /** The module generated tfjs code imports (default `@tensorflow/tfjs`). */
  tfjsModule?: string;
}

/** Every `.effnet` file directly under `dir`, sorted. */
export function specFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.effnet'))
    .sort()
    .map((f) => join(dir, f).split('\\').join('/'));
}

