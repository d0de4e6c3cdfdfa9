import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Compilation } from '../compile/compile.js';
import { hasErrors } from '../diagnostics/diagnostic.js';
import { renderReport, reportInput } from '../report/report.js';
import { architectureSvg } from '../report/svg/architecture.js';
import { scalingSvg } from '../report/svg/scaling.js';
import { htmlBanner, htmlBannerPlain, markdownCodeSpan, markdownLink, markdownText } from '../emit/escape.js';
import { summaryTable } from '../report/markdown.js';
import { emitNetwork } from '../emit/network.js';
import { DEFAULT_TFJS_MODULE, emitTfjs } from '../tfjs/emit.js';
import { emitWgsl } from '../wgsl/emit.js';
import type { OutputFile } from './files.js';

/** What `generate` can write; each target owns its own file names. */
export const TARGETS = ['report', 'tfjs', 'wgsl'] as const;
export type Target = (typeof TARGETS)[number];

const TARGET_FILES: Record<Target, RegExp> = {
  report: /(^|\/)(README\.md|report\.md|report\.json|architecture\.svg|scaling\.svg)$/,
  // network.ts is both model modules' import.
  tfjs: /(^|\/)(model\.tfjs|network)\.ts$/,
  wgsl: /(^|\/)(model\.wgsl|network)\.ts$/,
};

/**
 * Whether a generated file is answered for by these targets: all targets own every file
 * (so stray files are orphans); a subset leaves the other targets' files alone.
 */
export const ownedBy =
  (targets: readonly Target[]) =>
  (path: string): boolean =>
    TARGETS.every((t) => targets.includes(t)) || targets.some((t) => TARGET_FILES[t].test(path));

export interface GenerateOptions {
  targets: readonly Target[];
  /** The module generated tfjs code imports (default `@tensorflow/tfjs-node-gpu`). */
  tfjsModule?: string;
}

/** Every `.effnet` file directly under `dir`, sorted. */
export function specFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.effnet'))
    .sort()
    .map((f) => join(dir, f).split('\\').join('/'));
}

/**
 * The files one compiled spec produces, paths relative to the output root:
 * report: `<family>/README.md` (variant summary), `<family>/{architecture,scaling}.svg` and
 * `<family>/<variant>/report.{md,json}`;
 * tfjs: `<family>/<variant>/model.tfjs.ts`; wgsl: `<family>/<variant>/model.wgsl.ts`; both: the
 * `<family>/<variant>/network.ts` they import.
 */
export async function familyOutputs(c: Compilation, options: GenerateOptions): Promise<OutputFile[]> {
  if (!c.family || hasErrors(c.diagnostics)) return [];
  const want = new Set(options.targets);
  const family = c.family.name;
  const spec = c.file;
  const files: OutputFile[] = [];
  const all = reportInput(family, spec, c.graphs);
  if (want.has('tfjs') || want.has('wgsl'))
    for (const g of c.graphs) files.push({ path: `${family}/${g.variant}/network.ts`, content: await emitNetwork(g, { spec }) });
  if (want.has('tfjs'))
    for (const g of c.graphs)
      files.push({ path: `${family}/${g.variant}/model.tfjs.ts`, content: await emitTfjs(g, { spec, tfjsModule: options.tfjsModule ?? DEFAULT_TFJS_MODULE }) });
  if (want.has('wgsl')) for (const g of c.graphs) files.push({ path: `${family}/${g.variant}/model.wgsl.ts`, content: await emitWgsl(g, { spec }) });
  if (!want.has('report')) return files;
  files.push({
    path: `${family}/README.md`,
    content:
      `${htmlBanner(spec)}\n\n# ${markdownText(family)}\n\n` +
      `Generated from ${markdownCodeSpan(spec)} by \`effnet generate\`. MACs are multiply-accumulates per image; FLOPs = 2·MACs. ` +
      `Per-variant reports: ${all.variants.map((v) => markdownLink(v.name, `${v.name}/report.md`)).join(', ')}.\n\n` +
      summaryTable(all.variants) +
      '\n![Each variant\'s stages: box height ∝ spatial size, width ∝ log channels, colour by block kind](architecture.svg)\n\n' +
      '![Parameters, MACs and the scaling multipliers across the variants](scaling.svg)\n',
  });
  files.push({ path: `${family}/architecture.svg`, content: architectureSvg(c.graphs, { banner: spec }) });
  files.push({ path: `${family}/scaling.svg`, content: scalingSvg(all.variants, { family, banner: spec }) });
  for (const v of all.variants) {
    const one = { ...all, variants: [v] };
    files.push({ path: `${family}/${v.name}/report.md`, content: renderReport(one, 'md', { banner: true, perLayer: true }) });
    files.push({ path: `${family}/${v.name}/report.json`, content: renderReport(one, 'json', { banner: true }) });
  }
  return files;
}

export const GENERATED_README: OutputFile = {
  path: 'README.md',
  content: `${htmlBannerPlain()}

# generated/

Everything here is produced from \`specs/\` by \`effnet generate\` (\`npx effnet generate\`; in this repository \`npm run generate\`) and committed.
CI runs \`effnet generate --check\`, which fails when a file here is missing, stale or no longer produced.

Per family: \`README.md\` (variant summary), \`architecture.svg\` (each variant's stages) and \`scaling.svg\`
(parameters, MACs and multipliers across variants); per variant \`<family>/<variant>/\`:

- \`report.md\`, \`report.json\`: parameters, MACs, FLOPs and activation memory per layer and stage;
- \`network.ts\`: the variant's \`metadata\` and its layers, a function per stage, as data both model
  modules below import and run;
- \`model.tfjs.ts\`: a typed TensorFlow.js module (imports \`@tensorflow/tfjs-node-gpu\`, or what
  \`--tfjs-module\` names, and the runtime \`effnet/runtime/tfjs\`): \`metadata\`, \`createModel()\`
  (a trainable tf.LayersModel, NHWC), \`createInference(weights)\` (plain ops, BatchNorm folded) and
  \`loadWeights(bytes, 'torchvision' | 'timm')\` for safetensors and \`.pth\` checkpoints;
- \`model.wgsl.ts\`: the network as WebGPU compute shaders (WGSL string constants, one per
  distinct layer shape) with a typed host from \`effnet/runtime/wgsl\`: \`metadata\`, \`program\`,
  \`createModel(device, weights)\` → \`{ run(nhwc, batch), dispose() }\` and \`loadWeights\`.
`,
};
