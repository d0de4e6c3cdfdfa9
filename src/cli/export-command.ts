import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { MiB, mib } from '../io/read.js';
import { checkOutput, writeOutput } from '../io/write.js';
import { bindVariantWeights } from '../onnx/bind.js';
import { OnnxExportError } from '../onnx/errors.js';
import { exportOnnx, OPSET, type OnnxModel } from '../onnx/export.js';
import { madeByEffnet } from '../onnx/owned.js';
import { LAYOUTS, NonfiniteWeightsError, type Layout } from '../runtime/checkpoint.js';
import { WeightsError } from '../runtime/safetensors.js';
import { DEFAULT_MAX_WEIGHTS_MIB } from '../weights/read.js';
import { parseMaxWeightsMib, readWeights, UsageError } from './input.js';
import { printableLines, type CommandContext } from './io.js';

// `effnet export <spec> --variant V --weights FILE --format onnx --out model.onnx`:
// the variant with its weights as one ONNX model (src/onnx/), BatchNorm folded,
// for ONNX Runtime and the other engines that read ONNX.
// Exit 0 written, 1 weights that do not fit the variant (or a spec with errors,
// or a layer ONNX cannot state), 2 usage (flags, unreadable files, an --out
// that is not a model effnet wrote).

export const EXPORT_FORMATS = ['onnx'] as const;

interface ExportFlags {
  variant: string;
  weights: string;
  layout: Layout;
  format: (typeof EXPORT_FORMATS)[number];
  out: string;
  dynamic?: boolean;
  maxWeightsMib?: string;
  allowNonfinite?: boolean;
}

/** Refuses an existing regular file that is not an ONNX model effnet wrote (writeOutput would replace it). */
function checkOwned(path: string, shown: string, inputs: string[]): void {
  const { target, kind } = checkOutput(path, { shown, inputs });
  if (kind === 'file' && !madeByEffnet(target))
    throw new UsageError(`--out ${shown} exists and is not an ONNX model effnet exported; effnet replaces only its own models: remove it or name another file`);
}

const shapeText = (shape: (number | string)[]) => `[${shape.join(', ')}]`;

function summary(out: string, m: OnnxModel, who: string): string {
  const size = m.bytes.byteLength < MiB ? `${m.bytes.byteLength} bytes` : mib(m.bytes.byteLength);
  const outputs = m.outputs.map((o) => `${o.name} ${shapeText(o.shape)}`).join(', ');
  return `wrote ${out}: ONNX opset ${OPSET}, ${m.nodes} nodes, ${m.initializers} initializers, ${size} (${who}; ${m.input.name} ${shapeText(m.input.shape)} → ${outputs})`;
}

export function registerExport(program: Command, ctx: CommandContext): Command {
  return program
    .command('export')
    .description('export a variant with its weights as an ONNX model (BatchNorm folded, NCHW float input)')
    .argument('<spec>', '.effnet file')
    .requiredOption('--variant <name>', 'the variant to export')
    .requiredOption('--weights <file>', 'safetensors or torch.save (.pth) checkpoint')
    .addOption(new Option('--layout <layout>', 'checkpoint tensor names').choices([...LAYOUTS]).default('torchvision'))
    .addOption(new Option('--format <format>', 'what to write').choices([...EXPORT_FORMATS]).default('onnx'))
    .requiredOption('--out <file>', 'the model file to write, - for stdout')
    .option('--dynamic', 'take any input height and width (dimensions H and W) instead of the variant\'s resolution')
    .option('--max-weights-mib <n>', `refuse a weights file larger than this (default ${DEFAULT_MAX_WEIGHTS_MIB})`)
    .option('--allow-nonfinite', 'export weights holding NaN, ±Infinity or negative BatchNorm running variances')
    .action(async (spec: string, flags: ExportFlags) => {
      const { io } = ctx;
      const maxWeights = parseMaxWeightsMib(flags.maxWeightsMib);
      const inputs = [spec, flags.weights].map((p) => resolve(io.cwd, p));
      const outPath = resolve(io.cwd, flags.out);
      // A bad --out fails before the work; checked again just before the write.
      if (flags.out !== '-') checkOwned(outPath, flags.out, inputs);
      const c = ctx.compile(spec, { variants: [flags.variant] });
      const code = ctx.report([c]);
      if (code !== 0 || !c.graphs[0]) return ctx.setCode(code || 1);
      const g = c.graphs[0];
      const who = `${g.family} ${g.variant}`;
      let model: OnnxModel;
      try {
        const weights = bindVariantWeights(g, readWeights(io.cwd, flags.weights, maxWeights), flags.layout, flags.allowNonfinite === true);
        model = exportOnnx(g, weights, { dynamic: flags.dynamic === true, producerVersion: program.version() ?? '' });
      } catch (e) {
        if (e instanceof WeightsError) {
          const hint = e instanceof NonfiniteWeightsError ? '; --allow-nonfinite exports it anyway' : '';
          io.stderr(`effnet: ${printableLines(`${flags.weights}: ${e.message}${hint}`)}; nothing written\n`);
          return ctx.setCode(1);
        }
        if (e instanceof OnnxExportError) {
          io.stderr(`effnet: ${printableLines(`${c.file}: ${e.message}`)}; nothing written\n`);
          return ctx.setCode(1);
        }
        throw e;
      }
      if (flags.out === '-') return await writeStdout(model.bytes);
      checkOwned(outPath, flags.out, inputs);
      writeOutput(outPath, model.bytes, { shown: flags.out, inputs });
      io.stdout(printableLines(summary(flags.out, model, who)) + '\n');
    });
}

/** `--out -`: the bytes on stdout, resolved once the kernel has them. */
const writeStdout = (bytes: Uint8Array) =>
  new Promise<void>((done, fail) => process.stdout.write(bytes, (e) => (e ? fail(e) : done())));
