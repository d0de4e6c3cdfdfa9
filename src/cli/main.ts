#!/usr/bin/env node
import { isAbsolute, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { realpathSync } from 'node:fs';
import { Command, CommanderError, Help, Option } from 'commander';
import type { Compilation, CompileOptions } from '../compile/compile.js';
import { hasErrors } from '../diagnostics/diagnostic.js';
import { renderDiagnostics } from '../diagnostics/render.js';
import { ReadError } from '../io/read.js';
import { WriteError } from '../io/write-error.js';
import { UsageError } from './usage.js';
import { printableLines, USAGE_CODES, type CommandContext, type Io } from './io.js';

export type { Io } from './io.js';

// A thin layer: parse arguments, call the library, print, return an exit code.
// 0 success (warnings allowed), 1 errors in the input or stale output, 2 usage.
// Each command lives in its own file, loaded only when that command runs (or for
// help): `effnet check` never loads an emitter, prettier or TensorFlow.js.

type Register = (program: Command, ctx: CommandContext) => unknown;

/** Every command, in help order, with the loading of its file. */
const COMMANDS: readonly (readonly [string, () => Promise<Register>])[] = [
  ['check', async () => (await import('./check-command.js')).registerCheck],
  ['report', async () => (await import('./report-command.js')).registerReport],
  ['ir', async () => (await import('./ir-command.js')).registerIr],
  ['generate', async () => (await import('./generate-command.js')).registerGenerate],
  ['grammar', async () => (await import('./grammar-command.js')).registerGrammar],
  ['diff', async () => withIo((await import('./diff-command.js')).registerDiff)],
  ['infer', async () => (await import('./infer-command.js')).registerInfer],
  ['validate-wgsl', async () => withIo((await import('./wgsl-command.js')).registerValidateWgsl)],
  ['demo', async () => (await import('./demo-command.js')).registerDemo],
  ['fmt', async () => (await import('./fmt-command.js')).registerFmt],
  ['lsp', async () => (await import('./lsp-command.js')).registerLsp],
  ['convert', async () => (await import('./convert-command.js')).registerConvert],
  ['scale', async () => (await import('./scale-command.js')).registerScale],
  ['search', async () => (await import('./search-command.js')).registerSearch],
  ['export', async () => (await import('./export-command.js')).registerExport],
];

/** Commands that compile nothing, or load the compiler only when they need it. */
const NO_COMPILER: ReadonlySet<string> = new Set(['generate', 'convert', 'validate-wgsl']);

const withIo =
  (register: (program: Command, io: Io, setCode: (code: number) => void) => unknown): Register =>
  (program, ctx) =>
    register(program, ctx.io, ctx.setCode);

/**
 * The registrations a process needs: for a command line naming a command, that command's;
 * otherwise (help, a typo, no command, a module importing this one) every command's.
 */
async function loadCommands(args: readonly string[] | undefined): Promise<Register[]> {
  const named = args?.[0];
  const one = COMMANDS.find(([name]) => name === named);
  return Promise.all((one ? [one] : COMMANDS).map(([, load]) => load()));
}

function isEntryPoint(): boolean {
  try {
    return import.meta.url === pathToFileURL(realpathSync(process.argv[1] ?? '')).href;
  } catch {
    return false;
  }
}

const registrations = await loadCommands(isEntryPoint() ? process.argv.slice(2) : undefined);

let compiler: typeof import('../compile/compile.js') | undefined;
const loadCompiler = async (): Promise<void> => {
  compiler ??= await import('../compile/compile.js');
};

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
    if (compiler === undefined) throw new Error('the compiler was not loaded before compiling (await ctx.loadCompiler())');
    const c = compiler.compileFile(resolve(io.cwd, path), options);
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
  return { io, compile, loadCompiler, report, setCode, shown };
}

/** The commands of effnet this process has loaded (all, unless it is the CLI running one), wired to `io`; an action's exit code goes to `setCode`. */
export function createProgram(io: Io, setCode: (code: number) => void): Command {
  const ctx = commandContext(io, setCode);
  const program = new Command('effnet')
    .description('Compile .effnet specs of EfficientNet-family networks into scaled layer graphs, cost reports and model sources.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run `effnet --help` for usage)')
    .hook('preAction', async (_program, action) => {
      if (!NO_COMPILER.has(action.name())) await loadCompiler();
    });
  for (const register of registrations) register(program, ctx);
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
