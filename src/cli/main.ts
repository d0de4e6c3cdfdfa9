#!/usr/bin/env node
import { isAbsolute, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { realpathSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { compileFile, type Compilation, type CompileOptions } from '../compile/compile.js';
import { hasErrors } from '../diagnostics/diagnostic.js';
import { renderDiagnostics } from '../diagnostics/render.js';
import { applyPlan, compareWithDisk, PlanRefused, type OutputFile, type Staleness } from '../generate/files.js';
import { checkOutFolder, OutFolderRefused } from '../generate/guard.js';
import { lockFolder, LockBusy } from '../generate/lock.js';
import { familyOutputs, GENERATED_README, ownedBy, specFiles, TARGETS, type Target } from '../generate/generate.js';
import { DEFAULT_TFJS_MODULE } from '../tfjs/emit.js';
import { GRAMMAR_MARKER, grammarFiles } from '../grammar/write.js';
import { registerDiff } from './diff-command.js';
import { registerDemo } from './demo-command.js';
import { registerInfer } from './infer-command.js';
import { UsageError } from './input.js';
import { ReadError } from '../io/read.js';
import { WriteError, writeOutput } from '../io/write.js';
import { registerValidateWgsl } from './wgsl-command.js';
import { printableLines, type Io } from './io.js';

export type { Io } from './io.js';
import { REPORT_FORMATS, renderReport, reportInput, type ReportFormat } from '../report/report.js';

// A thin layer: parse arguments, call the library, print, return an exit code.
// 0 success (warnings allowed), 1 errors in the input or stale output, 2 usage.

/** Input that names no file to read (missing, not a regular file, over --max-spec-mib), or a variant that is not there, is a usage error. */
const USAGE_CODES = new Set(['E006', 'E007', 'E037']);

interface LimitFlags {
  maxParams?: string;
  maxActivationMib?: string;
  maxSpecMib?: string;
  maxVariants?: string;
}

function positive(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number, not "${text}"`);
  return n;
}

function compileOptions(flags: LimitFlags, variants?: string[]): CompileOptions {
  const maxParams = positive('--max-params', flags.maxParams);
  const mib = positive('--max-activation-mib', flags.maxActivationMib);
  const specMib = positive('--max-spec-mib', flags.maxSpecMib);
  const maxVariants = positive('--max-variants', flags.maxVariants);
  if (maxVariants !== undefined && !Number.isSafeInteger(maxVariants)) throw new UsageError(`--max-variants must be a whole number, not "${flags.maxVariants}"`);
  return {
    variants,
    ...(specMib === undefined ? {} : { maxSpecBytes: Math.floor(specMib * 2 ** 20) }),
    ...(maxVariants === undefined ? {} : { maxVariants }),
    limits: {
      ...(maxParams === undefined ? {} : { maxParams }),
      ...(mib === undefined ? {} : { maxActivationBytes: mib * 2 ** 20 }),
    },
  };
}

const limitOptions = (c: Command): Command =>
  c
    .option('--max-params <n>', 'refuse variants with more trainable parameters (default 2e9)')
    .option('--max-activation-mib <n>', 'refuse variants whose float32 activations for one image exceed this (default 65536)')
    .option('--max-spec-mib <n>', 'refuse a spec file larger than this (default 8)')
    .option('--max-variants <n>', 'refuse a spec with more variants (default 1000)');

/** What stops generate before it writes, as a usage error: one line (a line per path), exit 2. */
const REFUSALS = [PlanRefused, OutFolderRefused, LockBusy];
const asUsage = (e: unknown): unknown =>
  e instanceof PlanRefused
    ? new UsageError(`nothing written; effnet replaces only what it made:\n${e.foreign.map((f) => `  ${f}`).join('\n')}`)
    : REFUSALS.some((R) => e instanceof R)
      ? new UsageError((e as Error).message)
      : e;
function guarded<T>(f: () => T): T {
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

export async function main(argv: string[], io: Io): Promise<number> {
  /** Paths as the user gave them, relative to the working directory, so output is machine-independent. */
  const shown = (p: string) => {
    const r = relative(io.cwd, resolve(io.cwd, p));
    return (r === '' || r.startsWith('..') || isAbsolute(r) ? p : r).split('\\').join('/');
  };
  const compile = (path: string, options: CompileOptions): Compilation => {
    const c = compileFile(resolve(io.cwd, path), options);
    const file = shown(path);
    // Diagnostics and reports name the file as the user wrote it.
    return { ...c, file, diagnostics: c.diagnostics.map((d) => ({ ...d, file })) };
  };
  /** Prints diagnostics; returns the exit code they call for (0 when only warnings). */
  const report = (cs: Compilation[]): number => {
    const all = cs.flatMap((c) => c.diagnostics);
    if (all.length > 0) io.stderr(renderDiagnostics(all, new Map(cs.map((c) => [c.file, c.source])), { color: io.color }) + '\n');
    if (all.some((d) => USAGE_CODES.has(d.code))) return 2;
    return hasErrors(all) ? 1 : 0;
  };

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

  let code = 0;
  const program = new Command('effnet')
    .description('Compile .effnet specs of EfficientNet-family networks into scaled layer graphs, cost reports and model sources.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run `effnet --help` for usage)');

  limitOptions(program.command('check').description('check specs; diagnostics on stderr').argument('<spec...>', '.effnet files'))
    .action((specs: string[], flags: LimitFlags) => {
      const cs = specs.map((s) => compile(s, compileOptions(flags)));
      code = report(cs);
      for (const c of cs) if (c.family && !hasErrors(c.diagnostics)) io.stdout(`ok ${c.file}: family ${c.family.name}, ${c.graphs.length} variant${c.graphs.length === 1 ? '' : 's'}\n`);
    });

  limitOptions(
    program
      .command('report')
      .description('parameters, MACs, FLOPs and activation memory per variant, stage and layer')
      .argument('<spec>', '.effnet file')
      .option('--variant <name...>', 'only these variants (default: all)')
      .addOption(new Option('--format <format>', 'output format').choices(REPORT_FORMATS as string[]).default('md'))
      .option('--per-layer', 'add a per-layer table')
      .option('--resolution <pixels>', 'every variant at this input size instead of its own')
      .option('--out <file>', 'write to a file instead of stdout (`-`: stdout)'),
  ).action((spec: string, flags: LimitFlags & { variant?: string[]; format: ReportFormat; perLayer?: boolean; resolution?: string; out?: string }) => {
    const resolution = flags.resolution === undefined ? undefined : Number(flags.resolution);
    if (resolution !== undefined && !(Number.isSafeInteger(resolution) && resolution > 0 && /^\s*\d+\s*$/.test(flags.resolution!)))
      throw new UsageError(`--resolution takes a positive number of pixels, not ${JSON.stringify(flags.resolution)}`);
    const c = compile(spec, { ...compileOptions(flags, flags.variant), ...(resolution === undefined ? {} : { resolution }) });
    code = report([c]);
    if (code !== 0 || !c.family) return;
    const text = renderReport(reportInput(c.family.name, c.file, c.graphs), flags.format, { perLayer: flags.perLayer ?? false });
    if (flags.out !== undefined && flags.out !== '-') writeOutput(resolve(io.cwd, flags.out), text, { shown: flags.out, inputs: [resolve(io.cwd, spec)] });
    else io.stdout(text);
  });

  limitOptions(
    program
      .command('ir')
      .description('the family IR as JSON, or with --variant the variant graph')
      .argument('<spec>', '.effnet file')
      .option('--variant <name>', 'print this variant\'s layer graph'),
  ).action((spec: string, flags: LimitFlags & { variant?: string }) => {
    const options = compileOptions(flags, flags.variant === undefined ? undefined : [flags.variant]);
    const c = compile(spec, flags.variant === undefined ? { ...options, irOnly: true } : options);
    code = report([c]);
    if (code !== 0 || !c.family) return;
    const value = flags.variant === undefined ? c.family : c.graphs[0];
    // Source ranges are for diagnostics; the JSON keeps only the line.
    io.stdout(JSON.stringify(value, (k, v) => (k === 'range' ? { line: v.start.line } : k === 'file' ? c.file : v), 2) + '\n');
  });

  limitOptions(
    program
      .command('generate')
      .description('regenerate the committed outputs of specs (all of specs/ when none is named)')
      .argument('[spec...]', '.effnet files (default: specs/*.effnet)')
      .option('--out <dir>', 'output folder', 'generated')
      .addOption(new Option('--target <target...>', 'what to generate (default: all)').choices(TARGETS as readonly string[] as string[]))
      .option('--tfjs-module <module>', 'the module generated tfjs code imports TensorFlow.js from', DEFAULT_TFJS_MODULE)
      .option('--check', 'write nothing; exit 1 listing missing, stale or orphaned files'),
  ).action(async (specs: string[], flags: LimitFlags & { out: string; check?: boolean; target?: Target[]; tfjsModule: string }) => {
    const all = specs.length === 0;
    const paths = all ? defaultSpecs() : specs;
    const root = resolve(io.cwd, flags.out);
    // Before anything is read or written: --out must be a folder of its own.
    guarded(() => checkOutFolder(root, shown(flags.out), paths.map((p) => ({ path: resolve(io.cwd, p), shown: shown(p) }))));
    const cs = paths.map((p) => compile(p, compileOptions(flags)));
    code = report(cs);
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
    const targets = flags.target ?? TARGETS;
    const outputs = await Promise.all(cs.map((c) => familyOutputs(c, { targets, tfjsModule: flags.tfjsModule })));
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
        io.stderr(`${shown(flags.out)}/ is out of date (run \`npm run generate\`):\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
        code = 1;
      } else io.stdout(`${shown(flags.out)}/ is up to date (${files.length} files)\n`);
      return;
    }
    const release = await guardedAsync(() => lockFolder(root));
    let lines: string[];
    try {
      lines = summary(guarded(() => applyPlan(root, files, scope)), ['wrote   ', 'updated ', 'removed ']);
    } finally {
      release();
    }
    io.stdout(lines.length === 0 ? `${shown(flags.out)}/ is up to date (${files.length} files)\n` : `${lines.join('\n')}\n`);
  });

  program
    .command('grammar')
    .description('regenerate grammar/ (EBNF, syntax diagrams, TextMate grammar) from the parser')
    .option('--check', 'write nothing; exit 1 when grammar/ is stale')
    .action((flags: { check?: boolean }) => {
      const files = grammarFiles().map((f) => ({ path: f.path.replace(/^grammar\//, ''), content: f.content }));
      const root = resolve(io.cwd, 'grammar');
      const scope = { owned: [], marker: GRAMMAR_MARKER };
      const s = flags.check ? compareWithDisk(root, files, scope) : guarded(() => applyPlan(root, files, scope));
      const changed = [...s.missing, ...s.stale];
      if (flags.check && changed.length > 0) {
        io.stderr(`grammar/ is out of date (run \`npm run grammar\`): ${changed.join(', ')}\n`);
        code = 1;
      } else io.stdout(changed.length === 0 ? 'grammar/ is up to date\n' : `wrote ${changed.map((p) => `grammar/${p}`).join(', ')}\n`);
    });

  registerDiff(program, io, (c) => (code = c));
  registerInfer(program, { io, compile, report, setCode: (c) => (code = c) });
  registerValidateWgsl(program, io, (c) => (code = c));
  registerDemo(program, { io, compile, report, setCode: (c) => (code = c) });

  if (argv.length === 0) {
    // Usage on stderr and the usage exit code: a script that forgot its command must not pass.
    io.stderr(program.helpInformation());
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? 0 : 2;
    }
    if (e instanceof UsageError || e instanceof ReadError || e instanceof WriteError) {
      io.stderr(`effnet: ${printableLines(e.message)}\n`);
      return 2;
    }
    // A bug of ours: one line, no stack trace, and a way to report it.
    io.stderr(`effnet: internal error: ${printableLines((e as Error)?.message ?? String(e))}\n(this is a bug in effnet; please report it with the spec that caused it)\n`);
    return 70;
  }
}

function isEntryPoint(): boolean {
  try {
    return import.meta.url === pathToFileURL(realpathSync(process.argv[1] ?? '')).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const noColor = process.env.NO_COLOR !== undefined;
  const color = process.stderr.isTTY === true && !noColor;
  main(process.argv.slice(2), {
    stdoutColor: process.stdout.isTTY === true && !noColor,
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    cwd: process.cwd(),
    color,
  }).then((code) => {
    // Exit explicitly once output is flushed: Dawn (the wgsl target) keeps the event loop alive.
    process.exitCode = code;
    process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  });
}
