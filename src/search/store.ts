import { closeSync, constants, fstatSync, ftruncateSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { writeAtomic } from '../io/write.js';
import { canonicalJson, type NetworkRef, type MeasureSettings } from './key.js';

// The search's append-only result store: JSON Lines, a header line, then one record per
// evaluated network. A record is appended with a single write as soon as its candidate is
// done, so a killed search loses at most the candidate it was on: the next run reads the store,
// skips every key it holds and evaluates the rest. Only the last line can be cut short (a kill
// mid-write): it is dropped with a warning and that candidate evaluated again. Anything else
// that does not read as a store is refused, never rewritten.

export const STORE_HEADER = '{"effnetSearchStore":1}';

/** Largest store read (a record is a few hundred bytes: a million candidates). */
export const MAX_STORE_BYTES = 512 * 2 ** 20;

export interface EvalRecord {
  key: string;
  kind: 'eval';
  network: NetworkRef;
  command: string;
  /** The evaluator's metrics, or why there are none. */
  metrics?: Record<string, number>;
  error?: string;
  /** The end of the evaluator's stderr, when it failed. */
  stderr?: string;
  /** Wall time: not compared when stores are merged. */
  seconds: number;
}

export interface LatencyRecord {
  key: string;
  kind: 'latency';
  network: NetworkRef;
  measure: MeasureSettings;
  latency?: { medianMs: number; minMs: number; maxMs: number; runtime: string };
  error?: string;
  seconds: number;
}

export type StoreRecord = EvalRecord | LatencyRecord;

/** A path that is not a store, or a store with a damaged line: one line, names the file. */
export class StoreError extends Error {}

/** The record as compared across stores: everything but the wall time. */
export const comparable = (r: StoreRecord): string => canonicalJson({ ...r, seconds: undefined });

const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isObject = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);

/** Why `x` is not a record this version reads, or null. */
function recordProblem(x: unknown): string | null {
  if (!isObject(x)) return 'not a JSON object';
  if (typeof x.key !== 'string' || !/^[0-9a-f]{64}$/.test(x.key)) return 'no sha256 `key`';
  const n = x.network;
  if (!isObject(n) || !['resolution', 'params', 'macs'].every((k) => isNumber(n[k])) || typeof n.network !== 'string') return 'no `network`';
  if (!isNumber(x.seconds)) return 'no `seconds`';
  if (x.error !== undefined && typeof x.error !== 'string') return '`error` is not a string';
  if (x.kind === 'eval') {
    if (typeof x.command !== 'string') return 'no `command`';
    if (x.error === undefined && !(isObject(x.metrics) && Object.values(x.metrics).every(isNumber))) return 'neither `metrics` of numbers nor `error`';
    return null;
  }
  if (x.kind === 'latency') {
    const m = x.measure;
    if (!isObject(m) || typeof m.target !== 'string' || !isNumber(m.runs) || !isNumber(m.warmup) || !isNumber(m.batch)) return 'no `measure`';
    const l = x.latency;
    if (x.error === undefined && !(isObject(l) && isNumber(l.medianMs) && isNumber(l.minMs) && isNumber(l.maxMs) && typeof l.runtime === 'string')) return 'neither `latency` nor `error`';
    return null;
  }
  return '`kind` is neither "eval" nor "latency"';
}

export interface StoreContents {
  /** Every record, in file order. */
  records: StoreRecord[];
  /** Bytes of whole lines: a cut-short last line starts here. */
  whole: number;
  /** The last line was cut short (a killed write). */
  truncated: boolean;
}

/** Parses a store's text; `shown` names it in errors. */
export function parseStore(text: string, shown: string): StoreContents {
  // The header alone, without its newline, is whole.
  const end = text.includes('\n') ? text.lastIndexOf('\n') + 1 : text.length;
  const firstLine = text.slice(0, text.indexOf('\n') === -1 ? text.length : text.indexOf('\n'));
  if (firstLine.trim() !== STORE_HEADER) throw new StoreError(`${shown} is not an effnet search store (its first line is not ${STORE_HEADER}); name another file`);
  const lines = text.slice(0, end).split('\n');
  const records: StoreRecord[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new StoreError(`${shown}:${i + 1}: not a JSON line; the store is damaged (fix or delete that line)`);
    }
    const problem = recordProblem(value);
    if (problem) throw new StoreError(`${shown}:${i + 1}: not a search record (${problem}); fix or delete that line`);
    records.push(value as StoreRecord);
  }
  return { records, whole: end, truncated: end < text.length && text.slice(end).trim() !== '' };
}

/** The record that counts for each key: the last one written (a retried candidate is appended again). */
export function latestByKey(records: readonly StoreRecord[]): Map<string, StoreRecord> {
  return new Map(records.map((r) => [r.key, r]));
}

/** A store opened for appending. */
export class Store {
  private constructor(
    readonly path: string,
    private readonly fd: number,
    readonly records: Map<string, StoreRecord>,
  ) {}

  /**
   * Opens the store at `path`, creating it (header only) when there is no file; refuses a file
   * that is not a store. `warn` hears about a cut-short last line, which is dropped.
   */
  static open(path: string, shown: string, warn: (message: string) => void): Store {
    let exists = true;
    try {
      const st = statSync(path);
      if (!st.isFile()) throw new StoreError(`--store ${shown} is not a regular file`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      exists = false;
    }
    // A new store appears whole: its header, atomically.
    if (!exists) writeAtomic(path, `${STORE_HEADER}\n`);
    const fd = openSync(path, constants.O_RDWR | constants.O_APPEND);
    try {
      const size = fstatSync(fd).size;
      if (size > MAX_STORE_BYTES) throw new StoreError(`--store ${shown} is over ${MAX_STORE_BYTES / 2 ** 20} MiB; start another store`);
      const bytes = Buffer.alloc(size);
      let at = 0;
      while (at < size) {
        const n = readSync(fd, bytes, at, size - at, at);
        if (n === 0) break;
        at += n;
      }
      const read = bytes.subarray(0, at);
      const contents = parseStore(read.toString('utf8'), shown);
      if (contents.truncated) {
        warn(`${shown}: its last line was cut short (a killed run); dropped, and that candidate is evaluated again`);
        ftruncateSync(fd, read.lastIndexOf(0x0a) + 1);
      } else if (read.at(-1) !== 0x0a) writeSync(fd, '\n');
      return new Store(path, fd, latestByKey(contents.records));
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  get(key: string): StoreRecord | undefined {
    return this.records.get(key);
  }

  /** Appends one record: one write of one line, so a kill leaves whole lines or a cut-short last one. */
  append(record: StoreRecord): void {
    const line = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
    let at = 0;
    while (at < line.length) at += writeSync(this.fd, line, at, line.length - at);
    this.records.set(record.key, record);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** A store's text: the header and the records sorted by key. */
export function storeText(records: readonly StoreRecord[]): string {
  const sorted = [...records].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return `${STORE_HEADER}\n${sorted.map((r) => `${JSON.stringify(r)}\n`).join('')}`;
}

export interface MergeResult {
  records: StoreRecord[];
  /** Keys two inputs hold different records for (timings aside), with the inputs' names. */
  conflicts: { key: string; first: string; second: string }[];
  /** Records seen more than once, identical. */
  duplicates: number;
}

/** The union of stores by key: identical records once, differing ones reported (the first input's kept). */
export function mergeStores(inputs: readonly { shown: string; records: readonly StoreRecord[] }[]): MergeResult {
  const kept = new Map<string, { record: StoreRecord; from: string }>();
  const conflicts: MergeResult['conflicts'] = [];
  let duplicates = 0;
  for (const input of inputs)
    for (const record of latestByKey(input.records).values()) {
      const before = kept.get(record.key);
      if (!before) kept.set(record.key, { record, from: input.shown });
      else if (comparable(before.record) === comparable(record)) duplicates++;
      else conflicts.push({ key: record.key, first: before.from, second: input.shown });
    }
  return { records: [...kept.values()].map((k) => k.record), conflicts, duplicates };
}
