import { constants as buffer } from 'node:buffer';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

// Reading what a user names: only regular files, and never more than a cap,
// checked before reading (`/dev/zero` or a FIFO must not grow memory or block).

export const MiB = 2 ** 20;

/** Why a file could not be read; `message` is one line naming the file as the caller shows it. */
export class ReadError extends Error {
  constructor(
    message: string,
    /** `missing`, `not-regular`, `too-large` or `unreadable`. */
    readonly reason: 'missing' | 'not-regular' | 'too-large' | 'unreadable',
  ) {
    super(message);
  }
}

export interface ReadLimits {
  /** Refuse a file larger than this many bytes. */
  maxBytes: number;
  /** How to name the cap's flag in the message, e.g. `--max-weights-mib`. */
  flag?: string;
}

export const mib = (bytes: number): string => `${Number((bytes / MiB).toFixed(1))} MiB`;

const unreadable = (shown: string, e: unknown): ReadError =>
  new ReadError(`cannot read ${shown}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'unreadable');

/**
 * Opens a regular file of at most `limits.maxBytes` (and at most what one array holds): opened
 * non-blocking (a FIFO does not wait for a writer) and checked with fstat on the open descriptor,
 * so what is checked is what is read. The caller reads `fd` and closes it.
 */
export function openRegularFile(path: string, shown: string, limits: ReadLimits): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ReadError(`${shown}: no such file`, 'missing');
    if (code === 'EISDIR') throw new ReadError(`${shown} is a directory, not a file`, 'not-regular');
    throw unreadable(shown, e);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new ReadError(`${shown} is a directory, not a file`, 'not-regular');
    if (!st.isFile()) throw new ReadError(`${shown} is not a regular file (a device, FIFO or socket); effnet reads only regular files`, 'not-regular');
    if (st.size > limits.maxBytes) {
      const raise = limits.flag === undefined ? '' : `; ${limits.flag} raises the limit`;
      // Bytes where MiB would round to the limit itself ("8 MiB, over the 8 MiB limit").
      const size = mib(st.size) === mib(limits.maxBytes) ? `${st.size} bytes` : mib(st.size);
      throw new ReadError(`${shown} is ${size}, over the ${mib(limits.maxBytes)} limit${raise}`, 'too-large');
    }
    // Whatever a flag says: one array holds the file.
    if (st.size > buffer.MAX_LENGTH) throw new ReadError(`${shown} is ${mib(st.size)}, more than the ${mib(buffer.MAX_LENGTH)} one array can hold in this Node.js`, 'too-large');
    return { fd, size: st.size };
  } catch (e) {
    closeSync(fd);
    throw e instanceof ReadError ? e : unreadable(shown, e);
  }
}

/** Reads up to `into.length` bytes of `fd` at `position`; fewer only at the end of the file. */
export function readAt(fd: number, into: Uint8Array, position: number): number {
  let at = 0;
  while (at < into.length) {
    const n = readSync(fd, into, at, into.length - at, position + at);
    if (n === 0) break;
    at += n;
  }
  return at;
}

/** The bytes of a regular file at `path`, at most `limits.maxBytes` of them (see openRegularFile). */
export function readRegularFile(path: string, shown: string, limits: ReadLimits): Uint8Array {
  const { fd, size } = openRegularFile(path, shown, limits);
  try {
    const out = new Uint8Array(size);
    // A file that grows while read is cut at the size checked.
    const n = readAt(fd, out, 0);
    return n === size ? out : out.subarray(0, n);
  } catch (e) {
    throw e instanceof ReadError ? e : unreadable(shown, e);
  } finally {
    closeSync(fd);
  }
}
