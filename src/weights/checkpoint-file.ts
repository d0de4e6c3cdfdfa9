import { closeSync } from 'node:fs';
import { openRegularFile, ReadError, readAt } from '../io/read.js';
import { isLegacyTorch } from '../runtime/pth.js';
import { isZip } from '../runtime/zip.js';
import { readSafetensorsFile } from './read.js';

// Reading a checkpoint the user names, in either format: a torch.save zip
// archive (.pth) is read whole, at most `maxBytes` (its entries are checked
// against the archive when it is parsed); anything else is read as a
// safetensors file, whose header bounds the read before the data is touched.

/**
 * The bytes of the checkpoint at `path`, named `shown` in messages (e.g. `weights w.pth`).
 * Throws ReadError for a file that is missing, not regular or over `maxBytes`; for a safetensors
 * file, WeightsError (prefixed by `source`) for a malformed header. Parse the bytes with parseCheckpoint.
 */
export function readCheckpointFile(path: string, shown: string, options: { maxBytes: number; flag?: string; source?: string }): Uint8Array {
  const { fd, size } = openRegularFile(path, shown, options);
  let bytes: Uint8Array | undefined;
  try {
    const first = new Uint8Array(Math.min(16, size));
    readAt(fd, first, 0);
    if (isZip(first) || isLegacyTorch(first)) {
      bytes = new Uint8Array(size);
      const read = readAt(fd, bytes, 0);
      if (read !== size) throw new ReadError(`${shown} shrank while it was read (${read} of ${size} bytes)`, 'unreadable');
    }
  } catch (e) {
    if (e instanceof ReadError) throw e;
    throw new ReadError(`cannot read ${shown}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'unreadable');
  } finally {
    closeSync(fd);
  }
  return bytes ?? readSafetensorsFile(path, shown, options);
}
