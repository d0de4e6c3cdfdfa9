import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { DEFAULT_TFJS_MODULE } from '../emit/modules.js';
import { applyPlan, compareWithDisk, PlanRefused, type OutputFile, type Staleness } from '../generate/files.js';
import { checkOutFolder, OutFolderRefused } from '../generate/guard.js';
import { lockFolder, LockBusy } from '../generate/lock.js';
import { inputsKey, recordOutputs, upToDateByRecord } from '../generate/record.js';
import { ownedBy, specFiles, TARGETS, type Target } from '../generate/targets.js';
import { UsageError } from './usage.js';
import { printableLines, type CommandContext } from './io.js';
import { compileOptions, LIMIT_FLAGS, limitOptions, type LimitFlags } from './limits.js';

// `effnet generate [spec...]`: the committed outputs of specs, written or (--check) compared.
// A whole run (all of specs/, every target) whose inputs and outputs are as recorded after
// the last one (generate/record.ts) is up to date without compiling: the compiler and
// the emitters load only when something is to be emitted.

interface GenerateFlags extends LimitFlags {
  out: string;
  check?: boolean;
  target?: Target[];
  tfjsModule: string;
}

const DEFAULT_OUT = 'generated';

/** What stops generate before it writes, as a usage error: one line (a line per path), exit 2. */
const REFUSALS = [PlanRefused, OutFolderRefused, LockBusy];
const asUsage = (e: unknown): unknown =>
  e instanceof PlanRefused
    ? new UsageError(`nothing written; effnet replaces only what it made:\n${e.foreign.map((f) => `  ${f}`).join('\n')}`)
    : REFUSALS.some((R) => e instanceof R)
      ? new UsageError((e as Error).message)
      : e;
export function guarded<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw asUsage(e);
  }
}
async function guardedAsync<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw asUsage(e);
  }
}

/** A word as a POSIX shell reads it back: bare when safe, else single-quoted. */
const shellWord = (w: string): string => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);

/**
 * The command that regenerates what `--check` found out of date: these arguments without
 * --check. A user's project has no `npm run generate`; `npx effnet` runs the installed effnet.
 */
export function regenerateCommand(specs: readonly string[], flags: GenerateFlags): string {
  const limits = [...LIMIT_FLAGS].flatMap(([key, flag]) => (flags[key] === undefined ? [] : [flag, flags[key]!]));
  const words = [
    ...specs,
    ...(flags.out === DEFAULT_OUT ? [] : ['--out', flags.out]),
    ...(flags.tfjsModule === DEFAULT_TFJS_MODULE ? [] : ['--tfjs-module', flags.tfjsModule]),
    ...limits,
    // Last: --target takes every word after it.
    ...(flags.target === undefined ? [] : ['--target', ...flags.target]),
  ];
  return ['npx effnet generate', ...words.map(shellWord)].join(' ');
}

export function registerGenerate(program: Command, ctx: CommandContext): Command {
  const { io, shown } = ctx;

  /** `specs/*.effnet` of the working directory, for `generate` without spec arguments. */
  const defaultSpecs = (): string[] => {
    let found: string[];
    try {
      found = specFiles(resolve(io.cwd, 'specs'));
    } catch {
      found = [];
    }
    if (found.length === 0) throw new UsageError('no spec named and no specs/*.effnet here: name the specs, e.g. `effnet generate my.effnet --out generated`');
    return found.map(shown);
  };

  return limitOptions(
    program
      .command('generate')
      .description('regenerate the committed outputs of specs (all of specs/ when none is named)')
      .argument('[spec...]', '.effnet files (default: specs/*.effnet)')
      .option('--out <dir>', 'output folder', DEFAULT_OUT)
      .addOption(new Option('--target <target...>', 'what to generate (default: all)').choices(TARGETS as readonly string[] as string[]))
      .option('--tfjs-module <module>', 'the module generated tfjs code imports TensorFlow.js from', DEFAULT_TFJS_MODULE)
      .option('--check', 'write nothing; exit 1 listing missing, stale or orphaned files'),
  ).action(async (specs: string[], flags: GenerateFlags) => {
    const all = specs.length === 0;
    const paths = all ? defaultSpecs() : specs;
    const root = resolve(io.cwd, flags.out);
    // Before anything is read or written: --out must be a folder of its own.
    guarded(() => checkOutFolder(root, shown(flags.out), paths.map((p) => ({ path: resolve(io.cwd, p), shown: shown(p) }))));
    const targets = flags.target ?? TARGETS;
    const whole = all && TARGETS.every((t) => targets.includes(t));
    // The record covers whole runs only: a part of the folder is compared the full way.
    const key = whole ? recordKey(io.cwd, paths, flags) : undefined;
    if (key !== undefined) {
      const n = upToDateByRecord(root, key);
      if (n !== undefined) return io.stdout(`${shown(flags.out)}/ is up to date (${n} files)\n`);
    }
    await ctx.loadCompiler?.();
    const { familyOutputs, GENERATED_README } = await import('../generate/generate.js');
    const cs = paths.map((p) => ctx.compile(p, compileOptions(flags)));
    const code = ctx.report(cs);
    ctx.setCode(code);
    if (code !== 0) {
      io.stderr('nothing written: fix the errors above first\n');
      return;
    }
    const families = new Map<string, string>();
    for (const c of cs) {
      const name = c.family!.name;
      const before = families.get(name);
      if (before !== undefined) throw new UsageError(`${before} and ${c.file} both define family \`${name}\`; generated/${name}/ can hold only one`);
      families.set(name, c.file);
    }
    // One family at a time, so a terminal sees each as it is done.
    const outputs: OutputFile[][] = [];
    for (const [i, c] of cs.entries()) {
      const files = await familyOutputs(c, { targets, tfjsModule: flags.tfjsModule });
      outputs.push(files);
      const n = c.graphs.length;
      if (io.stderrIsTTY) io.stderr(printableLines(`[${i + 1}/${cs.length}] ${c.family!.name}: ${n} variant${n === 1 ? '' : 's'}, ${files.length} file${files.length === 1 ? '' : 's'}`) + '\n');
    }
    const readme = all && targets.includes('report') ? [GENERATED_README] : [];
    const files: OutputFile[] = [...readme, ...outputs.flat()];
    const scope = { owned: all ? ['.'] : [...families.keys()], owns: ownedBy(targets) };
    /** One line per file, in the words of a check (missing/stale/orphaned) or of a write (wrote/updated/removed). */
    const summary = (s: Staleness, [missing, stale, orphaned]: string[]) => [
      ...s.missing.map((p) => `${missing} ${p}`),
      ...s.stale.map((p) => `${stale} ${p}`),
      ...s.orphaned.map((p) => `${orphaned} ${p}`),
      ...s.leftovers.map((p) => `${orphaned} ${p}`),
    ];
    if (flags.check) {
      const s = compareWithDisk(root, files, scope);
      const lines = [...summary(s, ['missing ', 'stale   ', 'orphaned']), ...s.foreign.map((why) => `blocked  ${why}`)];
      if (lines.length > 0) {
        const again = regenerateCommand(all ? [] : specs, flags);
        io.stderr(printableLines(`${shown(flags.out)}/ is out of date (run \`${again}\`):\n${lines.map((l) => `  ${l}`).join('\n')}`) + '\n');
        ctx.setCode(1);
      } else io.stdout(`${shown(flags.out)}/ is up to date (${files.length} files)\n`);
      // --check writes nothing, not even the record: the next `generate` makes it.
      return;
    }
    const release = await guardedAsync(() => lockFolder(root));
    let lines: string[];
    try {
      lines = summary(guarded(() => applyPlan(root, files, scope)), ['wrote   ', 'updated ', 'removed ']);
      if (key !== undefined) recordOutputs(root, key, files);
    } finally {
      release();
    }
    io.stdout(lines.length === 0 ? `${shown(flags.out)}/ is up to date (${files.length} files)\n` : `${lines.join('\n')}\n`);
  });
}

/** What a whole run is made from besides effnet itself: the specs (path and bytes) and every option that changes the output. */
function recordKey(cwd: string, paths: readonly string[], flags: GenerateFlags): string | undefined {
  try {
    return inputsKey(
      paths.map((p) => ({ shown: p, path: resolve(cwd, p) })),
      { targets: [...TARGETS], tfjsModule: flags.tfjsModule, limits: [...LIMIT_FLAGS.keys()].map((k) => flags[k] ?? null) },
    );
  } catch {
    // A spec that cannot be read: the full path reports it.
    return undefined;
  }
}
