import { diff, type Diff } from './model.js';
import { loadPair } from './refs.js';

/** `effnet diff A B` as a function: throws RefError for a reference that names nothing usable. */
export function diffRefs(a: string, b: string, cwd: string): Diff {
  const [x, y] = loadPair(a, b, cwd);
  const side = (r: typeof x) => ({
    label: r.label,
    family: r.compilation?.family,
    graphs: r.compilation?.graphs ?? [],
    ...(r.variant === undefined ? {} : { variant: r.variant }),
    ...(r.byName ? { byName: true } : {}),
  });
  return diff(side(x), side(y));
}
