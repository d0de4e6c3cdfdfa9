import { existsSync, lstatSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

// `generate --out` names a folder effnet fills and prunes. A folder that is a
// project (its root, or one that holds the specs being compiled) is never that:
// `--out .` in a clone must refuse before anything is read or written.

/** Entries that mark a folder as a project root, not an output folder. */
const PROJECT_MARKERS = ['.git', 'package.json', 'node_modules', '.hg', '.svn'];

export class OutFolderRefused extends Error {}

/** The path with symlinks resolved as far as it exists (a new folder resolves through its parents). */
function real(path: string): string {
  let p = resolve(path);
  const tail: string[] = [];
  while (!existsSync(p)) {
    const parent = dirname(p);
    if (parent === p) break;
    tail.unshift(p.slice(parent.length).replace(/^[\\/]/, ''));
    p = parent;
  }
  try {
    p = realpathSync(p);
  } catch {
    // Unreadable: compare as written.
  }
  return resolve(p, ...tail);
}

/** Whether `path` is `dir` or lies under it. */
const inside = (dir: string, path: string): boolean => {
  const r = relative(dir, path);
  return r === '' || (r !== '..' && !r.startsWith(`..${sep}`) && !isAbsolute(r));
};

/** Throws OutFolderRefused when `out` may not be generate's output folder. */
export function checkOutFolder(out: string, shownOut: string, specs: readonly { path: string; shown: string }[]): void {
  const root = real(out);
  let st;
  try {
    st = lstatSync(root);
  } catch {
    st = undefined;
  }
  if (st !== undefined && !st.isDirectory()) throw new OutFolderRefused(`--out ${shownOut} is not a folder`);
  for (const s of specs) {
    if (inside(root, real(s.path)))
      throw new OutFolderRefused(`--out ${shownOut} holds the spec ${s.shown}; generate writes into a folder of its own, such as generated/`);
  }
  if (st === undefined) return;
  const marker = PROJECT_MARKERS.find((m) => existsSync(resolve(root, m)));
  if (marker !== undefined)
    throw new OutFolderRefused(`--out ${shownOut} is a project folder (it holds ${marker}); generate writes into a folder of its own, such as generated/`);
}
