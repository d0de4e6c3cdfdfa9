import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { checkOutput, writeOutput } from '../io/write.js';
import { bindCheckpoint, LAYOUTS, NonfiniteWeightsError, type Layout, type Weights } from '../runtime/checkpoint.js';
import { parseSafetensors, WeightsError } from '../runtime/safetensors.js';
import { layerSpecs, shapesAt, type ModelMetadata, type Network } from '../runtime/spec.js';
import { modelNetwork, modelSpec } from '../graph/model-spec.js';
import type * as tfjs from '@tensorflow/tfjs';
import { tfjsRuntime, type Inference, type Tf } from '../runtime/tfjs.js';
import type { VariantGraph } from '../graph/graph.js';
import { importTfjsModel } from '../tfjs/load.js';
import { WgslLimitError, type WgslFeatureModel, type WgslModel } from '../runtime/wgsl.js';
import { dawnDevice, DawnError, type DawnBackend } from '../wgsl/dawn.js';
import { importWgslModel } from '../wgsl/load.js';
import { DEFAULT_MAX_WEIGHTS_MIB } from '../weights/read.js';
import { nchwToNhwc, nhwcToNchw, parseMaxWeightsMib, readInput, readWeights, UsageError, type NCHW } from './input.js';
import { printableLines, type CommandContext } from './io.js';

// `effnet infer`: runs a variant's generated module on raw float32 NCHW input
// (as torchvision takes it) and writes raw float32 logits; `--bench N` times it.
// Exit 0 done, 1 bad weights, spec or logits (NaN, ±Infinity), 2 usage (flags,
// unreadable files, sizes, an --out the command must not write).

export const INFER_TARGETS = ['tfjs', 'wgsl'] as const;
export const TFJS_BACKENDS = ['wasm', 'cpu', 'tensorflow'] as const;
/** Dawn's backends for the wgsl target (opengles: Mesa's llvmpipe on a machine without a GPU). */
export const WGSL_BACKENDS = ['opengles', 'vulkan'] as const;
type Backend = (typeof TFJS_BACKENDS)[number];
const DEFAULT_BACKEND = { tfjs: 'wasm', wgsl: 'opengles' } as const;

interface InferFlags {
  variant: string;
  target: (typeof INFER_TARGETS)[number];
  weights: string;
  layout: Layout;
  input?: string;
  shape?: string;
  out?: string;
  backend?: string;
  bench?: string;
  maxWeightsMib?: string;
  allowNonfinite?: boolean;
}

/** TensorFlow.js with the backend set; its resolved URL is what the generated module imports. */
async function loadTfjs(backend: Backend): Promise<{ tf: Tf; url: string }> {
  let url: string;
  try {
    url = import.meta.resolve(backend === 'tensorflow' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs');
  } catch {
    throw new UsageError('--backend tensorflow needs @tensorflow/tfjs-node, which is not installed (npm install @tensorflow/tfjs-node)');
  }
  if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  const tf = (await import(url)) as Tf;
  // Production mode: no debug checks, and no "install tfjs-node" banner on stderr for the cpu backend.
  tf.enableProdMode();
  if (!(await tf.setBackend(backend))) throw new UsageError(`the ${backend} backend did not initialise`);
  await tf.ready();
  return { tf, url };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const ms = (x: number) => Math.round(x * 1000) / 1000;

export function registerInfer(program: Command, ctx: CommandContext): Command {
  return program
    .command('infer')
    .description('run a variant\'s generated model (tfjs or WGSL) on raw float32 NCHW input; write raw float32 logits')
    .argument('<spec>', '.effnet file')
    .requiredOption('--variant <name>', 'the variant to run')
    .addOption(new Option('--target <target>', 'which generated model runs').choices([...INFER_TARGETS]).default('tfjs'))
    .requiredOption('--weights <file>', 'safetensors checkpoint')
    .addOption(new Option('--layout <layout>', 'checkpoint tensor names').choices([...LAYOUTS]).default('torchvision'))
    .option('--input <file>', 'raw little-endian float32, NCHW (required unless --bench)')
    .option('--shape <N,C,H,W>', 'the input\'s shape (default 1,C,R,R: the spec\'s input channels and resolution; --target tfjs takes any H,W the network can)')
    .option('--out <file>', 'where the raw float32 logits [N, classes] (a feature network: its NCHW maps, one after another) go, - for stdout (required unless --bench)')
    .addOption(new Option('--backend <backend>', 'tfjs: wasm (default), cpu or tensorflow; wgsl: Dawn\'s opengles (default) or vulkan').choices([...TFJS_BACKENDS, ...WGSL_BACKENDS]))
    .option('--bench <runs>', 'time this many runs after a warm-up; print latency JSON')
    .option('--max-weights-mib <n>', `refuse a weights file larger than this (default ${DEFAULT_MAX_WEIGHTS_MIB})`)
    .option('--allow-nonfinite', 'load weights holding NaN, ±Infinity or negative BatchNorm running variances')
    .action(async (spec: string, flags: InferFlags) => {
      const { io } = ctx;
      const runs = flags.bench === undefined ? undefined : Number(flags.bench);
      if (runs !== undefined && !(Number.isInteger(runs) && runs > 0)) throw new UsageError(`--bench takes a positive number of runs, not ${JSON.stringify(flags.bench)}`);
      if (runs === undefined && (flags.input === undefined || flags.out === undefined)) throw new UsageError('infer needs --input and --out (or --bench N)');
      if (runs !== undefined && flags.out === '-') throw new UsageError('--bench prints JSON on stdout; --out - cannot share it');
      const maxWeights = parseMaxWeightsMib(flags.maxWeightsMib);
      const inputs = [spec, flags.weights, ...(flags.input === undefined ? [] : [flags.input])].map((p) => resolve(io.cwd, p));
      // A bad --out fails before the run, which can take minutes (writeOutput checks again after).
      if (flags.out !== undefined && flags.out !== '-') checkOutput(resolve(io.cwd, flags.out), { shown: flags.out, inputs });
      const c = ctx.compile(spec, { variants: [flags.variant] });
      const code = ctx.report([c]);
      if (code !== 0 || !c.graphs[0]) return ctx.setCode(code || 1);
      const g = c.graphs[0];
      const { input, shape } = readInput(g, io.cwd, flags.input, flags.shape, flags.target === 'tfjs');
      const backend = flags.backend ?? DEFAULT_BACKEND[flags.target];
      const allowed: readonly string[] = flags.target === 'tfjs' ? TFJS_BACKENDS : WGSL_BACKENDS;
      if (!allowed.includes(backend)) throw new UsageError(`--target ${flags.target} runs on --backend ${allowed.join(', ')}, not ${backend}`);
      let weightBytes: Uint8Array;
      try {
        weightBytes = readWeights(io.cwd, flags.weights, maxWeights);
      } catch (e) {
        if (!(e instanceof WeightsError)) throw e;
        io.stderr(`effnet: ${printableLines(e.message)}\n`);
        return ctx.setCode(1);
      }
      const runner = flags.target === 'tfjs' ? await tfjsRunner(g, c.file, backend as Backend, input, shape) : await wgslRunner(g, c.file, backend as DawnBackend, input, shape);
      try {
        await runner.load(weightBytes, flags.layout, flags.allowNonfinite === true);
      } catch (e) {
        if (!(e instanceof WeightsError) && !(e instanceof WgslLimitError)) throw e;
        const hint = e instanceof NonfiniteWeightsError ? '; --allow-nonfinite loads it anyway' : '';
        io.stderr(`effnet: ${printableLines(`${e instanceof WeightsError ? `${flags.weights}: ` : ''}${e.message}${hint}`)}\n`);
        runner.dispose();
        return ctx.setCode(1);
      }
      const once = async (): Promise<{ logits: Float32Array; ms: number }> => {
        const t0 = performance.now();
        const logits = await runner.run();
        return { logits, ms: performance.now() - t0 };
      };
      const first = await once();
      const nonfinite = nonfiniteLogits(first.logits, g.features.length > 0 ? first.logits.length / shape[0] : g.classes);
      if (nonfinite !== undefined) {
        io.stderr(`effnet: ${nonfinite}; nothing written\n`);
        runner.dispose();
        return ctx.setCode(1);
      }
      if (runs !== undefined) {
        const times: number[] = [];
        for (let i = 0; i < runs; i++) times.push((await once()).ms);
        const result = { spec: c.file, variant: g.variant, target: flags.target, backend, device: runner.device, batch: shape[0], runs, medianMs: ms(median(times)), minMs: ms(Math.min(...times)), maxMs: ms(Math.max(...times)), ...runner.figures() };
        io.stdout(JSON.stringify(result) + '\n');
      }
      try {
        if (flags.out === undefined) return;
        const bytes = new Uint8Array(first.logits.buffer, first.logits.byteOffset, first.logits.byteLength);
        // Raw bytes on stdout, and no summary line to mix with them.
        if (flags.out === '-') return await writeStdout(bytes);
        writeOutput(resolve(io.cwd, flags.out), bytes, { shown: flags.out, inputs });
        if (runs === undefined) io.stdout(`wrote ${flags.out}: ${outputs(g, shape)} (${g.family} ${g.variant}, ${flags.target} on ${backend}, ${ms(first.ms)} ms)\n`);
      } finally {
        runner.dispose();
      }
    });
}

/** What `--out` holds for this input: logits, pooled features, or a feature network's maps one after another. */
function outputs(g: VariantGraph, [n, , h, w]: NCHW): string {
  if (g.features.length === 0) return `float32 ${g.classes > 0 ? 'logits' : 'pooled features'} [${n}, ${g.classifier!.linear?.outFeatures ?? g.classifier!.hidden?.outFeatures ?? g.classifier!.poolShape[0]}]`;
  const maps = shapesAt(modelNetwork(modelSpec(g)), h, w).features;
  return `float32 NCHW feature maps, one after another: ${g.features.map((f, i) => `${f.name} [${n}, ${maps[i]![2]}, ${maps[i]![0]}, ${maps[i]![1]}]`).join(', ')}`;
}

/** `--out -`: the bytes on stdout, resolved once the kernel has them. */
const writeStdout = (bytes: Uint8Array) =>
  new Promise<void>((done, fail) => process.stdout.write(bytes, (e) => (e ? fail(e) : done())));

/** Why logits are no answer (NaN or ±Infinity somewhere), or undefined. */
export function nonfiniteLogits(logits: Float32Array, classes: number): string | undefined {
  let bad = 0;
  let first = -1;
  for (let i = 0; i < logits.length; i++) {
    if (logits[i]! - logits[i]! !== 0 && bad++ === 0) first = i;
  }
  if (bad === 0) return undefined;
  const at = `[${Math.floor(first / classes)}, ${first % classes}]`;
  return `the logits hold NaN or ±Infinity (${bad} of ${logits.length} values, the first ${logits[first]} at ${at}): the weights or the input overflow float32`;
}

/**
 * Binds through the generated network's own layer specs, as its loadWeights does, with
 * `--allow-nonfinite` passed on (the generated loadWeights takes no options).
 */
function bindAllowingNonfinite(network: Network, meta: ModelMetadata, bytes: Uint8Array, layout: Layout): Weights {
  return bindCheckpoint(parseSafetensors(bytes), layerSpecs(network), layout, `${meta.family} ${meta.variant}`, { allowNonfinite: true, backbone: meta.features.length > 0 });
}

/** One target's way to load weights and run a batch, for `infer`. */
interface Runner {
  device: string;
  load(weights: Uint8Array, layout: Layout, allowNonfinite: boolean): Promise<void>;
  run(): Promise<Float32Array>;
  /** Target-specific figures for --bench. */
  figures(): Record<string, number>;
  dispose(): void;
}

async function tfjsRunner(g: VariantGraph, spec: string, backend: Backend, input: Float32Array, shape: NCHW): Promise<Runner> {
  const { tf, url } = await loadTfjs(backend);
  const model = await importTfjsModel(g, spec, url);
  const x = tfjsRuntime(tf).fromNchw(input, shape);
  let infer: Inference<tfjs.Tensor2D | tfjs.Tensor4D[]> | undefined;
  return {
    device: `tfjs ${tf.getBackend()}`,
    async load(bytes, layout, allowNonfinite) {
      // A feature network's createInference gives Tensor4D[] (FeatureInference).
      infer = model.createInference(allowNonfinite ? bindAllowingNonfinite(model.network, model.metadata, bytes, layout) : model.loadWeights(bytes, layout)) as Inference<tfjs.Tensor2D | tfjs.Tensor4D[]>;
    },
    async run() {
      const y = infer!(x);
      if (!Array.isArray(y)) {
        const logits = y.dataSync() as Float32Array;
        y.dispose();
        return logits;
      }
      // Feature maps as torchvision gives them: NCHW, one after another.
      const maps = y.map((t) => tf.tidy(() => tf.transpose(t, [0, 3, 1, 2]).dataSync() as Float32Array));
      tf.dispose(y);
      return concat(maps);
    },
    figures: () => ({}),
    dispose() {
      x.dispose();
      infer?.dispose();
    },
  };
}

const concat = (parts: Float32Array[]): Float32Array => {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

async function wgslRunner(g: VariantGraph, spec: string, backend: DawnBackend, input: Float32Array, shape: NCHW): Promise<Runner> {
  let dawn;
  try {
    dawn = await dawnDevice(backend);
  } catch (e) {
    if (e instanceof DawnError) throw new UsageError(e.message);
    throw e;
  }
  const module = await importWgslModel(g, spec);
  const x = nchwToNhwc(input, shape);
  let model: WgslModel | WgslFeatureModel | undefined;
  return {
    device: `Dawn ${backend}: ${dawn.label}`,
    async load(bytes, layout, allowNonfinite) {
      const weights = allowNonfinite ? bindAllowingNonfinite(module.network, module.metadata, bytes, layout) : module.loadWeights(bytes, layout);
      model = 'createModel' in module ? await module.createModel(dawn.device, weights) : await module.createFeatureModel(dawn.device, weights);
    },
    async run() {
      const y = await model!.run(x, shape[0]);
      if (!Array.isArray(y)) return y;
      // Feature maps as torchvision gives them: NCHW, one after another.
      const [n] = shape;
      return concat(y.map((map, i) => nhwcToNchw(map, [n, ...(model as WgslFeatureModel).features[i]!.shape])));
    },
    figures: () => ({ dispatches: model!.dispatches, arenaBytes: model!.arenaBytes, tensorBytes: model!.tensorBytes, weightBytes: model!.weightBytes }),
    dispose() {
      model?.dispose();
      dawn.device.destroy();
    },
  };
}
