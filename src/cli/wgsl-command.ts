import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { dawnDevice } from '../wgsl/dawn.js';
import { GeneratedFileError, generatedShaders, validateShaders } from '../wgsl/validate.js';
import { printableLines, type Io } from './io.js';

// `effnet validate-wgsl [path...]`: every shader generated model.wgsl.ts files
// run (the runtime makes them from the variant's plan; older files bake them
// in) through Tint on Dawn's null backend; problems at line:col.
// Exit 0 all valid, 1 a shader fails (or a file holds none), 2 usage.

function wgslFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.wgsl.ts'))
    .sort()
    .map((f) => join(path, f));
}

export function registerValidateWgsl(program: Command, io: Io, setCode: (code: number) => void): Command {
  return program
    .command('validate-wgsl')
    .description("validate the WGSL generated model.wgsl.ts files run with Dawn's null backend (Tint)")
    .argument('[path...]', 'files or folders (default: generated/)')
    .action(async (paths: string[]) => {
      const roots = (paths.length > 0 ? paths : ['generated']).map((p) => resolve(io.cwd, p));
      let files: string[];
      try {
        files = roots.flatMap(wgslFiles);
      } catch (e) {
        io.stderr(`effnet: ${printableLines((e as Error).message)}\n`);
        return setCode(2);
      }
      if (files.length === 0) {
        // A CI gate that validated nothing must not pass.
        io.stderr(`effnet: ${printableLines(`no model.wgsl.ts files under ${paths.length > 0 ? paths.join(', ') : 'generated'}`)}\n`);
        return setCode(1);
      }
      const { device } = await dawnDevice('null');
      let shaders = 0;
      let failed = false;
      for (const file of files) {
        const shown = relative(io.cwd, file).split('\\').join('/');
        let literals;
        try {
          literals = generatedShaders(file, io.cwd);
        } catch (e) {
          if (!(e instanceof GeneratedFileError)) throw e;
          io.stderr(`${shown}: error: ${printableLines(e.message)}\n`);
          failed = true;
          continue;
        }
        if (literals.length === 0) {
          io.stderr(`${shown}: error: no shaders found (not a generated model.wgsl.ts?)\n`);
          failed = true;
          continue;
        }
        shaders += literals.length;
        for (const p of await validateShaders(device, literals, shown)) {
          io.stderr(`${p.where}: ${p.severity}: ${p.message}\n`);
          if (p.severity === 'error') failed = true;
        }
      }
      device.destroy();
      if (failed) return setCode(1);
      io.stdout(`${shaders} shaders in ${files.length} file${files.length === 1 ? '' : 's'} valid (Tint, Dawn null backend)\n`);
    });
}
