import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

/** One output file: a path relative to the output root and its exact bytes. */
export interface OutputFile {
  path: string;
  content: string;
}

/** Writes via a temporary sibling and a rename, so no reader sees half a file. */
export function writeAtomic(path: string, content: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

function listFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}

export interface Staleness {
  missing: string[];
  stale: string[];
  /** Files under a generated folder that no spec produces any more. */
  orphaned: string[];
}

/**
 * Compares the plan with the disk; writes nothing. `owned` are the folders the plan owns;
 * inside them, `owns` picks the files it answers for (other targets' files are left alone).
 */
export function compareWithDisk(root: string, files: readonly OutputFile[], owned: readonly string[], owns: (path: string) => boolean = () => true): Staleness {
  const result: Staleness = { missing: [], stale: [], orphaned: [] };
  const planned = new Set(files.map((f) => f.path));
  for (const f of files) {
    let current: string | undefined;
    try {
      current = readFileSync(join(root, f.path), 'utf8');
    } catch {
      current = undefined;
    }
    if (current === undefined) result.missing.push(f.path);
    else if (current !== f.content) result.stale.push(f.path);
  }
  for (const dir of owned) {
    for (const p of listFiles(join(root, dir))) {
      const rel = relative(root, p).split(sep).join('/');
      if (!planned.has(rel) && owns(rel)) result.orphaned.push(rel);
    }
  }
  for (const list of Object.values(result)) list.sort();
  return result;
}

/** Writes what changed and removes orphans; returns the paths touched. */
export function applyPlan(root: string, files: readonly OutputFile[], owned: readonly string[], owns?: (path: string) => boolean): Staleness {
  const diff = compareWithDisk(root, files, owned, owns);
  const changed = new Set([...diff.missing, ...diff.stale]);
  for (const f of files) if (changed.has(f.path)) writeAtomic(join(root, f.path), f.content);
  for (const p of diff.orphaned) rmSync(join(root, p));
  return diff;
}
