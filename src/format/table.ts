// Aligning rows in columns: stage tables (`stage mbconv e6 k5 s2 c40 n2 se 0.25`)
// and runs of one-line variants. Cells are keyed (`k`, `c`, `se`, `width`), not
// counted, so a row without an expand ratio leaves the `e` column blank instead
// of shifting its kernel under the other rows' expand ratios. Rows keep their
// order of cells; where two rows order the same keys differently, the table
// ends and a new one begins.

export interface Cell {
  key: string;
  text: string;
}

export interface Row {
  cells: Cell[];
  /** Written after the last cell, unaligned (a one-line variant's `}`). */
  tail?: string;
}

/** Past this many distinct keys a table ends: it bounds the work on a pathological spec. */
const MAX_KEYS = 200;

/** Keys made unique within a row: a second `k` (a duplicate, which the checker reports) is `k#2`. */
function keyed(row: Row): string[] {
  const seen = new Map<string, number>();
  return row.cells.map((c) => {
    const n = (seen.get(c.key) ?? 0) + 1;
    seen.set(c.key, n);
    return n === 1 ? c.key : `${c.key}#${n}`;
  });
}

/** Whether `to` is reachable from `from` along `next`. */
function reaches(next: Map<string, Set<string>>, from: string, to: string): boolean {
  const seen = new Set([from]);
  const stack = [from];
  for (let k = stack.pop(); k !== undefined; k = stack.pop()) {
    if (k === to) return true;
    for (const n of next.get(k) ?? []) if (!seen.has(n)) (seen.add(n), stack.push(n));
  }
  return false;
}

export interface TableOptions {
  /** Columns at least this wide (by key). */
  minWidth?: Readonly<Record<string, number>>;
  /** Where the rows leave two columns' order open, the lower tier goes first (then first appearance). */
  tier?: (key: string) => number;
}

/** Column order of rows whose orders agree: a topological order, ties broken by tier, then first appearance. */
function columnOrder(keys: string[][], tier: (key: string) => number): string[] {
  const rank = new Map<string, number>();
  const next = new Map<string, Set<string>>();
  const incoming = new Map<string, number>();
  for (const row of keys) {
    for (const k of row) if (!rank.has(k)) (rank.set(k, rank.size), incoming.set(k, 0));
    for (let i = 1; i < row.length; i++) {
      const edges = next.get(row[i - 1]!) ?? new Set<string>();
      next.set(row[i - 1]!, edges);
      if (!edges.has(row[i]!)) (edges.add(row[i]!), incoming.set(row[i]!, incoming.get(row[i]!)! + 1));
    }
  }
  const order: string[] = [];
  const ready = [...rank.keys()].filter((k) => incoming.get(k) === 0);
  while (ready.length > 0) {
    ready.sort((a, b) => tier(a) - tier(b) || rank.get(a)! - rank.get(b)!);
    const k = ready.shift()!;
    order.push(k);
    for (const n of next.get(k) ?? []) {
      incoming.set(n, incoming.get(n)! - 1);
      if (incoming.get(n) === 0) ready.push(n);
    }
  }
  return order;
}

/** Splits rows into runs whose cell orders agree (no key before another in one row and after it in another). */
function agreeingRuns(keys: string[][]): number[][] {
  const runs: number[][] = [];
  let next = new Map<string, Set<string>>();
  let seen = new Set<string>();
  let run: number[] = [];
  const link = (a: string, b: string) => next.set(a, (next.get(a) ?? new Set()).add(b));
  keys.forEach((row, r) => {
    // Edges join the graph as they are checked, so a cycle closed by this row's own edges is seen too.
    let agrees = seen.size + row.filter((k) => !seen.has(k)).length <= MAX_KEYS;
    for (let i = 1; agrees && i < row.length; i++) {
      if (next.get(row[i - 1]!)?.has(row[i]!)) continue;
      agrees = !reaches(next, row[i]!, row[i - 1]!);
      link(row[i - 1]!, row[i]!);
    }
    if (!agrees) {
      if (run.length > 0) runs.push(run);
      run = [];
      next = new Map();
      seen = new Set();
      for (let i = 1; i < row.length; i++) link(row[i - 1]!, row[i]!);
    }
    for (const k of row) seen.add(k);
    run.push(r);
  });
  runs.push(run);
  return runs;
}

/**
 * Each row as one line: every cell starts at its column (the widest cell of the
 * column above or below, plus one space), trailing blank columns are dropped.
 */
export function alignRows(rows: readonly Row[], options: TableOptions = {}): string[] {
  const minWidth = options.minWidth ?? {};
  const keys = rows.map(keyed);
  const out: string[] = new Array(rows.length);
  for (const run of agreeingRuns(keys)) {
    const order = columnOrder(run.map((r) => keys[r]!), options.tier ?? (() => 0));
    const width = new Map(order.map((k) => [k, Object.hasOwn(minWidth, k) ? minWidth[k]! : 0]));
    for (const r of run) keys[r]!.forEach((k, i) => width.set(k, Math.max(width.get(k)!, rows[r]!.cells[i]!.text.length)));
    const start = new Map<string, number>();
    let column = 0;
    for (const k of order) {
      start.set(k, column);
      column += width.get(k)! + 1;
    }
    for (const r of run) {
      let line = '';
      keys[r]!.forEach((k, i) => (line = line.padEnd(start.get(k)!) + rows[r]!.cells[i]!.text));
      const tail = rows[r]!.tail;
      out[r] = tail === undefined ? line : `${line} ${tail}`;
    }
  }
  return out;
}
