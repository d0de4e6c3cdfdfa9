import { closeSync } from 'node:fs';
import { openRegularFile, ReadError, readAt } from '../io/read.js';
import { readSafetensorsHeader, safetensorsHeaderLength } from '../runtime/safetensors.js';

// Reading a safetensors checkpoint the user names, bounded before anything
// large is read: only a regular file (opened non-blocking and checked with
// fstat on the descriptor: a FIFO never blocks, /dev/zero is refused), at most
// `maxBytes`, and exactly the size its header describes (read first, itself
// capped), so a lying header never makes us read or allocate more.

/** Room for EfficientNet-L2's F32 checkpoint (1.9 GB) and any F32 model this compiler makes a plan for. */
export const DEFAULT_MAX_WEIGHTS_MIB = 4096;

/**
 * The bytes of the safetensors file at `path`, named `shown` in messages (e.g. `weights w.st`).
 * Throws ReadError for a file that is missing, not regular or over `maxBytes`, and WeightsError
 * (prefixed by `source`) for a malformed header or a size other than the header describes.
 */
export function readSafetensorsFile(path: string, shown: string, options: { maxBytes: number; flag?: string; source?: string }): Uint8Array {
  const { fd, size } = openRegularFile(path, shown, options);
  try {
    const first = new Uint8Array(Math.min(8, size));
    readAt(fd, first, 0);
    const headerBytes = safetensorsHeaderLength(first, size, options.source);
    const head = new Uint8Array(8 + headerBytes);
    readAt(fd, head, 0);
    // Checks every span against the size fstat gave: past here the file is exactly as long as its header says.
    readSafetensorsHeader(head, size, options.source);
    const bytes = new Uint8Array(size);
    bytes.set(head);
    const read = head.length + readAt(fd, bytes.subarray(head.length), head.length);
    if (read !== size) throw new ReadError(`${shown} shrank while it was read (${read} of ${size} bytes)`, 'unreadable');
    return bytes;
  } catch (e) {
    if (e instanceof Error && !('code' in e)) throw e;
    throw new ReadError(`cannot read ${shown}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'unreadable');
  } finally {
    closeSync(fd);
  }
}
