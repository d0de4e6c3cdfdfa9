import { printable } from '../diagnostics/render.js';
import type { Compilation, CompileOptions } from '../compile/compile.js';

/** Where a command writes and from where it resolves paths; tests pass their own. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
  /** Colour diagnostics (stderr). */
  color: boolean;
  /** Colour what goes to stdout (diff text); defaults to `color`. */
  stdoutColor?: boolean;
  /** stderr is a terminal: long commands show progress there (never when piped or captured). */
  stderrIsTTY?: boolean;
}

/** What a command registered from its own file gets from main: output, compiling, diagnostics, the exit code. */
export interface CommandContext {
  io: Io;
  /**
   * Compiles a spec, naming the file as the user wrote it. The compiler is loaded before a
   * command's action runs, except for commands that may not need it (generate): they await
   * `loadCompiler()` first.
   */
  compile: (path: string, options: CompileOptions) => Compilation;
  loadCompiler?: () => Promise<void>;
  /** Prints diagnostics; returns the exit code they call for. */
  report: (cs: Compilation[]) => number;
  setCode: (code: number) => void;
  /** A path as the user gave it, relative to the working directory when inside it, '/'-separated. */
  shown: (path: string) => string;
}

/** Input that names no file to read (missing, not a regular file, over --max-spec-mib), or a variant that is not there, is a usage error. */
export const USAGE_CODES: ReadonlySet<string> = new Set(['E006', 'E007', 'E037']);

/** A message for the terminal: each of its lines printable (a typed path or tensor name may hold escape sequences). */
export const printableLines = (message: string): string => message.split('\n').map(printable).join('\n');
