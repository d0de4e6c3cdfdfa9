import { statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { Command } from 'commander';
import { mib, MiB } from '../io/read.js';
import { checkOutput, WriteError, writeOutput } from '../io/write.js';
import { parseCheckpoint, type PthFile } from '../runtime/pth.js';
import { WeightsError, writeSafetensors } from '../runtime/safetensors.js';
import { readCheckpointFile } from '../weights/checkpoint-file.js';
import { DEFAULT_MAX_WEIGHTS_MIB } from '../weights/read.js';
import { parseMaxWeightsMib, UsageError } from './input.js';
import { printableLines, type CommandContext } from './io.js';

// `effnet convert in.pth out.safetensors`: a torch.save checkpoint (or a
// safetensors file) to an F32 safetensors file, every tensor of its
// state_dict kept under its name. The pickle is read by the restricted
// unpickler, so a checkpoint that would run code is refused, not run.
// Exit 0 written, 1 a checkpoint that cannot be used, 2 usage (flags,
// unreadable input, an output the command must not write).

interface ConvertFlags {
  maxWeightsMib?: string;
}

const sameFile = (a: string, b: string): boolean => {
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
};

/** checkOutput's messages name `--out`; this command's output is its second argument. */
const asOutput = (e: unknown): unknown => (e instanceof WriteError ? new UsageError(e.message.replace(/^--out /, 'output ')) : e);

export function registerConvert(program: Command, ctx: CommandContext): Command {
  return program
    .command('convert')
    .description('convert a PyTorch checkpoint (torch.save .pth, or safetensors) to an F32 safetensors file; never runs code from the checkpoint')
    .argument('<in>', 'torch.save checkpoint (a state_dict, or one under `state_dict`, `model` or `model_state_dict`) or safetensors file')
    .argument('<out>', 'the safetensors file to write (- for stdout)')
    .option('--max-weights-mib <n>', `refuse an input larger than this (default ${DEFAULT_MAX_WEIGHTS_MIB})`)
    .action(async (input: string, output: string, flags: ConvertFlags) => {
      const { io } = ctx;
      const maxBytes = parseMaxWeightsMib(flags.maxWeightsMib);
      const inPath = resolve(io.cwd, input);
      const outPath = resolve(io.cwd, output);
      if (output !== '-') {
        if (sameFile(inPath, outPath)) throw new UsageError(`output ${output} is the input; name another file`);
        try {
          checkOutput(outPath, { shown: output, inputs: [inPath] });
        } catch (e) {
          throw asOutput(e);
        }
      }
      let file;
      try {
        file = parseCheckpoint(readCheckpointFile(inPath, `input ${input}`, { maxBytes, flag: '--max-weights-mib', source: input }), input);
      } catch (e) {
        if (!(e instanceof WeightsError)) throw e;
        io.stderr(`effnet: ${printableLines(e.message)}\n`);
        return ctx.setCode(1);
      }
      const entry = (file as Partial<PthFile>).entry;
      const metadata: Record<string, string> = { format: 'pt', converted_from: basename(input) };
      if (entry !== undefined) metadata.state_dict_key = entry;
      const tensors = [...file.tensors.values()];
      const bytes = writeSafetensors(tensors, metadata);
      if (output === '-') return await writeStdout(bytes);
      try {
        writeOutput(outPath, bytes, { shown: output, inputs: [inPath] });
      } catch (e) {
        throw asOutput(e);
      }
      const dtypes = [...new Set(tensors.map((t) => t.dtype))].sort().join(', ');
      const skipped = (file as Partial<PthFile>).skipped ?? [];
      const from = entry === undefined ? input : `${input}'s \`${entry}\` entry`;
      const left = skipped.length === 0 ? '' : `; left out ${skipped.length} non-tensor entr${skipped.length === 1 ? 'y' : 'ies'}`;
      io.stdout(printableLines(`wrote ${output}: ${tensors.length} tensor${tensors.length === 1 ? '' : 's'} (${dtypes || 'none'} → F32, ${bytes.byteLength < MiB ? `${bytes.byteLength} bytes` : mib(bytes.byteLength)}) from ${from}${left}`) + '\n');
    });
}

/** `-`: the bytes on stdout, resolved once the kernel has them. */
const writeStdout = (bytes: Uint8Array) =>
  new Promise<void>((done, fail) => process.stdout.write(bytes, (e) => (e ? fail(e) : done())));
