import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { emitNetwork } from '../../src/emit/network.js';
import type { VariantGraph } from '../../src/graph/graph.js';
import { emitTfjs } from '../../src/tfjs/emit.js';
import { emitWgsl } from '../../src/wgsl/emit.js';

// The bench page, made at bench time in a temp folder (nothing generated is committed):
// the variant's generated network, WGSL and tfjs modules, importing this build's runtime
// (dist/src/runtime/), and bench/browser/page.js bundled with them, TensorFlow.js and its
// WebGPU backend by esbuild into one ES module. ONNX Runtime Web is not bundled: the page
// imports it from /ort/, served as shipped, so its .wasm files sit next to it.

/** This build's runtime module, as the generated code imports it. */
const runtime = (name: string) => fileURLToPath(new URL(`../../src/runtime/${name}.js`, import.meta.url));

export interface Bundle {
  dir: string;
  /** The bundled page script. */
  script: string;
  dispose(): void;
}

/** Writes to a temp name and renames: nothing half-written. */
function writeWhole(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

export async function bundlePage(g: VariantGraph, spec: string, root: string): Promise<Bundle> {
  const dir = mkdtempSync(join(tmpdir(), 'effnet-bench-browser-'));
  try {
    writeWhole(join(dir, 'network.ts'), await emitNetwork(g, { spec, runtimeModule: runtime('spec') }));
    writeWhole(join(dir, 'model.wgsl.ts'), await emitWgsl(g, { spec, runtimeModule: runtime('wgsl') }));
    writeWhole(join(dir, 'model.tfjs.ts'), await emitTfjs(g, { spec, tfjsModule: '@tensorflow/tfjs', runtimeModule: runtime('tfjs') }));
    const out = join(dir, 'page.bundle.js');
    await build({
      entryPoints: [join(root, 'bench', 'browser', 'page.js')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      outfile: out,
      logLevel: 'error',
      // The generated files live in the temp folder; packages resolve from the project.
      nodePaths: [join(root, 'node_modules')],
      alias: {
        '@bench/wgsl-model': join(dir, 'model.wgsl.ts'),
        '@bench/tfjs-model': join(dir, 'model.tfjs.ts'),
        '@bench/tfjs-runtime': runtime('tfjs'),
        '@bench/fast-path': runtime('fast-path'),
      },
    });
    return { dir, script: readFileSync(out, 'utf8'), dispose: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
