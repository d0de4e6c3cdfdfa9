import { accessSync, chmodSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_MAX_SPEC_BYTES } from '../compile/compile.js';
import { START_OF_FILE, type Diagnostic } from '../diagnostics/diagnostic.js';
import { printable, renderDiagnostics } from '../diagnostics/render.js';
import { formatSpec } from '../format/format.js';
import { readRegularFile } from '../io/read.js';
import { checkOutput, writeAtomic, WriteError } from '../io/write.js';
import { UsageError } from './usage.js';
import type { CommandContext } from './io.js';

// `effnet fmt [paths…]`: one file's formatted text on stdout; `--write` rewrites
// the files that change (atomically, keeping their permissions), `--check`
// writes nothing and lists the files that would change. A spec with syntax
// errors is never formatted: its diagnostics are printed and, with --write,
// nothing is written. Exit 0 done, 1 syntax errors or (--check) unformatted
// files, 2 usage (flags, unreadable paths).

interface FmtFlags {
  check?: boolean;
  write?: boolean;
}

interface SpecFile {
  /** As messages name it: relative to the working directory where it is inside it. */
  shown: string;
  path: string;
}

/** The `.effnet` files under a folder, sorted; links and dot-folders are not followed. */
function specsUnder(dir: string, shown: string): SpecFile[] {
  const out: SpecFile[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(dir, e.name);
    const name = shown === '.' ? e.name : `${shown}/${e.name}`;
    if (e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules') out.push(...specsUnder(path, name));
    else if (e.isFile() && e.name.endsWith('.effnet')) out.push({ shown: name, path });
  }
  return out;
}

/** Files named, and the `.effnet` files of folders named, each once. */
function specFiles(ctx: CommandContext, paths: readonly string[]): SpecFile[] {
  const seen = new Set<string>();
  const out: SpecFile[] = [];
  for (const p of paths) {
    const path = resolve(ctx.io.cwd, p);
    let folder = false;
    try {
      folder = statSync(path).isDirectory();
    } catch {
      // Not there: reading it says so.
    }
    const shown = ctx.shown(p);
    const found = folder ? specsUnder(path, shown.replace(/(.)\/+$/, '$1')) : [{ shown, path }];
    if (folder && found.length === 0) throw new UsageError(`no .effnet files in ${shown}`);
    for (const f of found) if (!seen.has(f.path)) (seen.add(f.path), out.push(f));
  }
  return out;
}

/** The text of a spec file, or a diagnostic when it is not UTF-8 (rewriting it would lose bytes). */
function readSpec(f: SpecFile): string | Diagnostic {
  const bytes = readRegularFile(f.path, f.shown, { maxBytes: DEFAULT_MAX_SPEC_BYTES });
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return { code: 'E001', severity: 'error', message: 'the file is not valid UTF-8 text', file: f.shown, range: START_OF_FILE, hint: 'effnet reads specs as UTF-8: save it in that encoding' };
  }
}

/**
 * Replaces a file with `text` atomically (through a link the user named, its target), keeping its
 * permission bits (the temp file is made 0644); a file the user may not write is refused, not
 * replaced behind its back.
 */
function rewrite(f: SpecFile, text: string): void {
  const { target } = checkOutput(f.path, { shown: f.shown });
  try {
    accessSync(target, constants.W_OK);
    const mode = statSync(target).mode & 0o7777;
    writeAtomic(target, text);
    if ((statSync(target).mode & 0o7777) !== mode) chmodSync(target, mode);
  } catch (e) {
    throw new WriteError(`cannot write ${f.shown}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function registerFmt(program: Command, ctx: CommandContext): Command {
  const { io } = ctx;
  return program
    .command('fmt')
    .description('format specs in the canonical layout (aligned stage tables, one statement a line, comments kept)')
    .argument('[paths...]', '.effnet files or folders of them (default: specs/)')
    .option('--check', 'write nothing; exit 1 listing the files that are not formatted')
    .option('--write', 'rewrite the files that are not formatted, in place')
    .action((paths: string[], flags: FmtFlags) => {
      if (flags.check && flags.write) throw new UsageError('--check writes nothing and --write rewrites: pass one of them');
      if (paths.length === 0 && !existsSync(resolve(io.cwd, 'specs')))
        throw new UsageError('no spec named and no specs/ folder here: name the specs, e.g. `effnet fmt --check my.effnet`');
      const files = specFiles(ctx, paths.length > 0 ? paths : ['specs']);
      if (!flags.check && !flags.write && files.length !== 1)
        throw new UsageError(`fmt prints one spec; for ${plural(files.length, 'file')} pass --write or --check`);
      const errors: Diagnostic[] = [];
      const sources = new Map<string, string>();
      const changed: { file: SpecFile; text: string }[] = [];
      let printed: string | undefined;
      for (const file of files) {
        const text = readSpec(file);
        if (typeof text !== 'string') {
          errors.push(text);
          continue;
        }
        const r = formatSpec(text, file.shown);
        if (!r.ok) {
          errors.push(...r.diagnostics);
          sources.set(file.shown, r.source);
          continue;
        }
        printed = r.text;
        if (r.text !== text) changed.push({ file, text: r.text });
      }
      if (errors.length > 0) io.stderr(renderDiagnostics(errors, sources, { color: io.color }) + '\n');
      ctx.setCode(errors.length > 0 ? 1 : 0);
      if (!flags.check && !flags.write) {
        if (printed !== undefined) io.stdout(printed);
        return;
      }
      if (flags.check) {
        if (changed.length > 0) {
          io.stderr(`${plural(changed.length, 'file')} not formatted (run \`effnet fmt --write\`):\n${changed.map((c) => `  ${printable(c.file.shown)}`).join('\n')}\n`);
          ctx.setCode(1);
        } else if (errors.length === 0) io.stdout(`${plural(files.length, 'file')} formatted\n`);
        return;
      }
      if (errors.length > 0) {
        io.stderr('nothing written: fix the errors above first\n');
        return;
      }
      for (const c of changed) rewrite(c.file, c.text);
      io.stdout(changed.length > 0 ? changed.map((c) => `formatted ${printable(c.file.shown)}\n`).join('') : `${plural(files.length, 'file')} already formatted\n`);
    });
}
