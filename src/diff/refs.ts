import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { compileSource, type Compilation } from '../compile/compile.js';

// What `effnet diff` compares: `path.effnet[#variant]` or `git:REV:path.effnet[#variant]`,
// read from disk or through `git show` (no checkout), then compiled.

/** A reference that names nothing usable: the CLI prints the message and exits 2. */
export class RefError extends Error {}

export interface RefSpec {
  /** The reference exactly as the user wrote it (used in all output). */
  label: string;
  /** The git revision, when read through git. */
  rev?: string;
  path: string;
  variant?: string;
}

export interface ResolvedRef extends RefSpec {
  source: string;
}

export interface LoadedRef extends ResolvedRef {
  compilation: Compilation;
}

export function parseRef(label: string): RefSpec {
  let rest = label;
  let rev: string | undefined;
  if (rest.startsWith('git:')) {
    const colon = rest.indexOf(':', 4);
    if (colon <= 4 || colon === rest.length - 1) throw new RefError(`${label}: expected git:REV:path/spec.effnet[#variant]`);
    rev = rest.slice(4, colon);
    rest = rest.slice(colon + 1);
  }
  const hash = rest.lastIndexOf('#');
  const path = hash < 0 ? rest : rest.slice(0, hash);
  const variant = hash < 0 ? undefined : rest.slice(hash + 1);
  if (path === '') throw new RefError(`${label}: no spec file named`);
  if (variant === '') throw new RefError(`${label}: empty variant name after #`);
  return { label, path, ...(rev === undefined ? {} : { rev }), ...(variant === undefined ? {} : { variant }) };
}

function git(args: string[], cwd: string): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 2 ** 20 });
}

/** Reads the text a reference names. */
export function readRef(ref: RefSpec, cwd: string): ResolvedRef {
  if (ref.rev === undefined) {
    try {
      return { ...ref, source: readFileSync(resolve(cwd, ref.path), 'utf8') };
    } catch (e) {
      const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
      throw new RefError(`${ref.label}: cannot read ${ref.path}: ${reason}`);
    }
  }
  try {
    git(['rev-parse', '--verify', '--quiet', `${ref.rev}^{commit}`], cwd);
  } catch {
    throw new RefError(`${ref.label}: unknown git revision \`${ref.rev}\``);
  }
  // `./` makes git read the path relative to the working directory, like a plain path.
  const path = /^\.\.?\//.test(ref.path) ? ref.path : `./${ref.path}`;
  try {
    return { ...ref, source: git(['show', `${ref.rev}:${path}`], cwd) };
  } catch {
    throw new RefError(`${ref.label}: ${ref.path} does not exist at revision \`${ref.rev}\``);
  }
}

/** Compiles a reference (only its variant when it names one); errors in the spec are a RefError. */
export function loadRef(ref: ResolvedRef, variant = ref.variant): LoadedRef {
  const compilation = compileSource(ref.source, ref.label, variant === undefined ? {} : { variants: [variant] });
  const error = compilation.diagnostics.find((d) => d.severity === 'error');
  if (error) {
    const more = compilation.diagnostics.filter((d) => d.severity === 'error').length - 1;
    throw new RefError(
      `${ref.label}:${error.range.start.line}: ${error.message}` + (more > 0 ? ` (and ${more} more error${more === 1 ? '' : 's'}; run \`effnet check\`)` : ''),
    );
  }
  if (!compilation.family) throw new RefError(`${ref.label}: no family`);
  return { ...ref, ...(variant === undefined ? {} : { variant }), compilation };
}

/** Parses, reads and compiles both sides. A variant named on one side only is looked up by name on the other. */
export function loadPair(a: string, b: string, cwd: string): [LoadedRef, LoadedRef] {
  const ra = readRef(parseRef(a), cwd);
  const rb = readRef(parseRef(b), cwd);
  const va = ra.variant ?? rb.variant;
  const vb = rb.variant ?? ra.variant;
  return [loadRef(ra, va), loadRef(rb, vb)];
}
