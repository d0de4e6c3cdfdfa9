import type { Command } from 'commander';
import type { CommandContext } from './io.js';
import { compileOptions, limitOptions, type LimitFlags } from './limits.js';

// `effnet ir <spec>`: the family IR as JSON, or with --variant one variant's layer graph.

export function registerIr(program: Command, ctx: CommandContext): void {
  const { io, compile, report, setCode } = ctx;
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
}
