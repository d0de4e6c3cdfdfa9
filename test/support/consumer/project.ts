import { execFile } from 'node:child_process';
import { cpSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../tfjs.js';

// A user's project made from this checkout as npm would ship it: `npm pack`
// (dist/ as built), the tarball installed from the registry's point of view
// into an empty folder, then the consumer sources of scripts/consumer/.

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to its end (never throws for a non-zero exit; a command still
 * running after `timeoutMs` is killed and reads as a failure).
 */
export function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: childEnv(), timeout: timeoutMs, maxBuffer: 64 << 20, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      const why = error && error.killed ? `\n(killed after ${timeoutMs} ms)` : '';
      resolve({ code, stdout, stderr: stderr + why });
    });
  });
}

/**
 * The environment without what npm exports to the scripts it runs (this
 * package's fields, its lifecycle, the config of its .npmrc), so that npm in
 * the user's project reads only that project's config and the user's; where
 * packages come from (registry, cache, proxies, certificates) stays.
 */
const KEEP_NPM_CONFIG = new Set(['cache', 'registry', 'userconfig', 'globalconfig', 'cafile', 'proxy', 'https_proxy', 'noproxy', 'strict_ssl']);
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    const config = /^npm_config_(.*)$/i.exec(k)?.[1]?.toLowerCase();
    if (config !== undefined ? !KEEP_NPM_CONFIG.has(config) : /^npm_/i.test(k) || k === 'INIT_CWD') continue;
    env[k] = v;
  }
  return env;
}

/** `npm pack` of this checkout as built (dist/ must be current): the tarball's path. */
export async function pack(into: string): Promise<string> {
  mkdirSync(into, { recursive: true });
  const r = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', into], root, 120_000);
  if (r.code !== 0) throw new Error(`npm pack failed:\n${r.stderr}`);
  const [info] = JSON.parse(r.stdout) as { filename: string }[];
  return join(into, info!.filename);
}

const NPM_INSTALL = ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--save-exact', '--fetch-retries=1', '--fetch-timeout=60000'];

/** `npm install` of `packages` (names with versions, or tarball paths) into the project at `dir`. */
export async function npmInstall(dir: string, packages: string[]): Promise<void> {
  const r = await run('npm', [...NPM_INSTALL, ...packages], dir, 300_000);
  if (r.code !== 0) throw new Error(`npm install ${packages.join(' ')} failed (exit ${r.code}):\n${r.stderr.slice(-4000)}`);
}

/** Bytes of every file under `dir` (links counted as links, not followed): what an install puts on disk, before block rounding. */
export function treeBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? treeBytes(path) : lstatSync(path).size;
  }
  return total;
}

/** The version this checkout's package.json pins for a dev dependency (the consumer installs the same). */
export function devVersion(name: string): string {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  const v = pkg.devDependencies[name];
  if (v === undefined) throw new Error(`package.json has no devDependency ${name}`);
  return v;
}

export const CONSUMER_SOURCES = join(root, 'scripts/consumer');

/**
 * One consumer project beside the install (it shares the parent's
 * node_modules): scripts/consumer/<kind>/ (package.json, tsconfig.json), the
 * sources of scripts/consumer/src/, and the generated folders copied in, as a
 * user keeps generated code inside their sources.
 */
export function makeConsumer(app: string, kind: 'esm' | 'cjs' | 'bundler', generated: string[]): string {
  const dir = join(app, kind);
  cpSync(join(CONSUMER_SOURCES, kind), dir, { recursive: true });
  cpSync(join(CONSUMER_SOURCES, 'src'), dir, { recursive: true });
  for (const g of generated) cpSync(join(app, g), join(dir, g), { recursive: true });
  return dir;
}

/** The shipped spec with only variant `keep` (generating one variant keeps the test quick). */
export function oneVariantSpec(specPath: string, keep: string, to: string): void {
  const text = readFileSync(specPath, 'utf8');
  const lines = text.split('\n').filter((l) => !/^\s*variant\s/.test(l) || new RegExp(`^\\s*variant\\s+${keep}\\s`).test(l));
  if (lines.length === text.split('\n').length) throw new Error(`${specPath} has no variants to drop`);
  writeFileSync(to, lines.join('\n'));
}
