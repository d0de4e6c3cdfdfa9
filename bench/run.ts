import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildAst } from '../src/ast/build.js';
import { DiagnosticSink } from '../src/diagnostics/diagnostic.js';
import { buildFamily } from '../src/graph/build.js';
import { lowerFamily } from '../src/ir/lower.js';
import { parseText } from '../src/parser/parse.js';
import { specFiles } from '../src/generate/generate.js';
import { renderReport, reportInput } from '../src/report/report.js';
import { benchBrowser } from './browser.js';
import { benchCompiler } from './compiler.js';
import { benchOnnx } from './onnx.js';
import { benchPictures } from './pictures.js';
import { benchTfjs } from './tfjs.js';
import { benchWgsl } from './wgsl.js';

// `npm run bench`: JSON on stdout. Times each pipeline phase on the shipped
// specs, and how the whole pipeline grows with 1, 10 and 100 variants in one
// spec (ratios against the 1-variant run, measured in the same process), and
// the architecture and scaling SVGs against the report target's whole output, the
// generated tfjs b0's two execution paths against each other and ONNX Runtime for
// Node (1 and 2 threads), the generated WGSL b0 against tfjs-backend-webgpu on the
// same Dawn adapter, effnet's ONNX export of b0 against torchvision's on ONNX Runtime
// (bench/onnx.ts), the WGSL b0 against ONNX Runtime Web (webgpu, wasm) and
// tfjs-backend-webgpu in one headless Chromium (bench/browser.ts), and the
// compiler's cold generate, no-op --check and check as ratios against their goals
// (bench/compiler.ts). The machine's load (1-, 5- and 15-minute averages) is noted
// at the start and the end: figures taken on a busy machine read accordingly.

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function phases(text: string, file: string) {
  const t0 = performance.now();
  const sink = new DiagnosticSink(file);
  const { cst } = parseText(text, sink);
  const ast = buildAst(cst, file);
  const t1 = performance.now();
  const family = lowerFamily(ast.family!, file, sink)!;
  const t2 = performance.now();
  const graphs = buildFamily(family, sink);
  const t3 = performance.now();
  renderReport(reportInput(family.name, file, graphs), 'json');
  renderReport(reportInput(family.name, file, graphs), 'md', { perLayer: true });
  const t4 = performance.now();
  if (sink.hasErrors) throw new Error(`${file} does not compile`);
  return { parse: t1 - t0, lower: t2 - t1, scale: t3 - t2, report: t4 - t3, total: t4 - t0 };
}

function measure(text: string, file: string, runs: number) {
  for (let i = 0; i < 3; i++) phases(text, file); // warm-up: JIT and the parser instance
  const samples = Array.from({ length: runs }, () => phases(text, file));
  const pick = (k: keyof ReturnType<typeof phases>) => Number(median(samples.map((s) => s[k])).toFixed(3));
  return { parseMs: pick('parse'), lowerMs: pick('lower'), scaleMs: pick('scale'), reportMs: pick('report'), totalMs: pick('total') };
}

/** A spec with n b0-like variants of growing resolution. */
function syntheticSpec(n: number): string {
  const base = readFileSync(join('specs', 'efficientnet.effnet'), 'utf8').replace(/^\s*variant .*$/gm, '');
  const variants = Array.from({ length: n }, (_, i) => `  variant v${i} { width 1.0 depth 1.0 resolution ${224 + 8 * (i % 8)} }`).join('\n');
  return base.replace(/\}\s*$/, `${variants}\n}\n`);
}

const loadAtStart = loadavg();
const compiler = benchCompiler(3);
const specs = Object.fromEntries(specFiles('specs').map((f) => [f, measure(readFileSync(f, 'utf8'), f, 15)]));
const growth = Object.fromEntries([1, 10, 100].map((n) => [n, measure(syntheticSpec(n), `synthetic-${n}.effnet`, n === 100 ? 5 : 15)]));
const t1 = growth[1]!.totalMs;
const pictures = await benchPictures(5);
const tfjs = await benchTfjs(20);
const wgsl = await benchWgsl(5);
const onnx = await benchOnnx(30);
// Chromium on its own adapter (SwiftShader here): WGSL against ONNX Runtime Web and tfjs-backend-webgpu.
const browser = await benchBrowser(3, { tfjsWebgpu: true });
console.log(
  JSON.stringify(
    {
      node: process.version,
      machine: { cpus: cpus().length, loadavg: { start: loadAtStart.map((x) => Number(x.toFixed(2))), end: loadavg().map((x) => Number(x.toFixed(2))) } },
      compiler,
      what: 'median ms per phase (parse = lex + parse + AST; lower = AST → IR with checks; scale = variant graphs; report = JSON + per-layer Markdown)',
      specs,
      variantGrowth: {
        ...growth,
        ratio10to1: Number((growth[10]!.totalMs / t1).toFixed(2)),
        ratio100to1: Number((growth[100]!.totalMs / t1).toFixed(2)),
      },
      pictures,
      tfjs,
      wgsl,
      onnx,
      browser,
    },
    null,
    2,
  ),
);
// Dawn keeps the event loop alive.
process.exit(0);
