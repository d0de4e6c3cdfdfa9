import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { grouped, human, mib } from '../report/format.js';
import { markdownTable } from '../report/table.js';
import { baseVariant, DEFAULT_GRID, gridSearch, SearchError, type Candidate, type GridOptions, type GridResult } from '../search/grid.js';
import { withCompound } from '../search/write-compound.js';
import { UsageError } from './input.js';
import { writeSpec } from './scale-command.js';
import { printableLines, type CommandContext } from './io.js';

// `effnet search <spec>`: the paper's grid over α, β, γ at φ = 1 under a MACs budget, on the
// exact MACs of each rounded candidate. Exit 0, 1 for a spec with errors or no candidate, 2 usage.

export const SEARCH_FORMATS = ['md', 'json'] as const;

/** `2x`, `2`, `1.5x`: the MACs multiple a candidate should cost. */
export function parseFlops(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*x?\s*$/i.exec(text);
  const x = m ? Number(m[1]) : NaN;
  if (!(x > 1 && x <= 64)) throw new UsageError(`--flops takes a multiple of the base's MACs above 1, such as 2x, not ${JSON.stringify(text)}`);
  return x;
}

/** `5%` or `0.05`. */
export function parseTolerance(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text);
  const x = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
  if (!(x > 0 && x < 1)) throw new UsageError(`--tolerance takes a fraction such as 5% or 0.05, not ${JSON.stringify(text)}`);
  return x;
}

function positive(flag: string, text: string, max: number): number {
  const x = Number(text);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(text) || !(x > 0 && x <= max)) throw new UsageError(`${flag} takes a number in (0, ${max}], not ${JSON.stringify(text)}`);
  return x;
}

const f2 = (x: number) => x.toFixed(2);
const f3 = (x: number) => x.toFixed(3);

function row(c: Candidate): string[] {
  return [f2(c.alpha), f2(c.beta), f2(c.gamma), f3(c.nominal), f3(c.ratio), c.accepted ? 'yes' : 'no', String(c.resolution), grouped(c.params), human(c.macs), mib(c.peakActivationBytes)];
}

export function searchMarkdown(family: string, r: GridResult, options: GridOptions, top: number, own: { alpha: number; beta: number; gamma: number } | null): string {
  const accepted = r.candidates.filter((c) => c.accepted);
  const shown = accepted.slice(0, top);
  const header = ['α', 'β', 'γ', 'α·β²·γ²', 'MACs ratio', 'within', 'resolution', 'params', 'MACs', 'peak activations'];
  const table = (rows: Candidate[]) => markdownTable({ header, align: 'rrrrrlrrrr', rows: rows.map((c) => row(c).map((text) => ({ text }))) });
  const lines = [
    `# ${family}: compound-scaling grid at φ = 1`,
    '',
    `Base: width ${r.base.width}, depth ${r.base.depth}, ${r.base.resolution}×${r.base.resolution}: ${grouped(r.base.params)} parameters, ${human(r.base.macs)} MACs. ` +
      `Target ${options.target}× its MACs within ${(100 * options.tolerance).toFixed(1)} %, measured on each candidate's rounded graph; ` +
      `α, β, γ from 1 to ${options.max} in steps of ${options.step}. ${accepted.length} of ${r.candidates.length} candidates built are within (${r.skipped} grid points skipped: α·β²·γ² far from the target).`,
    '',
    shown.length > 0 ? table(shown) : 'No candidate is within the tolerance.',
  ];
  if (own) {
    const c = r.candidates.find((x) => x.alpha === own.alpha && x.beta === own.beta && x.gamma === own.gamma);
    lines.push('', `The family's own \`compound alpha ${own.alpha} beta ${own.beta} gamma ${own.gamma}\`: ${c ? `MACs ratio ${f3(c.ratio)} (α·β²·γ² ${f3(c.nominal)}), ${c.accepted ? 'within' : 'outside'} the tolerance.` : 'not on this grid.'}`);
  }
  if (accepted[0]) lines.push('', `Chosen (closest to ${options.target}×): \`compound alpha ${accepted[0].alpha} beta ${accepted[0].beta} gamma ${accepted[0].gamma}\``);
  return lines.join('\n') + '\n';
}

export function registerSearch(program: Command, ctx: CommandContext): Command {
  return program
    .command('search')
    .description('grid search of compound coefficients α, β, γ at φ = 1 under a MACs budget (exact MACs of each rounded candidate)')
    .argument('<spec>', '.effnet file')
    .option('--base <variant>', 'the variant to scale (default: the family at its base resolution)')
    .option('--flops <multiple>', "MACs of a candidate over the base's", '2x')
    .option('--tolerance <fraction>', 'accepted distance from the target', '5%')
    .option('--step <step>', 'grid step of α, β and γ', String(DEFAULT_GRID.step))
    .option('--max <coefficient>', 'largest α, β and γ tried', '1.5')
    .option('--top <n>', 'candidates listed', '20')
    .addOption(new Option('--format <format>', 'output format').choices([...SEARCH_FORMATS]).default('md'))
    .option('--write', "write the chosen coefficients into the spec's `compound` line (layout and comments kept)")
    .action((spec: string, flags: { base?: string; flops: string; tolerance: string; step: string; max: string; top: string; format: (typeof SEARCH_FORMATS)[number]; write?: boolean }) => {
      const options: GridOptions = { target: parseFlops(flags.flops), tolerance: parseTolerance(flags.tolerance), step: positive('--step', flags.step, 1), max: Math.max(1, positive('--max', flags.max, 4)) };
      const top = positive('--top', flags.top, 10_000);
      if ((options.max - 1) / options.step > 60) throw new UsageError(`--step ${flags.step} up to --max ${flags.max} is over 60 values per coefficient; take a larger step or a smaller --max`);
      const c = ctx.compile(spec, { irOnly: true });
      const code = ctx.report([c]);
      if (code !== 0 || !c.family) return ctx.setCode(code || 1);
      let r: GridResult;
      try {
        r = gridSearch(c.family, baseVariant(c.family, flags.base), options);
      } catch (e) {
        if (!(e instanceof SearchError)) throw e;
        ctx.io.stderr(`effnet: ${printableLines(`${c.file}: ${e.message}`)}\n`);
        return ctx.setCode(1);
      }
      const own = c.family.compound && { alpha: c.family.compound.alpha, beta: c.family.compound.beta, gamma: c.family.compound.gamma };
      ctx.io.stdout(flags.format === 'json' ? JSON.stringify({ family: c.family.name, spec: c.file, options, ...r }, null, 2) + '\n' : searchMarkdown(c.family.name, r, options, top, own));
      const chosen = r.candidates.find((x) => x.accepted);
      ctx.setCode(chosen ? 0 : 1);
      if (!flags.write || !chosen) return;
      const text = withCompound(c.source, c.ast, chosen);
      if (text === c.source) return ctx.io.stderr(`effnet: ${ctx.shown(spec)} already has the chosen coefficients\n`);
      writeSpec(resolve(ctx.io.cwd, spec), text);
      ctx.io.stderr(`effnet: wrote ${ctx.shown(spec)}: compound alpha ${chosen.alpha} beta ${chosen.beta} gamma ${chosen.gamma}\n`);
    });
}
