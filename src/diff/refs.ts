import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { compileSource, DEFAULT_MAX_SPEC_BYTES, type Compilation } from '../compile/compile.js';
import { mib, ReadError, readRegularFile } from '../io/read.js';

// What `effnet diff` compares: `path.effnet[#variant]` or `git:REV:path.effnet[#variant]`,
// read from disk or through `git show` (no checkout), then compiled. Either way
// only a file (a regular file, a blob) of at most MAX_SPEC_BYTES is read.

/** The largest spec diff reads, from disk or from git: the compiler's own limit. */
export const MAX_SPEC_BYTES = DEFAULT_MAX_SPEC_BYTES;

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
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: MAX_SPEC_BYTES + 4096 });
}

/** Spec text as the compiler takes it: a UTF-8 byte-order mark is no part of it. */
const text = (bytes: Uint8Array) => new TextDecoder('utf-8', { ignoreBOM: false }).decode(bytes);

/** Reads the text a reference names. */
export function readRef(ref: RefSpec, cwd: string): ResolvedRef {
  if (ref.rev === undefined) {
    try {
      return { ...ref, source: text(readRegularFile(resolve(cwd, ref.path), ref.path, { maxBytes: MAX_SPEC_BYTES })) };
    } catch (e) {
      if (!(e instanceof ReadError)) throw e;
      throw new RefError(e.reason === 'missing' ? `${ref.label}: cannot read ${ref.path}: no such file` : `${ref.label}: ${e.message}`);
    }
  }
  // A revision starting with `-` would reach git as an option.
  let known = !ref.rev.startsWith('-');
  try {
    if (known) git(['rev-parse', '--verify', '--quiet', `${ref.rev}^{commit}`], cwd);
  } catch {
    known = false;
  }
  if (!known) throw new RefError(`${ref.label}: unknown git revision \`${ref.rev}\``);
  // `./` makes git read the path relative to the working directory, like a plain path.
  const object = `${ref.rev}:${/^\.\.?\//.test(ref.path) ? ref.path : `./${ref.path}`}`;
  let type: string;
  try {
    type = git(['cat-file', '-t', object], cwd).trim();
  } catch {
    throw new RefError(`${ref.label}: ${ref.path} does not exist at revision \`${ref.rev}\``);
  }
  if (type !== 'blob') throw new RefError(`${ref.label}: ${ref.path} is a ${type === 'tree' ? 'directory' : type}, not a file, at revision \`${ref.rev}\``);
  // The size first: a blob over the limit is named as such, never read.
  const size = Number(git(['cat-file', '-s', object], cwd).trim());
  if (!(size <= MAX_SPEC_BYTES)) throw new RefError(`${ref.label}: ${ref.path} is too large at revision \`${ref.rev}\` (${mib(size)}, over the ${mib(MAX_SPEC_BYTES)} limit)`);
  const blob = execFileSync('git', ['cat-file', 'blob', object], { cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: MAX_SPEC_BYTES + 4096 });
  return { ...ref, source: text(blob) };
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
