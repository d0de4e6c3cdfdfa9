import { Command, Option } from 'commander';
import { LAYOUTS, type Layout } from '../runtime/checkpoint.js';
import { randomCheckpoint } from '../weights/random.js';
import { serveDemo } from '../wgsl/demo.js';
import { nchwToNhwc, readFile, readInput, UsageError } from './input.js';
import type { CommandContext } from './io.js';

// `effnet demo <spec> --variant V`: serves a page on 127.0.0.1 that runs the
// variant's generated WGSL model with the browser's WebGPU, until interrupted.

interface DemoFlags {
  variant: string;
  weights?: string;
  layout: Layout;
  input?: string;
  shape?: string;
  port: string;
}

export function registerDemo(program: Command, ctx: CommandContext): Command {
  return program
    .command('demo')
    .description('serve a page on 127.0.0.1 that runs a variant\'s WGSL model with WebGPU and shows its time and top-5')
    .argument('<spec>', '.effnet file')
    .requiredOption('--variant <name>', 'the variant to show')
    .option('--weights <file>', 'safetensors checkpoint (default: random weights)')
    .addOption(new Option('--layout <layout>', 'checkpoint tensor names').choices([...LAYOUTS]).default('torchvision'))
    .option('--input <file>', 'raw little-endian float32 NCHW images (default: a synthetic pattern)')
    .option('--shape <N,C,H,W>', 'the input\'s shape (default 1,3,R,R)')
    .option('--port <n>', 'port on 127.0.0.1 (0: any free one)', '8080')
    .action(async (spec: string, flags: DemoFlags) => {
      const { io } = ctx;
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port takes 0 to 65535, not "${flags.port}"`);
      const c = ctx.compile(spec, { variants: [flags.variant] });
      const code = ctx.report([c]);
      if (code !== 0 || !c.graphs[0]) return ctx.setCode(code || 1);
      const g = c.graphs[0];
      const { input, shape } = readInput(g, io.cwd, flags.input, flags.shape);
      const weights = flags.weights === undefined ? randomCheckpoint(g, flags.layout) : readFile('weights', io.cwd, flags.weights);
      const { server, url } = await serveDemo(g, { spec: c.file, weights, layout: flags.layout, input: nchwToNhwc(input, shape), batch: shape[0] }, port);
      io.stdout(`effnet demo: ${g.family} ${g.variant} at ${url} (${flags.weights === undefined ? 'random weights' : flags.weights}); Ctrl-C stops it\n`);
      await new Promise<void>((done) => {
        const stop = () => server.close(() => done());
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
