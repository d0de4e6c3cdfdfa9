import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VariantGraph } from '../graph/graph.js';
import type { Layout } from '../runtime/checkpoint.js';
import { htmlText, scriptJson } from '../emit/escape.js';
import { emitNetwork } from '../emit/network.js';
import { transpile } from '../emit/typescript.js';
import { emitWgsl } from './emit.js';
import { bindVariantWeights } from '../onnx/bind.js';
import { exportOnnx } from '../onnx/export.js';

// `effnet demo`: one variant's generated WGSL model in a browser. A small
// server on 127.0.0.1 (WebGPU needs a secure context) serves the page, the
// generated module (transpiled), the runtime it imports, the weights and an
// input; the page runs the model with WebGPU and shows the time and top-5.
// A picture picked or dropped on the page is decoded by the browser and goes
// through the model's own `preprocess`; its top-5 are shown by name.

export interface DemoOptions {
  spec: string;
  /** safetensors bytes and their layout. */
  weights: Uint8Array;
  layout: Layout;
  /** NHWC float32 images. */
  input: Float32Array;
  batch: number;
}

const RUNTIME_DIR = fileURLToPath(new URL('../runtime/', import.meta.url));

/**
 * Packages the runtime imports by name (`fflate`, which reads .pth checkpoints): served as
 * `/vendor/<name>.js`, their browser builds, read where Node resolves them; the runtime's
 * modules are served with those imports pointed there (as dev servers rewrite bare imports).
 */
const VENDOR = new Map([['fflate', 'fflate/browser']]);
const BARE_IMPORT = /(\bfrom\s*)(['"])([^'"./][^'"]*)\2/g;
/** `up`: the path back to the site root from the module's folder (`../` from /runtime/, `../../` from /runtime/kernels/). */
const pointToVendor = (js: string, up: string): string => js.replace(BARE_IMPORT, (all, from: string, q: string, name: string) => (VENDOR.has(name) ? `${from}${q}${up}vendor/${name}.js${q}` : all));
function vendorFile(name: string): Uint8Array | undefined {
  const specifier = VENDOR.get(name);
  if (specifier === undefined) return undefined;
  try {
    return readFileSync(fileURLToPath(import.meta.resolve(specifier)));
  } catch {
    return undefined;
  }
}

/** onnxruntime-web's dist folder (the CPU path's engine), or undefined when it is not installed: an optional peer. */
function ortDist(): string | undefined {
  try {
    return dirname(fileURLToPath(import.meta.resolve('onnxruntime-web/wasm')));
  } catch {
    return undefined;
  }
}

/** ONNX Runtime Web's files the page's CPU path loads (the wasm-only build: no WebGPU provider, half the .wasm). */
const ORT_FILES = new Map([
  ['ort.wasm.min.mjs', 'text/javascript'],
  ['ort-wasm-simd-threaded.mjs', 'text/javascript'],
  ['ort-wasm-simd-threaded.wasm', 'application/wasm'],
]);

/** The CPU path: the variant as ONNX (same weights) and where ONNX Runtime Web lives, or why there is none. */
export type CpuPath = { onnx: Uint8Array; ortDir: string } | { missing: string };

export function cpuPath(g: VariantGraph, o: DemoOptions): CpuPath {
  const ortDir = ortDist();
  if (ortDir === undefined) return { missing: 'onnxruntime-web is not installed (npm install onnxruntime-web)' };
  try {
    return { onnx: exportOnnx(g, bindVariantWeights(g, o.weights, o.layout)).bytes, ortDir };
  } catch (e) {
    return { missing: `${g.family} ${g.variant} does not export to ONNX: ${(e as Error).message}` };
  }
}

/** The page; every word from the user (spec path, names) is escaped for where it lands. */
export function demoPage(g: VariantGraph, o: DemoOptions, cpu: CpuPath): string {
  const name = htmlText(`${g.family} ${g.variant}`);
  return `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>effnet demo: ${name}</title>
<style>body{font:15px system-ui,sans-serif;margin:2em;max-width:46em}code,pre{font:13px ui-monospace,monospace}td{padding:0 1em 0 0}#drop{border:2px dashed #999;border-radius:6px;padding:1em;margin:1em 0}#drop.over{border-color:#06c;background:#eef5ff}</style>
<h1>${name}</h1>
<p>The WGSL model effnet generated from <code>${htmlText(o.spec)}</code>: ${g.resolution}×${g.resolution} input of ${g.input[0]} channels, ${g.classes} classes, batch ${o.batch}.</p>
<p id="status">starting…</p>
<p id="backend"></p>
<label><input type="checkbox" id="force-webgpu"> run the WGSL model on WebGPU even without a GPU (a software adapter)</label>
<table id="top5"></table>
<div id="drop" hidden>
<label>Classify a picture: <input type="file" id="file" accept="image/png,image/jpeg,image/*"></label> or drop one here.
<p id="image-status"></p>
<table id="image-top5"></table>
</div>
<script type="module">
import * as model from './model.js';
import { chooseBackend, forcedBackend } from './runtime/fast-path.js';
const status = document.getElementById('status');
/** Why the server offers no CPU path (null: it does: /model.onnx and /ort/). */
const CPU_MISSING = ${scriptJson('missing' in cpu ? cpu.missing : null)};
const [HEIGHT, WIDTH, CHANNELS] = ${scriptJson([g.resolution, g.resolution, g.input[0]])};
/** Rows of top-5 predictions, written as text: names never become markup. */
function showTop(table, top) {
  table.replaceChildren(...top.map((p) => {
    const row = document.createElement('tr');
    for (const text of [p.label, p.probability.toFixed(4)]) row.appendChild(document.createElement('td')).textContent = text;
    return row;
  }));
}

const forced = forcedBackend(location.search);
const force = document.getElementById('force-webgpu');
force.checked = forced === 'webgpu';
force.addEventListener('change', () => {
  const query = new URLSearchParams(location.search);
  if (force.checked) query.set('backend', 'webgpu');
  else query.delete('backend');
  location.search = query.toString();
});

/** The WGSL model on the adapter chooseBackend looked at (an adapter hands out one device). */
async function wgslEngine(adapter) {
  const names = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupsPerDimension'];
  const device = await adapter.requestDevice({ requiredLimits: Object.fromEntries(names.map((n) => [n, adapter.limits[n]])) });
  const net = await model.createModel(device, model.loadWeights(new Uint8Array(await (await fetch('./weights.safetensors')).arrayBuffer()), ${scriptJson(o.layout)}));
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'WebGPU';
  return { run: (x, batch) => net.run(x, batch), where: (ms) => \`\${ms.toFixed(1)} ms per run on \${name}, \${net.dispatches} dispatches\`, adapter: name };
}

/** effnet's ONNX export of the same variant and weights on ONNX Runtime Web's wasm provider; it takes NCHW. */
async function cpuEngine() {
  const ort = await import('./ort/ort.wasm.min.mjs');
  ort.env.wasm.wasmPaths = new URL('./ort/', location.href).href;
  const session = await ort.InferenceSession.create('./model.onnx', { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const threads = ort.env.wasm.numThreads || 1;
  const plane = HEIGHT * WIDTH;
  return {
    run: async (nhwc, batch) => {
      const nchw = new Float32Array(nhwc.length);
      for (let n = 0; n < batch; n++) for (let p = 0; p < plane; p++) for (let c = 0; c < CHANNELS; c++) nchw[(n * CHANNELS + c) * plane + p] = nhwc[(n * plane + p) * CHANNELS + c];
      const out = await session.run({ input: new ort.Tensor('float32', nchw, [batch, CHANNELS, HEIGHT, WIDTH]) });
      return out.logits.data;
    },
    where: (ms) => \`\${ms.toFixed(1)} ms per run on the CPU (ONNX Runtime Web wasm, \${threads} thread\${threads === 1 ? '' : 's'})\`,
    adapter: 'cpu',
  };
}

try {
  const choice = await chooseBackend({ force: forced });
  let net;
  let said;
  if (choice.backend === 'cpu' && CPU_MISSING === null) {
    net = await cpuEngine();
    said = \`CPU path: \${choice.reason}\`;
  } else {
    // WebGPU was chosen or forced, or there is no CPU path to take: the WGSL model on whatever adapter there is.
    if (!choice.adapter) throw new Error(CPU_MISSING === null ? choice.reason : \`\${choice.reason}; and no CPU path: \${CPU_MISSING}\`);
    net = await wgslEngine(choice.adapter);
    said = choice.backend === 'webgpu' ? \`WebGPU: \${choice.reason}\` : \`WebGPU, though \${choice.reason.replace(/: the CPU path is faster$/, '')}: no CPU path (\${CPU_MISSING})\`;
  }
  document.getElementById('backend').textContent = said;
  const input = new Float32Array(await (await fetch('./input.f32')).arrayBuffer());
  await net.run(input, ${scriptJson(o.batch)}); // pipelines compile / the session warms up on first use
  const t0 = performance.now();
  const logits = await net.run(input, ${scriptJson(o.batch)});
  const ms = performance.now() - t0;
  const top5 = model.topK(logits, 5);
  status.textContent = \`\${net.where(ms)}; top-5 of image 0:\`;
  showTop(document.getElementById('top5'), top5);
  window.effnetResult = { logits: Array.from(logits), ms, top5, adapter: net.adapter, backend: net.adapter === 'cpu' ? 'cpu' : 'webgpu', reason: said };
  if (model.preprocess) pictures(net);
} catch (e) {
  status.textContent = 'failed: ' + e.message;
  window.effnetError = String(e.message ?? e);
}

/** The picker and drop zone: the browser decodes the file; the model's preprocess makes it the input. */
function pictures(net) {
  const drop = document.getElementById('drop');
  const said = document.getElementById('image-status');
  drop.hidden = false;
  async function classify(file) {
    if (!file) return;
    said.textContent = \`\${file.name}: …\`;
    try {
      // The file's own pixels: no colour-profile conversion, no premultiplied alpha.
      const bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
      const canvas = document.createElement('canvas');
      canvas.width = bitmap.width;
      canvas.height = bitmap.height;
      const context = canvas.getContext('2d', { willReadFrequently: true });
      context.drawImage(bitmap, 0, 0);
      const pixels = context.getImageData(0, 0, bitmap.width, bitmap.height);
      const t0 = performance.now();
      const logits = await net.run(model.preprocess(pixels), 1);
      const ms = performance.now() - t0;
      const top5 = model.topK(logits, 5);
      said.textContent = \`\${file.name} (\${bitmap.width}×\${bitmap.height}), \${ms.toFixed(1)} ms; top-5:\`;
      showTop(document.getElementById('image-top5'), top5);
      window.effnetImageResult = { name: file.name, width: bitmap.width, height: bitmap.height, ms, top5 };
    } catch (e) {
      said.textContent = \`\${file.name}: failed: \${e.message ?? e}\`;
      window.effnetImageError = String(e.message ?? e);
    }
  }
  document.getElementById('file').addEventListener('change', (e) => classify(e.target.files[0]));
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); classify(e.dataTransfer.files[0]); });
}
</script>
</html>
`;
}

/** Cross-origin isolation: SharedArrayBuffer, so ONNX Runtime Web's wasm provider can run threads. */
const ISOLATED = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

/** The port `effnet demo` tries first when none is given; when it is busy, any free one. */
export const DEFAULT_DEMO_PORT = 8080;

/**
 * Whether a request's Host header names this server: 127.0.0.1, localhost or
 * [::1] with its port. A DNS-rebinding page reaches 127.0.0.1 under its own
 * name; answering it would hand the user's weights to that site.
 */
export function allowedHost(host: string | undefined, port: number): boolean {
  if (host === undefined) return false;
  const h = host.toLowerCase();
  return ['127.0.0.1', 'localhost', '[::1]'].some((name) => h === `${name}:${port}` || (port === 80 && h === name));
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (e: Error) => reject(e);
    server.once('error', failed);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', failed);
      resolve();
    });
  });
}

/**
 * Serves the demo on 127.0.0.1:`port` (0: any free port; undefined: 8080, or
 * any free one when 8080 is busy); resolves once listening. A port in use
 * rejects with the listen error (`code` EADDRINUSE).
 */
export async function serveDemo(g: VariantGraph, o: DemoOptions, port?: number): Promise<{ server: Server; url: string; port: number; cpu: CpuPath }> {
  const cpu = cpuPath(g, o);
  const modelJs = transpile(await emitWgsl(g, { spec: o.spec, runtimeModule: './runtime/wgsl.js' }));
  const networkJs = transpile(await emitNetwork(g, { spec: o.spec }));
  const files = new Map<string, { type: string; body: string | Uint8Array }>([
    ['/', { type: 'text/html; charset=utf-8', body: demoPage(g, o, cpu) }],
    ['/model.js', { type: 'text/javascript', body: modelJs }],
    ['/network.js', { type: 'text/javascript', body: networkJs }],
    ['/weights.safetensors', { type: 'application/octet-stream', body: o.weights }],
    ['/input.f32', { type: 'application/octet-stream', body: new Uint8Array(o.input.buffer, o.input.byteOffset, o.input.byteLength) }],
    ...('onnx' in cpu ? [['/model.onnx', { type: 'application/octet-stream', body: cpu.onnx }] as const] : []),
  ]);
  let actual = 0; // set once listening, before any request can arrive
  const server = createServer((req, res) => {
    const plain = (status: number, text: string) => res.writeHead(status, { 'content-type': 'text/plain', 'x-content-type-options': 'nosniff', ...ISOLATED }).end(text);
    if (!allowedHost(req.headers.host, actual)) return plain(403, `effnet demo answers only http://127.0.0.1:${actual}/ and http://localhost:${actual}/\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(405, 'method not allowed\n');
    const path = (req.url ?? '/').split('?')[0]!;
    let file = files.get(path);
    // The runtime's own modules, as built: wgsl.js and what it imports (kernels/ one folder down; names without dots, so no way out).
    const m = /^\/runtime\/((?:[\w-]+\/)?)([\w-]+\.js)$/.exec(path);
    if (!file && m) {
      try {
        file = { type: 'text/javascript', body: pointToVendor(readFileSync(join(RUNTIME_DIR, m[1]!, m[2]!), 'utf8'), m[1] ? '../../' : '../') };
      } catch {
        file = undefined;
      }
    }
    const vendor = /^\/vendor\/([\w-]+)\.js$/.exec(path);
    const vendored = vendor ? vendorFile(vendor[1]!) : undefined;
    if (!file && vendored) file = { type: 'text/javascript', body: vendored };
    const ortFile = /^\/ort\/([\w.-]+)$/.exec(path)?.[1];
    if (!file && ortFile !== undefined && 'ortDir' in cpu && ORT_FILES.has(ortFile)) {
      try {
        file = { type: ORT_FILES.get(ortFile)!, body: readFileSync(join(cpu.ortDir, ortFile)) };
      } catch {
        file = undefined;
      }
    }
    if (!file) return plain(404, 'not found\n');
    res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...ISOLATED }).end(file.body);
  });
  try {
    await listen(server, port ?? DEFAULT_DEMO_PORT);
  } catch (e) {
    if (port !== undefined || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    await listen(server, 0);
  }
  const address = server.address();
  actual = typeof address === 'object' && address ? address.port : (port ?? DEFAULT_DEMO_PORT);
  return { server, url: `http://127.0.0.1:${actual}/`, port: actual, cpu };
}
