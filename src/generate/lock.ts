import { closeSync, constants, lstatSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

// One `effnet generate` at a time per output folder. The lock file names its
// holder; a holder that no longer runs (killed with -9) left a stale lock, which
// the next run takes over, cleaning the killed run's leftovers as it goes.

export const LOCK_FILE = '.effnet-generate.lock';

/** Another run holds the folder for longer than we wait. */
export class LockBusy extends Error {}

interface Holder {
  pid: number;
  host: string;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but is not ours.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

function holder(path: string): Holder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Partial<Holder>;
    return typeof h.pid === 'number' && typeof h.host === 'string' ? { pid: h.pid, host: h.host } : undefined;
  } catch {
    return undefined;
  }
}

/** A lock whose holder is gone: a dead pid on this host, or unreadable and older than a minute (a holder killed mid-write). */
function stale(path: string): boolean {
  const h = holder(path);
  if (h === undefined) {
    try {
      return Date.now() - lstatSync(path).mtimeMs > 60_000;
    } catch {
      return true;
    }
  }
  return h.host === hostname() && h.pid !== process.pid && !alive(h.pid);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Takes the lock of `root` (creating the folder), waiting up to `waitMs` for a live holder;
 * returns the function that releases it.
 */
export async function lockFolder(root: string, waitMs = 120_000): Promise<() => void> {
  mkdirSync(root, { recursive: true });
  const path = join(root, LOCK_FILE);
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o644);
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname() }) + '\n');
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (lstatSync(path).isSymbolicLink()) throw new LockBusy(`${LOCK_FILE} in the output folder is a symbolic link; remove it`);
    if (stale(path)) {
      rmSync(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      const h = holder(path);
      throw new LockBusy(`another effnet generate${h ? ` (pid ${h.pid} on ${h.host})` : ''} is writing this folder; wait for it, or remove ${LOCK_FILE} if none runs`);
    }
    await sleep(50);
  }
}
