import { Command, Option } from 'commander';
import { LAYOUTS, type Layout } from '../runtime/checkpoint.js';
import { randomCheckpoint } from '../weights/random.js';
import { DEFAULT_DEMO_PORT, serveDemo } from '../wgsl/demo.js';
import { WeightsError } from '../runtime/safetensors.js';
import { nchwToNhwc, parseMaxWeightsMib, readInput, readWeights, UsageError } from './input.js';
import { printableLines, type CommandContext } from './io.js';

// `effnet demo <spec> --variant V`: serves a page on 127.0.0.1 that runs the
// variant's generated WGSL model with the browser's WebGPU, until interrupted;
// a picture picked or dropped on the page is classified there, with names.

interface DemoFlags {
  variant: string;
  weights?: string;
  layout: Layout;
  input?: string;
  shape?: string;
  port?: string;
  maxWeightsMib?: string;
}

export function registerDemo(program: Command, ctx: CommandContext): Command {
  return program
    .command('demo')
    .description('serve a page on 127.0.0.1 that runs a variant\'s WGSL model with WebGPU (without a GPU: its ONNX export on ONNX Runtime Web\'s wasm provider) and shows its time and top-5; pick or drop a picture there to see its top-5 classes by name')
    .argument('<spec>', '.effnet file')
    .requiredOption('--variant <name>', 'the variant to show')
    .option('--weights <file>', 'safetensors or torch.save (.pth) checkpoint (default: random weights)')
    .addOption(new Option('--layout <layout>', 'checkpoint tensor names').choices([...LAYOUTS]).default('torchvision'))
    .option('--input <file>', 'raw little-endian float32 NCHW images (default: a synthetic pattern)')
    .option('--shape <N,C,H,W>', 'the input\'s shape (default 1,C,R,R: the spec\'s input channels and resolution)')
    .option('--max-weights-mib <n>', 'refuse a checkpoint larger than this (default 4096)')
    .option('--port <n>', `port on 127.0.0.1 (0: any free one; default ${DEFAULT_DEMO_PORT}, or any free one when it is busy)`)
    .action(async (spec: string, flags: DemoFlags) => {
      const { io } = ctx;
      const port = flags.port === undefined ? undefined : parsePort(flags.port);
      const maxWeights = parseMaxWeightsMib(flags.maxWeightsMib);
      const c = ctx.compile(spec, { variants: [flags.variant] });
      const code = ctx.report([c]);
      if (code !== 0 || !c.graphs[0]) return ctx.setCode(code || 1);
      const g = c.graphs[0];
      if (g.classes === 0) throw new UsageError(`the demo shows a classifier's top-5; ${g.family} ${g.variant} ${g.features.length > 0 ? 'hands out feature maps' : 'has no classes'} (use \`effnet infer\`)`);
      const { input, shape } = readInput(g, io.cwd, flags.input, flags.shape);
      let weights: Uint8Array;
      try {
        weights = flags.weights === undefined ? randomCheckpoint(g, flags.layout) : readWeights(io.cwd, flags.weights, maxWeights);
      } catch (e) {
        // A malformed checkpoint is bad input (exit 1), like infer's.
        if (!(e instanceof WeightsError)) throw e;
        io.stderr(`effnet: ${printableLines(e.message)}\n`);
        return ctx.setCode(1);
      }
      const { server, url, port: actual, cpu } = await serveDemo(g, { spec: c.file, weights, layout: flags.layout, input: nchwToNhwc(input, shape), batch: shape[0] }, port).catch(
        (e: unknown) => {
          throw listenError(e, port);
        },
      );
      const moved = port === undefined && actual !== DEFAULT_DEMO_PORT ? ` (port ${DEFAULT_DEMO_PORT} was busy)` : '';
      io.stdout(`effnet demo: ${g.family} ${g.variant} at ${url}${moved} (${flags.weights === undefined ? 'random weights' : flags.weights}); Ctrl-C stops it\n`);
      if ('missing' in cpu) io.stdout(`effnet demo: no CPU path (${cpu.missing}): a machine without a GPU runs the WGSL model on a software adapter\n`);
      await new Promise<void>((done) => {
        const stop = () => server.close(() => done());
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}

function parsePort(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port <= 65535)) throw new UsageError(`--port takes 0 to 65535, not "${text}"`);
  return port;
}

/** A port that cannot be had is the user's to change: one line naming --port (exit 2), not an internal error. */
function listenError(e: unknown, port: number | undefined): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const where = `127.0.0.1:${port ?? DEFAULT_DEMO_PORT}`;
  if (code === 'EADDRINUSE') return new UsageError(`${where} is already in use; choose another port with --port <n> (--port 0: any free one)`);
  if (code === 'EACCES') return new UsageError(`no permission to listen on ${where}; choose a port above 1023 with --port <n> (--port 0: any free one)`);
  return e;
}
