import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import type { SpecNode } from '../ast/ast.js';
import type { VariantIR } from '../ir/ir.js';
import { baseVariant, DEFAULT_GRID, gridSearch, SearchError, type GridOptions, type GridResult } from '../search/grid.js';
import type { MeasureTarget } from '../search/measure.js';
import { withCompound } from '../search/write-compound.js';
import { DEFAULT_TFJS_MODULE } from '../tfjs/emit.js';
import { UsageError } from './input.js';
import { writeSpec } from '../io/write.js';
import type { EvalSettings, EvaluatedCandidate } from './search-eval.js';
import { registerSearchMerge } from './search-merge.js';
import { defaultStore, parseFlops, parseTolerance, positive, rankByOf, SEARCH_FORMATS, shardOf, whole, type SearchFlags } from './search-flags.js';
import { compoundLine, outcome, outcomeMarkdown, searchMarkdown } from './search-results.js';
import { printableLines, type CommandContext } from './io.js';

// `effnet search <spec>`: the paper's grid over α, β, γ at φ = 1 under a MACs budget, on the
// exact MACs of each rounded candidate; with --eval / --measure each accepted candidate is
// evaluated (search-eval.ts) and ranked (search-results.ts); `search merge` combines stores.
// Exit 0, 1 for a spec with errors or no candidate (or none with a value to rank on), 2 usage.

/** measure.ts's MEASURE_TARGETS, restated so that a search without --measure loads no model runtime (the type keeps them in step). */
const MEASURE_CHOICES: readonly MeasureTarget[] = ['tfjs-wasm', 'wgsl'];

export function registerSearch(program: Command, ctx: CommandContext): Command {
  const search = program
    .command('search')
    .description('grid search of compound coefficients α, β, γ at φ = 1 under a MACs budget (exact MACs of each rounded candidate); with --eval/--measure each candidate is evaluated, results kept in a resumable store')
    .argument('<spec>', '.effnet file')
    .option('--base <variant>', 'the variant to scale (default: the family at its base resolution)')
    .option('--flops <multiple>', "MACs of a candidate over the base's (with --latency: the band of candidates built, within a factor of 2)", '2x')
    .option('--latency <ms>', 'instead of the MACs budget: keep the candidates whose measured median latency is within the tolerance of this (needs --measure)')
    .option('--tolerance <fraction>', 'accepted distance from the target', '5%')
    .option('--step <step>', 'grid step of α, β and γ', String(DEFAULT_GRID.step))
    .option('--max <coefficient>', 'largest α, β and γ tried', '1.5')
    .option('--top <n>', 'candidates listed', '20')
    .addOption(new Option('--format <format>', 'output format').choices([...SEARCH_FORMATS]).default('md'))
    .option('--write', "write the chosen coefficients into the spec's `compound` line (layout and comments kept)")
    .option('--eval <command>', 'run this shell command per candidate with its spec, variant and model folder as arguments (and EFFNET_* variables); its last stdout line that is a JSON object of numbers gives the metrics')
    .option('--eval-timeout <seconds>', "kill an evaluator's process group after this long; recorded as a failure")
    .addOption(new Option('--measure <target>', "measure each candidate's latency on this runtime").choices([...MEASURE_CHOICES]))
    .option('--measure-runs <n>', 'timed runs (median reported)', '10')
    .option('--measure-warmup <n>', 'untimed runs first', '3')
    .option('--batch <n>', 'images per measured run', '1')
    .option('--metric <name>', 'rank by this evaluator metric (higher is better), or `latency` / `macs` (lower is better)')
    .option('--store <file>', 'results store, appended to and resumed from (default: <spec>.search.jsonl beside the spec)')
    .option('--shard <i/n>', 'evaluate only shard I of N (the grid\'s distinct networks k with k mod N = I)')
    .option('--shards <n>', 'as --shard, the index from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job)')
    .option('--retry-failed', 'evaluate again the candidates whose stored evaluation failed')
    .option('--tfjs-module <module>', "the module each candidate's generated tfjs code imports", DEFAULT_TFJS_MODULE)
    .action(async (spec: string, flags: SearchFlags) => {
      const options: GridOptions = { target: parseFlops(flags.flops), tolerance: parseTolerance(flags.tolerance), step: positive('--step', flags.step, 1), max: Math.max(1, positive('--max', flags.max, 4)) };
      const top = positive('--top', flags.top, 10_000);
      if ((options.max - 1) / options.step > 60) throw new UsageError(`--step ${flags.step} up to --max ${flags.max} is over 60 values per coefficient; take a larger step or a smaller --max`);
      const evaluated = flags.eval !== undefined || flags.measure !== undefined;
      const shard = shardOf(flags);
      if (!evaluated) {
        const needs = (['store', 'shard', 'shards', 'metric', 'evalTimeout', 'retryFailed', 'latency'] as const).find((k) => flags[k] !== undefined);
        if (needs) throw new UsageError(`--${needs.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is about evaluating candidates: add --eval or --measure`);
      }
      if (shard && flags.write) throw new UsageError('--write chooses among all candidates, a shard sees only its own: merge the shards\' stores, then run without --shard');
      if (flags.metric === 'latency' && !flags.measure) throw new UsageError('--metric latency needs --measure');
      if (flags.eval !== undefined && flags.eval.trim() === '') throw new UsageError('--eval takes a command');
      const timeoutSeconds = flags.evalTimeout === undefined ? undefined : positive('--eval-timeout', flags.evalTimeout, 7 * 24 * 3600);
      const latencyMs = flags.latency === undefined ? undefined : positive('--latency', flags.latency, 1e7);
      if (latencyMs !== undefined && !flags.measure) throw new UsageError('--latency keeps the candidates measured within the tolerance of it: add --measure tfjs-wasm or --measure wgsl');
      const measure = flags.measure && { target: flags.measure, runs: whole('--measure-runs', flags.measureRuns, 1, 10_000), warmup: whole('--measure-warmup', flags.measureWarmup, 0, 10_000), batch: whole('--batch', flags.batch, 1, 4096) };
      const c = ctx.compile(spec, { irOnly: true });
      const code = ctx.report([c]);
      if (code !== 0 || !c.family) return ctx.setCode(code || 1);
      let r: GridResult;
      let base: VariantIR;
      try {
        base = baseVariant(c.family, flags.base);
        r = gridSearch(c.family, base, options);
      } catch (e) {
        if (!(e instanceof SearchError)) throw e;
        ctx.io.stderr(`effnet: ${printableLines(`${c.file}: ${e.message}`)}\n`);
        return ctx.setCode(1);
      }
      const own = c.family.compound && { alpha: c.family.compound.alpha, beta: c.family.compound.beta, gamma: c.family.compound.gamma };
      if (!evaluated) {
        ctx.io.stdout(flags.format === 'json' ? JSON.stringify({ family: c.family.name, spec: c.file, options, ...r }, null, 2) + '\n' : searchMarkdown(c.family.name, r, options, top, own));
        const chosen = r.candidates.find((x) => x.accepted);
        ctx.setCode(chosen ? 0 : 1);
        if (flags.write && chosen) writeChosen(ctx, spec, c.source, c.ast, chosen);
        return;
      }
      const store = flags.store ?? defaultStore(spec);
      const settings: EvalSettings = { store: resolve(ctx.io.cwd, store), storeShown: ctx.shown(store), retryFailed: flags.retryFailed === true, tfjsModule: flags.tfjsModule, ...(flags.eval !== undefined ? { command: flags.eval } : {}), ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}), ...(measure ? { measure } : {}) };
      let rows: EvaluatedCandidate[];
      try {
        // Loaded only here: evaluating brings the emitters and the model runtimes.
        const { evaluateSearch } = await import('./search-eval.js');
        rows = await evaluateSearch(ctx, c, base, flags.base, r, shard, settings, latencyMs === undefined ? undefined : { ms: latencyMs, tolerance: options.tolerance });
      } catch (e) {
        if (!(e instanceof SearchError)) throw e;
        ctx.io.stderr(`effnet: ${printableLines(`${c.file}: ${e.message}`)}\n`);
        return ctx.setCode(1);
      }
      const constraint = latencyMs === undefined ? ({ kind: 'macs', multiple: options.target } as const) : ({ kind: 'latency', ms: latencyMs } as const);
      const o = outcome({ family: c.family.name, spec: c.file, options, constraint, base: r.base, store: settings.storeShown, shard, command: flags.eval ?? null, measure: measure ?? null, rankBy: rankByOf(flags, rows) }, rows);
      ctx.io.stdout(flags.format === 'json' ? JSON.stringify(o, null, 2) + '\n' : outcomeMarkdown(o, top));
      ctx.setCode(o.chosen ? 0 : 1);
      if (flags.write && o.chosen) writeChosen(ctx, spec, c.source, c.ast, o.chosen);
    });
  registerSearchMerge(search, ctx);
  return search;
}

function writeChosen(ctx: CommandContext, spec: string, source: string, ast: SpecNode, chosen: { alpha: number; beta: number; gamma: number }): void {
  const text = withCompound(source, ast, chosen);
  if (text === source) return ctx.io.stderr(`effnet: ${ctx.shown(spec)} already has the chosen coefficients\n`);
  writeSpec(resolve(ctx.io.cwd, spec), text);
  ctx.io.stderr(`effnet: wrote ${ctx.shown(spec)}: ${compoundLine(chosen)}\n`);
}
