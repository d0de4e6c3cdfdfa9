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
import type { GenerateOptions } from './targets.js';

export { ownedBy, specFiles, TARGETS, type GenerateOptions, type Target } from './targets.js';

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
- \`model.tfjs.ts\`: a typed TensorFlow.js module (imports \`@tensorflow/tfjs\`, or what
  \`--tfjs-module\` names, and the runtime \`effnet/runtime/tfjs\`): \`metadata\`, \`createModel()\`
  (a trainable tf.LayersModel, NHWC), \`createInference(weights)\` (plain ops, BatchNorm folded) and
  \`loadWeights(bytes, 'torchvision' | 'timm')\` for safetensors and \`.pth\` checkpoints;
- \`model.wgsl.ts\`: the network on WebGPU through the runtime \`effnet/runtime/wgsl\`, which plans the
  dispatches and makes their WGSL at load for the size asked: \`metadata\`,
  \`createModel(device, weights, { height, width })\` → \`{ run(nhwc, batch), dispose() }\` and \`loadWeights\`.
`,
};
