#!/usr/bin/env node
import { isAbsolute, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { realpathSync } from 'node:fs';
import { Command, CommanderError, Help, Option } from 'commander';
import { compileFile, type Compilation, type CompileOptions } from '../compile/compile.js';
import { hasErrors } from '../diagnostics/diagnostic.js';
import { renderDiagnostics } from '../diagnostics/render.js';
import { applyPlan, compareWithDisk } from '../generate/files.js';
import { GRAMMAR_MARKER, grammarFiles } from '../grammar/write.js';
import { REPORT_FORMATS, renderReport, reportInput, type ReportFormat } from '../report/report.js';
import { ReadError } from '../io/read.js';
import { WriteError, writeOutput } from '../io/write.js';
import { registerConvert } from './convert-command.js';
import { CHECK_FORMATS, renderCheck, type CheckFormat } from './check-output.js';
import { registerDemo } from './demo-command.js';
import { registerFmt } from './fmt-command.js';
import { registerLsp } from './lsp-command.js';
import { registerDiff } from './diff-command.js';
import { guarded, registerGenerate } from './generate-command.js';
import { registerInfer } from './infer-command.js';
import { registerScale } from './scale-command.js';
import { registerSearch } from './search-command.js';
import { UsageError } from './input.js';
import { readMetrics } from './metrics.js';
import { printableLines, type CommandContext, type Io } from './io.js';
import { compileOptions, limitOptions, type LimitFlags } from './limits.js';
import { registerValidateWgsl } from './wgsl-command.js';

export type { Io } from './io.js';

// A thin layer: parse arguments, call the library, print, return an exit code.
// 0 success (warnings allowed), 1 errors in the input or stale output, 2 usage.

/** Input that names no file to read (missing, not a regular file, over --max-spec-mib), or a variant that is not there, is a usage error. */
const USAGE_CODES = new Set(['E006', 'E007', 'E037']);

/**
 * Help marks every required option `(required)` (commander shows nothing), on every command
 * however it was registered.
 */
export function markRequiredOptions(command: Command): void {
  command.configureHelp({
    ...command.configureHelp(),
    optionDescription(this: Help, option: Option): string {
      const text = Help.prototype.optionDescription.call(this, option);
      return option.mandatory ? `${text} (required)` : text;
    },
  });
  for (const sub of command.commands) markRequiredOptions(sub);
}

/** The shared context commands get: output, compiling and diagnostics with the user's paths, the exit code. */
function commandContext(io: Io, setCode: (code: number) => void): CommandContext {
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
  return { io, compile, report, setCode, shown };
}

/** Every command of effnet, wired to `io`; an action's exit code goes to `setCode`. */
export function createProgram(io: Io, setCode: (code: number) => void): Command {
  const ctx = commandContext(io, setCode);
  const { compile, report } = ctx;
  const program = new Command('effnet')
    .description('Compile .effnet specs of EfficientNet-family networks into scaled layer graphs, cost reports and model sources.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run `effnet --help` for usage)');

  limitOptions(
    program
      .command('check')
      .description('check specs; diagnostics on stderr (with --format json or sarif: on stdout)')
      .argument('<spec...>', '.effnet files')
      .addOption(new Option('--format <format>', 'diagnostics as text (stderr), json or sarif (stdout)').choices([...CHECK_FORMATS]).default('text')),
  ).action((specs: string[], flags: LimitFlags & { format: CheckFormat }) => {
      const cs = specs.map((s) => compile(s, compileOptions(flags)));
      if (flags.format !== 'text') {
        io.stdout(renderCheck(flags.format, cs, program.version()));
        const all = cs.flatMap((c) => c.diagnostics);
        return setCode(all.some((d) => USAGE_CODES.has(d.code)) ? 2 : hasErrors(all) ? 1 : 0);
      }
      setCode(report(cs));
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
      .option('--metrics <file.json>', 'top-1 accuracy per variant, {"b0": 0.771, …}, for the html scaling charts')
      .option('--out <file>', 'write to a file instead of stdout (`-`: stdout)'),
  ).action((spec: string, flags: LimitFlags & { variant?: string[]; format: ReportFormat; perLayer?: boolean; resolution?: string; metrics?: string; out?: string }) => {
    const metrics = flags.metrics === undefined ? undefined : readMetrics(resolve(io.cwd, flags.metrics), flags.metrics);
    const resolution = flags.resolution === undefined ? undefined : Number(flags.resolution);
    if (resolution !== undefined && !(Number.isSafeInteger(resolution) && resolution > 0 && /^\s*\d+\s*$/.test(flags.resolution!)))
      throw new UsageError(`--resolution takes a positive number of pixels, not ${JSON.stringify(flags.resolution)}`);
    const c = compile(spec, { ...compileOptions(flags, flags.variant), ...(resolution === undefined ? {} : { resolution }) });
    const code = report([c]);
    setCode(code);
    if (code !== 0 || !c.family) return;
    const text = renderReport(reportInput(c.family.name, c.file, c.graphs), flags.format, { perLayer: flags.perLayer ?? false, ...(metrics ? { metrics } : {}) });
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
    const code = report([c]);
    setCode(code);
    if (code !== 0 || !c.family) return;
    const value = flags.variant === undefined ? c.family : c.graphs[0];
    // Source ranges are for diagnostics; the JSON keeps only the line.
    io.stdout(JSON.stringify(value, (k, v) => (k === 'range' ? { line: v.start.line } : k === 'file' ? c.file : v), 2) + '\n');
  });

  registerGenerate(program, ctx);

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
        setCode(1);
      } else io.stdout(changed.length === 0 ? 'grammar/ is up to date\n' : `wrote ${changed.map((p) => `grammar/${p}`).join(', ')}\n`);
    });

  // Commands that live in their own files.
  registerDiff(program, io, setCode);
  registerInfer(program, ctx);
  registerValidateWgsl(program, io, setCode);
  registerDemo(program, ctx);
  registerFmt(program, ctx);
  registerLsp(program, ctx);
  registerConvert(program, ctx);
  registerScale(program, ctx);
  registerSearch(program, ctx);

  // Last, after every command is registered.
  markRequiredOptions(program);
  return program;
}

export async function main(argv: string[], io: Io): Promise<number> {
  let code = 0;
  const program = createProgram(io, (c) => (code = c));

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
    stderrIsTTY: process.stderr.isTTY === true,
    cwd: process.cwd(),
    color,
  }).then((code) => {
    // Exit explicitly once output is flushed: Dawn (the wgsl target) keeps the event loop alive.
    process.exitCode = code;
    process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  });
}
