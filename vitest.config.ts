import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Four projects, one `vitest run` (`npm test`) runs them all, in parallel:
// - unit: the compiler (lexer to variant graphs, the emitters' layout), reports, diff,
//   the golden files, fmt, the language server and the parser, in process (lsp aside):
//   the loop to run while editing those (`npx vitest run --project unit`, under 30 s);
// - models: the built CLI end to end (`npm run build` first) and what runs generated
//   models or checkpoints on the CPU (tfjs, ONNX Runtime);
// - dawn: WGSL models on Dawn (the `webgpu` package);
// - browser: headless Chromium.
// Every test file is in exactly one project: `models` takes whatever the others do not.

const UNIT = [
  'diagnostics',
  'diff',
  'families',
  'fixture-narrow',
  'fmt',
  'fmt-cli',
  'fmt-prettier',
  'generate-fast-layout',
  'grammar',
  'hostile',
  'hostile-language',
  'io',
  'layering',
  'lsp',
  'report-html',
  'sarif',
  'scaling',
  'timm-families',
  'vscode-extension',
  'width-scaling',
].map((name) => `test/${name}.test.ts`);

const DAWN = ['b0-sizes', 'family-logits', 'fast-path', 'infer-shapes', 'search-measure', 'wgsl', 'wgsl-differential', 'wgsl-f16', 'wgsl-features', 'wgsl-profile', 'wgsl-sizes'].map(
  (name) => `test/${name}.test.ts`,
);

const BROWSER = ['browser', 'consumer', 'image', 'report-browser'].map((name) => `test/${name}.test.ts`);

const project = (name: string, include: string[], exclude: string[] = [], options: { isolate?: boolean } = {}) => ({
  extends: true as const,
  test: { name, include, exclude, ...options },
});

export default defineConfig({
  test: {
    testTimeout: 60_000,
    // generate's record of what it wrote (src/generate/record.ts) goes here, not into the user's cache.
    env: { EFFNET_CACHE: join(tmpdir(), 'effnet-test-cache') },
    projects: [
      // One module graph per worker, not per file: each file would load the compiler (and chevrotain's 600 modules) again.
      project('unit', UNIT, [], { isolate: false }),
      project('dawn', DAWN),
      project('browser', BROWSER),
      project('models', ['test/**/*.test.ts'], [...UNIT, ...DAWN, ...BROWSER]),
    ],
  },
});
