import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { checkOutput, writeOutput } from '../io/write.js';
import { bindCheckpoint, LAYOUTS, NonfiniteWeightsError, type Layout, type Weights } from '../runtime/checkpoint.js';
import { WeightsError } from '../runtime/safetensors.js';
import { parseCheckpoint } from '../runtime/pth.js';
import { layerSpecs, shapesAt, type ModelMetadata, type Network } from '../runtime/spec.js';
import { modelNetwork, modelSpec } from '../graph/model-spec.js';
import type * as tfjs from '@tensorflow/tfjs';
import { tfjsRuntime, type Inference, type Tf } from '../runtime/tfjs.js';
import type { VariantGraph } from '../graph/graph.js';
import { importTfjsModel } from '../tfjs/load.js';
import { WgslLimitError, type WeightPrecision, type WgslFeatureModel, type WgslModel } from '../runtime/wgsl.js';
import { dawnDevice, DawnError, type DawnBackend } from '../wgsl/dawn.js';
import { importWgslModel } from '../wgsl/load.js';
import { bindVariantWeights } from '../onnx/bind.js';
import { OnnxExportError } from '../onnx/errors.js';
import { exportOnnx, INPUT_NAME } from '../onnx/export.js';
import { createSession, loadOrt, OrtMissingError } from '../onnx/ort.js';
import { DEFAULT_MAX_WEIGHTS_MIB } from '../weights/read.js';
import { IMAGENET_CLASSES } from '../runtime/labels.js';
import { preprocessImage, topClasses } from '../runtime/preprocess.js';
import { ImageDecodeError, nchwToNhwc, nhwcToNchw, parseMaxWeightsMib, readImage, readInput, readWeights, UsageError, type NCHW } from './input.js';
import { printableLines, type CommandContext } from './io.js';

// `effnet infer`: runs a variant's generated module on raw float32 NCHW input
// (as torchvision takes it) and writes raw float32 logits; `--bench N` times it.
// `--image` takes a PNG or JPEG instead, transformed as the spec's `preprocess`
// says, and prints the top-5 classes with their names.
// Exit 0 done, 1 bad weights, spec, image data or logits (NaN, ±Infinity), 2 usage
// (flags, unreadable files, sizes, image formats, an --out the command must not write).

export const INFER_TARGETS = ['tfjs', 'wgsl', 'onnx'] as const;
export const TFJS_BACKENDS = ['wasm', 'cpu', 'tensorflow'] as const;
/** Dawn's backends for the wgsl target (opengles: Mesa's llvmpipe on a machine without a GPU). */
export const WGSL_BACKENDS = ['opengles', 'vulkan'] as const;
/** The onnx target: the model exported in memory (src/onnx/), run on ONNX Runtime for Node's CPU provider. */
export const ONNX_BACKENDS = ['cpu'] as const;
type Backend = (typeof TFJS_BACKENDS)[number];
const DEFAULT_BACKEND = { tfjs: 'wasm', wgsl: 'opengles', onnx: 'cpu' } as const;
const BACKENDS: Record<(typeof INFER_TARGETS)[number], readonly string[]> = { tfjs: TFJS_BACKENDS, wgsl: WGSL_BACKENDS, onnx: ONNX_BACKENDS };
/** How the wgsl target stores weights on the device (src/runtime/wgsl.ts). */
export const WEIGHT_PRECISIONS = ['f32', 'f16'] as const;

interface InferFlags {
  variant: string;
  target: (typeof INFER_TARGETS)[number];
  weights: string;
  layout: Layout;
  input?: string;
  shape?: string;
  image?: string;
  out?: string;
  backend?: string;
  weightsPrecision?: WeightPrecision;
  bench?: string;
  maxWeightsMib?: string;
  allowNonfinite?: boolean;
}

/** What `infer --target tfjs` on this backend needs and the user has not installed (effnet does not install TensorFlow.js: it is an optional peer). */
export function missingTfjs(backend: Backend): string {
  const packages = backend === 'tensorflow' ? '@tensorflow/tfjs-node' : backend === 'wasm' ? '@tensorflow/tfjs @tensorflow/tfjs-backend-wasm' : '@tensorflow/tfjs';
  return `--target tfjs --backend ${backend} needs ${packages.split(' ').join(' and ')}, which effnet does not install (npm install ${packages})`;
}

/** TensorFlow.js with the backend set; its resolved URL is what the generated module imports. */
async function loadTfjs(backend: Backend): Promise<{ tf: Tf; url: string }> {
  let url: string;
  try {
    url = import.meta.resolve(backend === 'tensorflow' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs');
  } catch {
    throw new UsageError(missingTfjs(backend));
  }
  if (backend === 'wasm')
    await import('@tensorflow/tfjs-backend-wasm').catch(() => {
      throw new UsageError(missingTfjs(backend));
    });
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
    .description('run a variant\'s generated model (tfjs or WGSL), or its ONNX export on ONNX Runtime, on raw float32 NCHW input; write raw float32 logits')
    .argument('<spec>', '.effnet file')
    .requiredOption('--variant <name>', 'the variant to run')
    .addOption(new Option('--target <target>', 'which generated model runs').choices([...INFER_TARGETS]).default('tfjs'))
    .requiredOption('--weights <file>', 'safetensors or torch.save (.pth) checkpoint')
    .addOption(new Option('--layout <layout>', 'checkpoint tensor names').choices([...LAYOUTS]).default('torchvision'))
    .option('--input <file>', 'raw little-endian float32, NCHW (required unless --bench)')
    .option('--shape <N,C,H,W>', 'the input\'s shape (default 1,C,R,R: the spec\'s input channels and resolution; any H,W the network can take)')
    .option('--image <file>', 'a PNG or JPEG instead of --input: resized, cropped and normalised as the spec\'s `preprocess` says; prints the top-5 classes with names')
    .option('--out <file>', 'where the raw float32 logits [N, classes] (a feature network: its NCHW maps, one after another) go, - for stdout (required unless --bench)')
    .addOption(new Option('--backend <backend>', 'tfjs: wasm (default), cpu or tensorflow; wgsl: Dawn\'s opengles (default) or vulkan; onnx: cpu (ONNX Runtime\'s CPU provider)').choices([...new Set([...TFJS_BACKENDS, ...WGSL_BACKENDS, ...ONNX_BACKENDS])]))
    .addOption(new Option('--weights-precision <precision>', 'wgsl: weights on the device as float32 (default) or half floats (f16: half the memory, arithmetic still float32)').choices([...WEIGHT_PRECISIONS]))
    .option('--bench <runs>', 'time this many runs after a warm-up; print latency JSON')
    .option('--max-weights-mib <n>', `refuse a weights file larger than this (default ${DEFAULT_MAX_WEIGHTS_MIB})`)
    .option('--allow-nonfinite', 'load weights holding NaN, ±Infinity or negative BatchNorm running variances')
    .action(async (spec: string, flags: InferFlags) => {
      const { io } = ctx;
      const runs = flags.bench === undefined ? undefined : Number(flags.bench);
      if (runs !== undefined && !(Number.isInteger(runs) && runs > 0)) throw new UsageError(`--bench takes a positive number of runs, not ${JSON.stringify(flags.bench)}`);
      if (flags.image !== undefined && (flags.input !== undefined || flags.shape !== undefined)) throw new UsageError('--image is the input: leave out --input and --shape');
      if (runs === undefined && flags.image === undefined && (flags.input === undefined || flags.out === undefined)) throw new UsageError('infer needs --image, or --input and --out (or --bench N)');
      if (runs !== undefined && flags.out === '-') throw new UsageError('--bench prints JSON on stdout; --out - cannot share it');
      const maxWeights = parseMaxWeightsMib(flags.maxWeightsMib);
      const inputs = [spec, flags.weights, ...[flags.input, flags.image].filter((p) => p !== undefined)].map((p) => resolve(io.cwd, p));
      // A bad --out fails before the run, which can take minutes (writeOutput checks again after).
      if (flags.out !== undefined && flags.out !== '-') checkOutput(resolve(io.cwd, flags.out), { shown: flags.out, inputs });
      const c = ctx.compile(spec, { variants: [flags.variant] });
      const code = ctx.report([c]);
      if (code !== 0 || !c.graphs[0]) return ctx.setCode(code || 1);
      const g = c.graphs[0];
      // With --image, a classifier's answer is its top-5 on stdout (not under --bench, whose JSON is stdout's).
      const top5 = flags.image !== undefined && runs === undefined && g.classes > 0;
      if (flags.image !== undefined && runs === undefined && !top5 && flags.out === undefined)
        throw new UsageError(`${g.family} ${g.variant} ${g.features.length > 0 ? 'hands out feature maps' : 'has no classes'}, so --image has no top-5 to print: give --out`);
      if (top5 && flags.out === '-') throw new UsageError('--image prints the top-5 on stdout; --out - cannot share it');
      let image: ImageInput;
      try {
        image = flags.image === undefined ? readInput(g, io.cwd, flags.input, flags.shape, true) : imageInput(g, io.cwd, flags.image);
      } catch (e) {
        if (!(e instanceof ImageDecodeError)) throw e;
        io.stderr(`effnet: ${printableLines(e.message)}\n`);
        return ctx.setCode(1);
      }
      const { input, shape } = image;
      const backend = flags.backend ?? DEFAULT_BACKEND[flags.target];
      const allowed = BACKENDS[flags.target];
      if (!allowed.includes(backend)) throw new UsageError(`--target ${flags.target} runs on --backend ${allowed.join(', ')}, not ${backend}`);
      if (flags.weightsPrecision !== undefined && flags.target !== 'wgsl') throw new UsageError(`--weights-precision is for --target wgsl, not ${flags.target}`);
      let weightBytes: Uint8Array;
      try {
        weightBytes = readWeights(io.cwd, flags.weights, maxWeights);
      } catch (e) {
        if (!(e instanceof WeightsError)) throw e;
        io.stderr(`effnet: ${printableLines(e.message)}\n`);
        return ctx.setCode(1);
      }
      const runner =
        flags.target === 'tfjs'
          ? await tfjsRunner(g, c.file, backend as Backend, input, shape)
          : flags.target === 'wgsl'
            ? await wgslRunner(g, c.file, backend as DawnBackend, input, shape, flags.weightsPrecision ?? 'f32')
            : await onnxRunner(g, input, shape);
      try {
        await runner.load(weightBytes, flags.layout, flags.allowNonfinite === true);
      } catch (e) {
        if (!(e instanceof WeightsError) && !(e instanceof WgslLimitError) && !(e instanceof OnnxExportError)) throw e;
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
        if (top5) {
          const how = `${flags.target} on ${backend}, ${ms(first.ms)} ms; ${image.transform}`;
          io.stdout(`${printableLines(flags.image!)}: ${g.family} ${g.variant} (${how})\n`);
          const labels = g.classes === IMAGENET_CLASSES.length ? IMAGENET_CLASSES : undefined;
          for (const [i, p] of topClasses(first.logits, g.classes, { labels }).entries()) io.stdout(`${i + 1}. ${p.probability.toPrecision(4)}  ${p.label}${labels ? ` (class ${p.index})` : ''}\n`);
        }
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

interface ImageInput {
  input: Float32Array;
  shape: NCHW;
  /** How an --image was made the input, for the top-5's heading. */
  transform?: string;
}

/** `--image`: decoded, then the spec's transform (src/runtime/preprocess.ts, as the generated modules' `preprocess`), at its crop size on every target. */
function imageInput(g: VariantGraph, cwd: string, path: string): ImageInput {
  const t = g.preprocess;
  if (t === null) throw new UsageError(`${g.family} ${g.variant} takes ${g.input[0]}-channel input, not an RGB image: give --input`);
  const decoded = readImage(cwd, path);
  const size = t.crop;
  const input = preprocessImage(decoded, t, { layout: 'nchw', size });
  return { input, shape: [1, 3, size, size], transform: `${decoded.width}×${decoded.height} ${decoded.format}, resized to ${t.resize}, centre ${size}×${size}, ${t.interpolation}` };
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
  return bindCheckpoint(parseCheckpoint(bytes), layerSpecs(network), layout, `${meta.family} ${meta.variant}`, { allowNonfinite: true, backbone: meta.features.length > 0 });
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

async function wgslRunner(g: VariantGraph, spec: string, backend: DawnBackend, input: Float32Array, shape: NCHW, precision: WeightPrecision): Promise<Runner> {
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
    device: `Dawn ${backend}: ${dawn.label}${precision === 'f16' ? ', f16 weights' : ''}`,
    async load(bytes, layout, allowNonfinite) {
      const weights = allowNonfinite ? bindAllowingNonfinite(module.network, module.metadata, bytes, layout) : module.loadWeights(bytes, layout);
      const options = { height: shape[2], width: shape[3], weightPrecision: precision };
      model = 'createModel' in module ? await module.createModel(dawn.device, weights, options) : await module.createFeatureModel(dawn.device, weights, options);
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

/** `--target onnx`: the variant exported in memory at the input's size and run on ONNX Runtime for Node. */
async function onnxRunner(g: VariantGraph, input: Float32Array, shape: NCHW): Promise<Runner> {
  let ort;
  try {
    ort = await loadOrt();
  } catch (e) {
    if (e instanceof OrtMissingError) throw new UsageError(`--target onnx: ${e.message}`);
    throw e;
  }
  const x = new ort.Tensor('float32', input, shape);
  let session: Awaited<ReturnType<typeof createSession>> | undefined;
  let outputs: string[] = [];
  let figures: Record<string, number> = {};
  return {
    device: `onnxruntime-node ${ort.env.versions.common} cpu`,
    async load(bytes, layout, allowNonfinite) {
      const model = exportOnnx(g, bindVariantWeights(g, bytes, layout, allowNonfinite), { height: shape[2], width: shape[3] });
      session = await createSession(ort, model.bytes);
      outputs = model.outputs.map((o) => o.name);
      figures = { nodes: model.nodes, modelBytes: model.bytes.byteLength };
    },
    async run() {
      const result = await session!.run({ [INPUT_NAME]: x });
      // Already NCHW; a feature network's maps one after another, in metadata order.
      return concat(outputs.map((name) => result[name]!.data as Float32Array));
    },
    figures: () => figures,
    dispose() {
      void session?.release();
    },
  };
}
