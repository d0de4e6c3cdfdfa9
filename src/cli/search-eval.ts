import { mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Compilation } from '../compile/compile.js';
import { DiagnosticSink } from '../diagnostics/diagnostic.js';
import { compileSource } from '../compile/compile.js';
import { buildVariant } from '../graph/build.js';
import type { VariantGraph } from '../graph/graph.js';
import type { VariantIR } from '../ir/ir.js';
import { writeAtomic } from '../io/write.js';
import { candidateModelFiles, candidateName, candidateSpecText } from '../search/candidate.js';
import { runEvaluator } from '../search/evaluate.js';
import { SearchError, type Candidate, type GridResult } from '../search/grid.js';
import { evalKey, latencyKey, networkFingerprint, type NetworkRef } from '../search/key.js';
import { shardSlice, type Shard } from '../search/shard.js';
import { measureLatency, MeasureError, type MeasureOptions } from '../search/measure.js';
import { Store, StoreError, type EvalRecord, type LatencyRecord } from '../search/store.js';
import { UsageError } from './input.js';
import { printableLines, type CommandContext } from './io.js';

// `effnet search --eval/--measure`: each candidate evaluated once, its record appended to the
// store as soon as it is done. What the store already holds is not evaluated again, so a killed
// search picks up where it stopped and shards of a CI matrix each do their slice.

export interface EvalSettings {
  /** The user's evaluator, run through the shell per candidate. */
  command?: string;
  timeoutSeconds?: number;
  measure?: MeasureOptions;
  /** The store as a path and as the user wrote it. */
  store: string;
  storeShown: string;
  /** Evaluate again the candidates whose stored evaluation failed. */
  retryFailed: boolean;
  tfjsModule: string;
}

export interface EvaluatedCandidate {
  candidate: Candidate;
  /** The variant name its spec and model folder use. */
  name: string;
  eval?: EvalRecord;
  latency?: LatencyRecord;
  /** Why no latency (not stored: it depends on the machine, the next run tries again). */
  latencyError?: string;
}

/** The folder of one candidate's spec and model: `<store>.d/<first 16 hex of its key>/`. */
const workDir = (store: string, key: string) => join(`${store}.d`, key.slice(0, 16));

/** Writes the candidate's spec and model sources; the spec's graph must be the one its key was made from. */
async function prepare(c: Compilation, baseName: string | undefined, cand: Candidate, name: string, network: string, dir: string, tfjsModule: string): Promise<{ spec: string; model: string }> {
  const spec = join(dir, 'spec.effnet');
  const text = candidateSpecText(c.source, c.ast, baseName, cand, name);
  const compiled = compileSource(text, spec, { variants: [name] });
  const g = compiled.graphs[0];
  if (!g || networkFingerprint(g) !== network) throw new SearchError(`the spec written for candidate ${name} does not rebuild its network (this is a bug in effnet)`);
  writeAtomic(spec, text);
  const model = join(dir, 'model');
  for (const f of await candidateModelFiles(g, { spec: 'spec.effnet', tfjsModule })) writeAtomic(join(model, f.name), f.content);
  return { spec, model };
}

const coefficients = (x: Candidate) => `α ${x.alpha} β ${x.beta} γ ${x.gamma}`;

/** A candidate with its built graph and the network record keys are made from. */
interface Built {
  candidate: Candidate;
  name: string;
  graph: VariantGraph;
  ref: NetworkRef;
}

export async function evaluateCandidates(ctx: CommandContext, c: Compilation, base: VariantIR, baseName: string | undefined, candidates: readonly Candidate[], shard: Shard | null, s: EvalSettings): Promise<EvaluatedCandidate[]> {
  const { io } = ctx;
  const family = c.family!;
  const taken = new Set(family.variants.map((v) => v.name));
  const sink = new DiagnosticSink(c.file);
  const built: Built[] = candidates.map((cand) => {
    const name = candidateName(cand, taken);
    const graph = buildVariant(family, { ...base, name, width: cand.width, depth: cand.depth, resolution: cand.resolution }, sink);
    if (!graph) throw new SearchError(`${name}: ${sink.items.map((d) => d.message).join('; ')}`);
    return { candidate: cand, name, graph, ref: { network: networkFingerprint(graph), resolution: cand.resolution, params: cand.params, macs: cand.macs } };
  });
  // Each distinct network once (rounding makes several α, β, γ one network), in grid order; a shard takes every N-th.
  const unique: Built[] = [];
  const seen = new Set<string>();
  for (const b of built) if (!seen.has(b.ref.network) && seen.add(b.ref.network)) unique.push(b);
  const mine = shard ? shardSlice(unique, shard) : unique;
  const store = openStore(ctx, s);
  const due = (r: { error?: string } | undefined) => r === undefined || (s.retryFailed && r.error !== undefined);
  const evals = new Map<string, EvalRecord>();
  const latencies = new Map<string, LatencyRecord>();
  const latencyErrors = new Map<string, string>();
  let ran = 0;
  let reused = 0;
  try {
    for (const [k, b] of mine.entries()) {
      const { candidate: cand, name, graph: g, ref } = b;
      const progress = (what: string) => io.stderr(printableLines(`[${k + 1}/${mine.length}] ${coefficients(cand)} (${cand.ratio.toFixed(3)}× MACs): ${what}`) + '\n');
      if (s.command !== undefined) {
        const key = evalKey(ref, s.command);
        let rec = store.get(key) as EvalRecord | undefined;
        if (due(rec)) {
          const dir = resolve(workDir(s.store, key));
          const { spec, model } = await prepare(c, baseName, cand, name, ref.network, dir, s.tfjsModule);
          const env: Record<string, string> = {
            EFFNET_SPEC: spec,
            EFFNET_VARIANT: name,
            EFFNET_MODEL_DIR: model,
            EFFNET_WORK_DIR: dir,
            EFFNET_FAMILY: family.name,
            EFFNET_RESOLUTION: String(cand.resolution),
            EFFNET_INPUT_CHANNELS: String(g.input[0]),
            EFFNET_CLASSES: String(g.classes),
            EFFNET_WIDTH: String(cand.width),
            EFFNET_DEPTH: String(cand.depth),
            EFFNET_ALPHA: String(cand.alpha),
            EFFNET_BETA: String(cand.beta),
            EFFNET_GAMMA: String(cand.gamma),
            EFFNET_PARAMS: String(cand.params),
            EFFNET_MACS: String(cand.macs),
          };
          const out = await runEvaluator({ command: s.command, args: [spec, name, model], env, cwd: io.cwd, ...(s.timeoutSeconds !== undefined ? { timeoutSeconds: s.timeoutSeconds } : {}), onStderr: (t) => io.stderr(t) });
          rec = { key, kind: 'eval', network: ref, command: s.command, ...(out.metrics ? { metrics: out.metrics } : {}), ...(out.error !== undefined ? { error: out.error } : {}), ...(out.stderr !== undefined ? { stderr: out.stderr } : {}), seconds: out.seconds };
          store.append(rec);
          ran++;
          progress(rec.error !== undefined ? `failed: ${rec.error}` : `${JSON.stringify(rec.metrics)} in ${out.seconds.toFixed(1)} s`);
        } else reused++;
        evals.set(ref.network, rec!);
      }
      if (s.measure) {
        const m = s.measure;
        const key = latencyKey(ref, m);
        let rec = store.get(key) as LatencyRecord | undefined;
        if (due(rec)) {
          const started = performance.now();
          try {
            const l = await measureLatency(g, m);
            rec = { key, kind: 'latency', network: ref, measure: { target: m.target, runs: m.runs, warmup: m.warmup, batch: m.batch }, latency: { medianMs: l.medianMs, minMs: l.minMs, maxMs: l.maxMs, runtime: l.runtime }, seconds: Number(((performance.now() - started) / 1000).toFixed(3)) };
            store.append(rec);
            ran++;
            progress(`${m.target} ${l.medianMs.toFixed(2)} ms (median of ${l.runs}, batch ${l.batch})`);
          } catch (e) {
            // MeasureError: the target cannot run this candidate here; anything else is the runtime's own failure.
            const why = e instanceof MeasureError ? e.message : `--measure ${m.target}: ${(e as Error)?.message ?? String(e)}`;
            latencyErrors.set(ref.network, why);
            progress(`no latency: ${why}`);
          }
        } else reused++;
        if (rec) latencies.set(ref.network, rec);
      }
    }
  } finally {
    store.close();
  }
  io.stderr(`effnet: ${printableLines(s.storeShown)}: ${ran} evaluation${ran === 1 ? '' : 's'} run, ${reused} read from the store\n`);
  const ours = new Set(mine.map((b) => b.ref.network));
  return built
    .filter((b) => ours.has(b.ref.network))
    .map((b) => {
      const e = evals.get(b.ref.network);
      const l = latencies.get(b.ref.network);
      const why = latencyErrors.get(b.ref.network);
      return { candidate: b.candidate, name: b.name, ...(e ? { eval: e } : {}), ...(l ? { latency: l } : {}), ...(why !== undefined ? { latencyError: why } : {}) };
    });
}

function openStore(ctx: CommandContext, s: EvalSettings): Store {
  try {
    if (statSync(`${s.store}.d`, { throwIfNoEntry: false })?.isDirectory() === false) throw new StoreError(`${s.storeShown}.d, the store's work folder, is not a folder`);
    mkdirSync(dirname(s.store), { recursive: true });
    return Store.open(s.store, s.storeShown, (m) => ctx.io.stderr(`effnet: warning: ${printableLines(m)}\n`));
  } catch (e) {
    if (e instanceof StoreError) throw new UsageError(e.message);
    throw e;
  }
}

/**
 * The candidates a search evaluates and their results. Under a MACs budget: the accepted ones.
 * Under `--latency MS`: every candidate built (the --flops band), measured first, then those whose
 * median latency is within `tolerance` of MS evaluated; the shard slices the measuring, and each
 * shard evaluates the candidates it measured within.
 */
export async function evaluateSearch(ctx: CommandContext, c: Compilation, base: VariantIR, baseName: string | undefined, r: GridResult, shard: Shard | null, s: EvalSettings, latency?: { ms: number; tolerance: number }): Promise<EvaluatedCandidate[]> {
  if (!latency) return evaluateCandidates(ctx, c, base, baseName, r.candidates.filter((x) => x.accepted), shard, s);
  const { command, ...measureOnly } = s;
  const measured = await evaluateCandidates(ctx, c, base, baseName, r.candidates, shard, measureOnly);
  const within = measured.filter((row) => row.latency?.latency !== undefined && Math.abs(row.latency.latency.medianMs / latency.ms - 1) <= latency.tolerance);
  if (command === undefined || within.length === 0) return within;
  return evaluateCandidates(ctx, c, base, baseName, within.map((row) => row.candidate), null, s);
}
