import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeAtomic } from '../io/write.js';
import { isGenerated, listTree, type OutputFile } from './files.js';

// A record of what the last whole `effnet generate` (or --check that found all up to date) of
// an output folder was made from (one key: effnet's code, its dependencies' versions, the
// options and every spec's bytes) and of what the folder held (a hash per file). When the key
// is the same and every file still has its hash, the outputs are what this effnet would emit
// again, so `generate --check` answers without compiling or emitting anything. Anything else
// (an edited or removed file, a stray generated file, another spec or effnet) sends generate
// down its full path, which finds exactly what differs.
//
// The record is a cache kept outside the output folder (EFFNET_CACHE, else the user's cache
// folder), keyed by the folder's real path: the key covers effnet's own code, which changes
// with every commit of effnet, so a record inside generated/ would churn in every commit
// without any output changing. A record that cannot be read or written is simply not used.

const FORMAT = 'effnet-generate-record/1';

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

export interface OutputRecord {
  key: string;
  /** sha256 of each output file, by path relative to the output root. */
  files: Record<string, string>;
}

/** Every file of effnet's own code (the folder above this one), in a stable order. */
function codeFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...codeFiles(path));
    else if (e.isFile() && /\.(js|ts|wgsl|json)$/.test(e.name) && !e.name.endsWith('.d.ts') && !e.name.endsWith('.map')) out.push(path);
  }
  return out;
}

/** effnet's package.json: the first one above its code. */
function packageRoot(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** The installed version of `name`, looked up as Node would (node_modules folders from `root` up). */
function installedVersion(root: string, name: string): string {
  for (let dir = root; ; dir = dirname(dir)) {
    const path = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(path)) return (JSON.parse(readFileSync(path, 'utf8')) as { version?: string }).version ?? '?';
    if (dirname(dir) === dir) return 'missing';
  }
}

let fingerprint: string | undefined;

/** A hash of what makes effnet's output: its code, its version and its dependencies' versions. */
export function effnetFingerprint(): string {
  if (fingerprint !== undefined) return fingerprint;
  const code = dirname(dirname(fileURLToPath(import.meta.url)));
  const h = createHash('sha256').update(FORMAT);
  for (const f of codeFiles(code)) h.update(`\0${f.slice(code.length)}\0`).update(readFileSync(f));
  const root = packageRoot(code);
  if (root !== undefined) {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string; dependencies?: Record<string, string> };
    h.update(`\0version ${pkg.version ?? '?'}`);
    for (const name of Object.keys(pkg.dependencies ?? {}).sort()) h.update(`\0${name}@${installedVersion(root, name)}`);
  }
  return (fingerprint = h.digest('hex'));
}

/** What a run's outputs are made from: effnet, the options and each spec (as named, and its bytes). */
export function inputsKey(specs: readonly { shown: string; path: string }[], options: unknown): string {
  const h = createHash('sha256').update(`${FORMAT}\0${effnetFingerprint()}\0${JSON.stringify(options)}`);
  for (const s of specs) h.update(`\0${s.shown}\0`).update(sha256(readFileSync(s.path)));
  return h.digest('hex');
}

/** Where the record of the output folder `root` lives. */
function recordPath(root: string): string {
  const cache = process.env.EFFNET_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'effnet');
  let real = root;
  try {
    real = realpathSync(root);
  } catch {
    // Not there yet: named as given.
  }
  return join(cache, `generate-${sha256(real).slice(0, 24)}.json`);
}

/** Records that `root` holds `files`, made from `key`; best effort (a cache that cannot be written is skipped). */
export function recordOutputs(root: string, key: string, files: readonly OutputFile[]): void {
  const record: OutputRecord = { key, files: Object.fromEntries(files.map((f) => [f.path, sha256(f.content)])) };
  try {
    writeAtomic(recordPath(root), `${JSON.stringify(record)}\n`);
  } catch {
    // Read-only home, full disk: the next --check takes the full path.
  }
}

function readRecord(root: string): OutputRecord | undefined {
  try {
    const m = JSON.parse(readFileSync(recordPath(root), 'utf8')) as Partial<OutputRecord>;
    return typeof m.key === 'string' && typeof m.files === 'object' && m.files !== null ? { key: m.key, files: m.files } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The number of files when the folder `root` holds exactly what was recorded for `key`: every
 * recorded file a regular file with its hash, no other generated file, no leftover of a killed
 * run. Otherwise undefined (the caller compiles and compares).
 */
export function upToDateByRecord(root: string, key: string): number | undefined {
  const m = readRecord(root);
  if (m === undefined || m.key !== key) return undefined;
  const tree = listTree(root, '.');
  if (tree.temps.length > 0) return undefined;
  const onDisk = new Set(tree.files);
  for (const [path, hash] of Object.entries(m.files)) {
    if (!onDisk.has(path)) return undefined;
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(root, path));
    } catch {
      return undefined;
    }
    if (sha256(bytes) !== hash) return undefined;
  }
  for (const path of tree.files) if (!Object.hasOwn(m.files, path) && isGenerated(join(root, path))) return undefined;
  return Object.keys(m.files).length;
}
