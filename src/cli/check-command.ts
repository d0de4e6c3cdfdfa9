import { Option, type Command } from 'commander';
import { hasErrors } from '../diagnostics/diagnostic.js';
import { CHECK_FORMATS, renderCheck, type CheckFormat } from './check-output.js';
import { USAGE_CODES, type CommandContext } from './io.js';
import { compileOptions, limitOptions, type LimitFlags } from './limits.js';

// `effnet check <spec...>`: diagnostics only. It loads the compiler's front and
// middle (lexer to variant graphs) and nothing that emits or formats.

export function registerCheck(program: Command, ctx: CommandContext): void {
  const { io, compile, report, setCode } = ctx;
  limitOptions(
    program
      .command('check')
      .description('check specs; diagnostics on stderr (with --format json or sarif: on stdout)')
      .argument('<spec...>', '.effnet files')
      .addOption(new Option('--format <format>', 'diagnostics as text (stderr), json or sarif (stdout)').choices([...CHECK_FORMATS]).default('text')),
  ).action(async (specs: string[], flags: LimitFlags & { format: CheckFormat }) => {
    const cs = specs.map((s) => compile(s, compileOptions(flags)));
    if (flags.format !== 'text') {
      io.stdout(await renderCheck(flags.format, cs, program.version()));
      const all = cs.flatMap((c) => c.diagnostics);
      return setCode(all.some((d) => USAGE_CODES.has(d.code)) ? 2 : hasErrors(all) ? 1 : 0);
    }
    setCode(report(cs));
    for (const c of cs) if (c.family && !hasErrors(c.diagnostics)) io.stdout(`ok ${c.file}: family ${c.family.name}, ${c.graphs.length} variant${c.graphs.length === 1 ? '' : 's'}\n`);
  });
}
