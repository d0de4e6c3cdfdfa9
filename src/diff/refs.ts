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
  /** Undefined when a git reference's file is not at its revision (the revision itself exists). */
  source?: string;
}

export interface LoadedRef extends RefSpec {
  /** Undefined for a spec that is not there: new in (or removed by) the other side. */
  compilation?: Compilation;
  /** The variant was not named on this side: it is the one the other side names. */
  byName?: boolean;
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

/** Refuses a git reference where git cannot read one: no git, or no repository around `cwd`. */
function checkRepository(ref: RefSpec, cwd: string): void {
  try {
    git(['rev-parse', '--git-dir'], cwd);
  } catch (e) {
    const err = e as { code?: string; stderr?: string };
    if (err.code === 'ENOENT') throw new RefError(`${ref.label}: git is not installed (git:REV:path references are read through it)`);
    const said = String(err.stderr ?? '').trim().split('\n')[0]!.replace(/^fatal: /, '');
    if (/not a git repository/i.test(said) || said === '') throw new RefError(`${ref.label}: not a git repository (${cwd}, nor any folder above it)`);
    throw new RefError(`${ref.label}: git cannot read the repository at ${cwd}: ${said}`);
  }
}

/** Spec text as the compiler takes it: a UTF-8 byte-order mark is no part of it. */
const text = (bytes: Uint8Array) => new TextDecoder('utf-8', { ignoreBOM: false }).decode(bytes);

const notAtRevision = (ref: RefSpec) => new RefError(`${ref.label}: ${ref.path} does not exist at revision \`${ref.rev}\``);

/** Reads the text a reference names; a git reference's file not at its revision has no source. */
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
  if (known) checkRepository(ref, cwd);
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
    // Not in the revision's tree (listing it there gives nothing): loadPair decides whether that
    // is a new (or removed) spec or an error. A path git cannot list (outside the repository) is an error.
    let listed: string | undefined;
    try {
      listed = git(['ls-tree', ref.rev, '--', object.slice(ref.rev.length + 1)], cwd);
    } catch {
      listed = undefined;
    }
    if (listed === '') return { ...ref };
    throw notAtRevision(ref);
  }
  if (type !== 'blob') throw new RefError(`${ref.label}: ${ref.path} is a ${type === 'tree' ? 'directory' : type}, not a file, at revision \`${ref.rev}\``);
  // The size first: a blob over the limit is named as such, never read.
  const size = Number(git(['cat-file', '-s', object], cwd).trim());
  if (!(size <= MAX_SPEC_BYTES)) throw new RefError(`${ref.label}: ${ref.path} is too large at revision \`${ref.rev}\` (${mib(size)}, over the ${mib(MAX_SPEC_BYTES)} limit)`);
  const blob = execFileSync('git', ['cat-file', 'blob', object], { cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: MAX_SPEC_BYTES + 4096 });
  return { ...ref, source: text(blob) };
}

/**
 * Compiles a reference (only its variant when it names one); errors in the spec are a RefError.
 * `named` is the other side's reference when the variant is its (looked up here by name).
 */
export function loadRef(ref: ResolvedRef, variant = ref.variant, named?: RefSpec): LoadedRef {
  if (ref.source === undefined) throw notAtRevision(ref);
  const compilation = compileSource(ref.source, ref.label, variant === undefined ? {} : { variants: [variant] });
  const errors = compilation.diagnostics.filter((d) => d.severity === 'error');
  const error = errors[0];
  if (error?.code === 'E037' && named !== undefined && compilation.family) {
    // The variant came from the other side: say so, and what this side could name instead.
    const known = compilation.family.variants.map((v) => v.name);
    throw new RefError(
      `${ref.label} has no variant \`${variant}\` to compare with ${named.label}; its variants are ${known.join(', ')} (name one: ${ref.label}#${known[0] ?? 'NAME'})`,
    );
  }
  if (error) {
    const more = errors.length - 1;
    throw new RefError(
      `${ref.label}:${error.range.start.line}: ${error.message}` +
        (error.hint === undefined ? '' : `; ${error.hint}`) +
        (more > 0 ? ` (and ${more} more error${more === 1 ? '' : 's'}; run \`effnet check\`)` : ''),
    );
  }
  if (!compilation.family) throw new RefError(`${ref.label}: no family`);
  return { ...ref, ...(variant === undefined ? {} : { variant }), ...(named === undefined ? {} : { byName: true }), compilation };
}

/** The file a reference names, whatever the revision: the same spec on both sides? */
const file = (r: RefSpec, cwd: string) => resolve(cwd, r.path);

/**
 * Parses, reads and compiles both sides. Each side's `#variant` is its own; a variant named on one
 * side only is looked up by name on the other (and marked so). A git reference to a file that is
 * not at its revision, against the same file on the other side, is a new (or removed) spec.
 */
export function loadPair(a: string, b: string, cwd: string): [LoadedRef, LoadedRef] {
  const ra = readRef(parseRef(a), cwd);
  const rb = readRef(parseRef(b), cwd);
  const absent = [ra, rb].filter((r) => r.source === undefined);
  // Absence is news only against the same spec elsewhere; else (a typo, say) it is an error.
  if (absent.length > 0 && (absent.length === 2 || file(ra, cwd) !== file(rb, cwd))) throw notAtRevision(absent[0]!);
  const load = (r: ResolvedRef, other: ResolvedRef): LoadedRef => {
    if (r.source === undefined) return { ...r };
    if (r.variant !== undefined || other.variant === undefined) return loadRef(r);
    return loadRef(r, other.variant, other);
  };
  return [load(ra, rb), load(rb, ra)];
}
