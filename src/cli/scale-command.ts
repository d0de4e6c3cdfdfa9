import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { DiagnosticSink } from '../diagnostics/diagnostic.js';
import { writeSpec } from '../io/write.js';
import { grouped, human } from '../report/format.js';
import { markdownTable } from '../report/table.js';
import { ScaleError, scaleTable, type ScaleRow } from '../search/scale.js';
import { withPhiVariants } from '../search/write-phi.js';
import { UsageError } from './usage.js';
import { printableLines, type CommandContext } from './io.js';

// `effnet scale <spec>`: the φ table of the family's compound rule, and with --write the
// `variant phiN { phi N }` lines in the spec. Exit 0, 1 for a spec with errors, 2 usage.

export const SCALE_FORMATS = ['md', 'json'] as const;

/** `0..7`, `0,1,2` or `3`: whole or decimal φ values in [-20, 20], in order, each once. */
export function parsePhis(text: string): number[] {
  const range = /^\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*$/.exec(text);
  const phis = range ? Array.from({ length: Math.max(0, Number(range[2]) - Number(range[1]) + 1) }, (_, i) => Number(range[1]) + i) : text.split(',').map((p) => (/^\s*-?\d+(\.\d+)?\s*$/.test(p) ? Number(p) : NaN));
  if (phis.length === 0 || phis.length > 41 || !phis.every((p) => Number.isFinite(p) && p >= -20 && p <= 20))
    throw new UsageError(`--phi takes a range such as 0..7 or a list such as 0,1,2 (each in -20..20), not ${JSON.stringify(text)}`);
  return [...new Set(phis)].sort((a, b) => a - b);
}

const fixed = (x: number, digits: number) => x.toFixed(digits);
const signedPercent = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)} %`;

export function scaleMarkdown(family: string, rows: ScaleRow[]): string {
  const table = markdownTable({
    header: ['φ', 'depth α^φ', 'width β^φ', 'resolution', 'params', 'MACs', 'MACs / φ=0', '(αβ²γ²)^φ', '2^φ', 'drift from 2^φ'],
    align: 'rrrrrrrrrr',
    rows: rows.map((r) => [String(r.phi), fixed(r.depth, 3), fixed(r.width, 3), String(r.resolution), grouped(r.params), human(r.macs), fixed(r.ratio, 3), fixed(r.nominal, 3), String(2 ** r.phi), signedPercent(r.drift)].map((text) => ({ text }))),
  });
  return `# ${family}: compound scaling\n\nMACs of each φ's rounded variant (exact), against the base (φ = 0) and the 2^φ the rule aims at.\n\n${table}\n`;
}

export function registerScale(program: Command, ctx: CommandContext): Command {
  return program
    .command('scale')
    .description("the φ table of a family's compound rule: multipliers, exact params and MACs, drift from 2^φ")
    .argument('<spec>', '.effnet file with a `compound` rule and a base `resolution`')
    .option('--phi <phis>', 'φ values: a range 0..7 or a list 0,1,2', '0..7')
    .addOption(new Option('--format <format>', 'output format').choices([...SCALE_FORMATS]).default('md'))
    .option('--write', 'add or update `variant phiN { phi N }` lines in the spec (layout and comments kept)')
    .action((spec: string, flags: { phi: string; format: (typeof SCALE_FORMATS)[number]; write?: boolean }) => {
      const { io } = ctx;
      const phis = parsePhis(flags.phi);
      const c = ctx.compile(spec, { irOnly: true });
      const code = ctx.report([c]);
      if (code !== 0 || !c.family) return ctx.setCode(code || 1);
      const sink = new DiagnosticSink(c.file);
      let rows: ScaleRow[];
      try {
        rows = scaleTable(c.family, phis, sink);
      } catch (e) {
        if (!(e instanceof ScaleError)) throw e;
        io.stderr(`effnet: ${printableLines(`${c.file}: ${e.message}`)}\n`);
        return ctx.setCode(1);
      }
      const failed = ctx.report([{ ...c, diagnostics: sink.items }]);
      if (failed !== 0) return ctx.setCode(failed);
      io.stdout(flags.format === 'json' ? JSON.stringify({ family: c.family.name, spec: c.file, compound: c.family.compound, rows }, null, 2) + '\n' : scaleMarkdown(c.family.name, rows));
      if (!flags.write) return;
      const text = withPhiVariants(c.source, c.ast, phis);
      if (text === c.source) return io.stderr(`effnet: ${ctx.shown(spec)} already has the φ variants\n`);
      writeSpec(resolve(io.cwd, spec), text);
      io.stderr(`effnet: wrote ${ctx.shown(spec)}: variant lines for φ = ${phis.join(', ')}\n`);
    });
}
