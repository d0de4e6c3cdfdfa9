import { closeSync, constants, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeSync, type Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { WriteError } from './write-error.js';

// Writing what a command makes, without harming what it did not make:
// a new or regular file is replaced atomically (a private temp file, then a
// rename), a character device or FIFO is written straight through (never
// replaced: `--out /dev/null` must stay /dev/null), and anything else is refused.

export { WriteError };

const lstatOrUndefined = (path: string): Stats | undefined => {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
};

/** Marks the temp files of effnet's atomic writes, so a later run can recognise leftovers. */
export const TEMP_MARK = '.effnet-tmp-';

/** A fresh temp name beside `path`: hidden, per process and random, created with O_EXCL. */
export const tempPathFor = (path: string): string =>
  join(dirname(path), `.${basename(path)}${TEMP_MARK}${process.pid}-${randomBytes(4).toString('hex')}`);

function writeAll(fd: number, content: string | Uint8Array): void {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  let at = 0;
  while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
}

/**
 * Replaces `path` (a new path or a regular file, not a symlink) atomically: the bytes go to a
 * temp file created exclusively (O_EXCL, so a planted file or symlink of that name is never
 * written through), then a rename puts it in place.
 */
export function writeAtomic(path: string, content: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o644);
  try {
    writeAll(fd, content);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Rewrites a spec the user asked to change (`scale --write`, `search --write`): atomically, keeping the byte-order mark it had (the compiler reads the text without one). */
export function writeSpec(path: string, text: string): void {
  const bom = readFileSync(path).subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])) ? '\ufeff' : '';
  writeAtomic(path, bom + text);
}

export interface OutputOptions {
  /** How the user wrote the path, for messages. */
  shown: string;
  /** Files the command reads: writing over one of them is refused. */
  inputs?: readonly string[];
}

const sameFile = (a: string, b: string): boolean => {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return resolve(a) === resolve(b);
  }
};

/**
 * Where `--out` would be written (following a symlink the user named to its target), or a
 * WriteError for a path that may not be: a directory, a dangling link, another kind of file, one
 * of the command's own inputs. Writes nothing: commands call it before their work, so a bad
 * `--out` fails at once.
 */
export function checkOutput(path: string, options: OutputOptions): { target: string; kind: 'new' | 'file' | 'stream' } {
  const { shown } = options;
  for (const input of options.inputs ?? []) {
    if (sameFile(path, input)) throw new WriteError(`--out ${shown} is one of the command's inputs; name another file`);
  }
  let target = path;
  let st = lstatOrUndefined(path);
  if (st?.isSymbolicLink()) {
    // A symlink the user named: write its target, never replace the link itself.
    try {
      target = realpathSync(path);
    } catch {
      throw new WriteError(`--out ${shown} is a dangling symbolic link`);
    }
    st = lstatOrUndefined(target);
  }
  if (st === undefined) return { target, kind: 'new' };
  if (st.isFile()) return { target, kind: 'file' };
  if (st.isDirectory()) throw new WriteError(`--out ${shown} is a directory; name a file in it`);
  if (st.isCharacterDevice() || st.isFIFO()) return { target, kind: 'stream' };
  throw new WriteError(`--out ${shown} is neither a regular file, a character device nor a FIFO`);
}

/**
 * Writes a command's `--out`: atomically to a new path or a regular file (through a symlink the
 * user named, to its target), straight through to a character device or FIFO; refuses what
 * checkOutput refuses.
 */
export function writeOutput(path: string, content: string | Uint8Array, options: OutputOptions): void {
  const { target, kind } = checkOutput(path, options);
  if (kind !== 'stream') {
    writeAtomic(target, content);
    return;
  }
  const fd = openSync(target, constants.O_WRONLY);
  try {
    writeAll(fd, content);
  } finally {
    closeSync(fd);
  }
}
