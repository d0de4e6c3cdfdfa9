import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { writeOutput } from '../io/write.js';
import { REPORT_FORMATS, renderReport, reportInput, type ReportFormat } from '../report/report.js';
import { UsageError } from './usage.js';
import type { CommandContext } from './io.js';
import { compileOptions, limitOptions, type LimitFlags } from './limits.js';
import { readMetrics } from './metrics.js';

// `effnet report <spec>`: parameters, MACs, FLOPs and activation memory, in one of the report formats.

export function registerReport(program: Command, ctx: CommandContext): void {
  const { io, compile, report, setCode } = ctx;
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
}
