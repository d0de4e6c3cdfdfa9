import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { compileFile } from '../src/compile/compile.js';
import { bindVariantWeights } from '../src/onnx/bind.js';
import { exportOnnx } from '../src/onnx/export.js';
import { bundlePage } from './browser/bundle.js';
import { servePage } from './browser/serve.js';
import { load, maxAbsDiff, stats } from './shared.js';

// effnet's WGSL b0 @224, batch 1, against the engines a browser user would pick instead, in one
// headless Chromium on one WebGPU adapter (SwiftShader on a machine without a GPU), same weights
// (the b0 fixture): ONNX Runtime Web on effnet's ONNX export with the `webgpu` provider and the
// `wasm` provider (1 thread, and as many as the page has cores: the page is cross-origin isolated),
// and the generated tfjs inference on tfjs-backend-webgpu. Rounds interleave the engines; each
// time is one inference from the host's input to logits on the host. The first run of each
// (pipelines compile) is not timed: its logits are compared, engine against engine.

const SPEC = join('specs', 'efficientnet.effnet');
const FIXTURE = join('test', 'fixtures', 'b0');
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
/** Engines must agree this closely (max |Δlogit|). */
const TOLERANCE = 1e-3;
const r3 = (x: number) => Number(x.toFixed(3));

let started = performance.now();
/** Progress on stderr (the JSON goes to stdout): what runs, seconds since the start. */
const progress = (what: string) => process.stderr.write(`bench:browser ${((performance.now() - started) / 1000).toFixed(1)} s: ${what}\n`);

interface PageInfo {
  adapter: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean } | null;
  fastPath: { backend: string; reason: string };
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
  threads: number;
  loadMs: Record<string, number>;
}

async function openPage(browser: Browser, url: string): Promise<{ page: Page; info: PageInfo }> {
  const page = await browser.newPage();
  const said: string[] = [];
  page.on('console', (m) => said.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => said.push(`pageerror: ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => 'benchReady' in globalThis || 'benchError' in globalThis, null, { timeout: 300_000 });
  const error = await page.evaluate(() => (globalThis as { benchError?: string }).benchError);
  if (error !== undefined) throw new Error(`the bench page failed: ${error}\n${said.join('\n')}`);
  const info = await page.evaluate(() => {
    const { run: _, ...rest } = (globalThis as unknown as { bench: PageInfo & { run: unknown } }).bench;
    return rest;
  });
  return { page, info };
}

const runOnce = (page: Page, engine: string, withLogits: boolean) =>
  page.evaluate(([e, l]) => (globalThis as unknown as { bench: { run(e: string, l: boolean): Promise<{ ms: number; logits?: number[] }> } }).bench.run(e, l), [engine, withLogits] as const);

export interface BrowserBenchOptions {
  /** Also tfjs-backend-webgpu (the generated tfjs inference): on SwiftShader it adds ~2 minutes (its first run compiles ~100 s of shaders). */
  tfjsWebgpu?: boolean;
}

export async function benchBrowser(rounds: number, options: BrowserBenchOptions = {}) {
  started = performance.now();
  const loadBefore = load();
  const g = compileFile(SPEC, { variants: ['b0'] }).graphs[0]!;
  const weights = readFileSync(join(FIXTURE, 'weights.safetensors'));
  const onnx = exportOnnx(g, bindVariantWeights(g, weights, 'torchvision'), { height: 224, width: 224 }).bytes;
  const input = readFileSync(join(FIXTURE, 'input.f32'));
  const expectedBytes = Uint8Array.from(readFileSync(join(FIXTURE, 'logits.f32')));
  const expected = new Float32Array(expectedBytes.buffer);
  progress('compiled, exported ONNX; bundling the page');
  const bundle = await bundlePage(g, SPEC, process.cwd());
  const files = new Map<string, string | Uint8Array>([
    ['/', '<!doctype html><meta charset="utf-8"><title>effnet browser bench</title><script type="module" src="/page.js"></script>'],
    ['/page.js', bundle.script],
    ['/b0.onnx', onnx],
    ['/weights.safetensors', weights],
    ['/input.f32', input],
  ]);
  const server = await servePage(files, join('node_modules', 'onnxruntime-web', 'dist'));
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  try {
    progress('pages loading (engines build their pipelines)');
    const main = await openPage(browser, `${server.url}?engines=${['wgsl', 'ort-webgpu', ...(options.tfjsWebgpu ? ['tfjs-webgpu'] : [])].join(',')}&threads=1`);
    // ONNX Runtime Web fixes its thread count at its first session: one page per count.
    const wasm1 = await openPage(browser, `${server.url}?engines=ort-wasm&threads=1`);
    const threads = wasm1.info.hardwareConcurrency;
    const threaded = wasm1.info.crossOriginIsolated && threads > 1 ? await openPage(browser, `${server.url}?engines=ort-wasm&threads=${threads}`) : undefined;
    const engines: { key: string; page: Page; engine: string }[] = [
      { key: 'effnetWgsl', page: main.page, engine: 'wgsl' },
      { key: 'ortWebgpu', page: main.page, engine: 'ort-webgpu' },
      { key: 'ortWasm1Thread', page: wasm1.page, engine: 'ort-wasm' },
      ...(threaded ? [{ key: `ortWasm${threads}Threads`, page: threaded.page, engine: 'ort-wasm' }] : []),
      ...(options.tfjsWebgpu ? [{ key: 'tfjsWebgpu', page: main.page, engine: 'tfjs-webgpu' }] : []),
    ];
    const logits: Record<string, number[]> = {};
    for (const e of engines) {
      progress(`warm-up ${e.key}`);
      logits[e.key] = (await runOnce(e.page, e.engine, true)).logits!;
    }
    const times: Record<string, number[]> = Object.fromEntries(engines.map((e) => [e.key, []]));
    for (let i = 0; i < rounds; i++) {
      progress(`round ${i + 1} of ${rounds}`);
      for (const e of engines) times[e.key]!.push((await runOnce(e.page, e.engine, false)).ms);
    }

    const medians = Object.fromEntries(engines.map((e) => [e.key, stats(times[e.key]!)]));
    const m = (key: string) => medians[key]!.medianMs;
    // The wasm goal holds on a real GPU: where the runtime's own chooseBackend would pick WebGPU.
    const gpu = main.info.fastPath.backend === 'webgpu';
    const ratio = (num: string, den: string) => r3(m(num) / m(den));
    const vsWasm = (key: string) => ({
      ratio: ratio('effnetWgsl', key),
      goal: '< 1 on a real GPU only',
      applies: gpu,
      met: gpu ? m('effnetWgsl') < m(key) : null,
    });
    const diffs = Object.fromEntries(engines.map((e) => [e.key, { vsEffnetWgsl: Number(maxAbsDiff(logits[e.key]!, logits.effnetWgsl!).toExponential(2)), vsTorchvision: Number(maxAbsDiff(logits[e.key]!, expected).toExponential(2)) }]));
    const worst = Math.max(...Object.values(diffs).map((d) => d.vsEffnetWgsl));
    return {
      what: 'efficientnet b0 @224, batch 1, fixture weights: effnet WGSL vs onnxruntime-web (webgpu, wasm) on effnet\'s ONNX export vs tfjs-backend-webgpu, one headless Chromium, one adapter, interleaved rounds, ms from host input to host logits',
      browser: `Chromium ${browser.version()}`,
      adapter: main.info.adapter,
      crossOriginIsolated: wasm1.info.crossOriginIsolated,
      hardwareConcurrency: threads,
      wasmThreads: threaded ? [1, threads] : [1],
      onnxruntimeWeb: 'webgpu: ort.min.mjs (JSEP build); wasm: ort.wasm.min.mjs, one page per thread count; graphOptimizationLevel all',
      fastPath: main.info.fastPath,
      rounds,
      loadMs: { ...main.info.loadMs, 'ort-wasm-1-thread': wasm1.info.loadMs['ort-wasm'], ...(threaded ? { [`ort-wasm-${threads}-threads`]: threaded.info.loadMs['ort-wasm'] } : {}) },
      engines: medians,
      ratios: {
        effnetWgslVsOrtWebgpu: { ratio: ratio('effnetWgsl', 'ortWebgpu'), goal: '<= 0.5', met: m('effnetWgsl') <= 0.5 * m('ortWebgpu') },
        effnetWgslVsOrtWasm1Thread: vsWasm('ortWasm1Thread'),
        ...(threaded ? { [`effnetWgslVsOrtWasm${threads}Threads`]: vsWasm(`ortWasm${threads}Threads`) } : {}),
        ...(options.tfjsWebgpu ? { effnetWgslVsTfjsWebgpu: { ratio: ratio('effnetWgsl', 'tfjsWebgpu') } } : {}),
        ...(threaded ? { [`ortWasm${threads}ThreadsVs1Thread`]: { ratio: ratio(`ortWasm${threads}Threads`, 'ortWasm1Thread') } } : {}),
      },
      logits: { tolerance: TOLERANCE, agree: worst <= TOLERANCE, maxAbsDiffVsEffnetWgsl: Number(worst.toExponential(2)), perEngine: diffs },
      loadavg: { before: loadBefore, after: load() },
    };
  } finally {
    await browser.close();
    await server.close();
    bundle.dispose();
  }
}
