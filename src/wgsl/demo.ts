import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VariantGraph } from '../graph/graph.js';
import type { Layout } from '../runtime/checkpoint.js';
import { htmlText, scriptJson } from '../emit/escape.js';
import { emitNetwork } from '../emit/network.js';
import { transpile } from '../emit/typescript.js';
import { emitWgsl } from './emit.js';

// `effnet demo`: one variant's generated WGSL model in a browser. A small
// server on 127.0.0.1 (WebGPU needs a secure context) serves the page, the
// generated module (transpiled), the runtime it imports, the weights and an
// input; the page runs the model with WebGPU and shows the time and top-5.

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

/** The page; every word from the user (spec path, names) is escaped for where it lands. */
export function demoPage(g: VariantGraph, o: DemoOptions): string {
  const name = htmlText(`${g.family} ${g.variant}`);
  return `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>effnet demo: ${name}</title>
<style>body{font:15px system-ui,sans-serif;margin:2em;max-width:46em}code,pre{font:13px ui-monospace,monospace}td{padding:0 1em 0 0}</style>
<h1>${name}</h1>
<p>The WGSL model effnet generated from <code>${htmlText(o.spec)}</code>: ${g.resolution}×${g.resolution} input of ${g.input[0]} channels, ${g.classes} classes, batch ${o.batch}.</p>
<p id="status">starting…</p>
<table id="top5"></table>
<script type="module">
import * as model from './model.js';
const status = document.getElementById('status');
try {
  if (!navigator.gpu) throw new Error('this browser has no WebGPU (navigator.gpu is missing)');
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter');
  const names = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupsPerDimension'];
  const device = await adapter.requestDevice({ requiredLimits: Object.fromEntries(names.map((n) => [n, adapter.limits[n]])) });
  const weights = model.loadWeights(new Uint8Array(await (await fetch('./weights.safetensors')).arrayBuffer()), ${scriptJson(o.layout)});
  const input = new Float32Array(await (await fetch('./input.f32')).arrayBuffer());
  const net = await model.createModel(device, weights);
  await net.run(input, ${scriptJson(o.batch)}); // pipelines compile on first use
  const t0 = performance.now();
  const logits = await net.run(input, ${scriptJson(o.batch)});
  const ms = performance.now() - t0;
  const first = Array.from(logits.subarray(0, ${scriptJson(g.classes)}));
  const top5 = first.map((v, i) => [i, v]).sort((a, b) => b[1] - a[1]).slice(0, 5);
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'WebGPU';
  status.textContent = \`\${ms.toFixed(1)} ms per run on \${name}, \${net.dispatches} dispatches; top-5 of image 0:\`;
  document.getElementById('top5').innerHTML = top5.map(([i, v]) => \`<tr><td>class \${i}</td><td>\${v.toFixed(4)}</td></tr>\`).join('');
  window.effnetResult = { logits: Array.from(logits), ms, top5, adapter: name };
} catch (e) {
  status.textContent = 'failed: ' + e.message;
  window.effnetError = String(e.message ?? e);
}
</script>
</html>
`;
}

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
export async function serveDemo(g: VariantGraph, o: DemoOptions, port?: number): Promise<{ server: Server; url: string; port: number }> {
  const modelJs = transpile(await emitWgsl(g, { spec: o.spec, runtimeModule: './runtime/wgsl.js' }));
  const networkJs = transpile(await emitNetwork(g, { spec: o.spec }));
  const files = new Map<string, { type: string; body: string | Uint8Array }>([
    ['/', { type: 'text/html; charset=utf-8', body: demoPage(g, o) }],
    ['/model.js', { type: 'text/javascript', body: modelJs }],
    ['/network.js', { type: 'text/javascript', body: networkJs }],
    ['/weights.safetensors', { type: 'application/octet-stream', body: o.weights }],
    ['/input.f32', { type: 'application/octet-stream', body: new Uint8Array(o.input.buffer, o.input.byteOffset, o.input.byteLength) }],
  ]);
  let actual = 0; // set once listening, before any request can arrive
  const server = createServer((req, res) => {
    const plain = (status: number, text: string) => res.writeHead(status, { 'content-type': 'text/plain', 'x-content-type-options': 'nosniff' }).end(text);
    if (!allowedHost(req.headers.host, actual)) return plain(403, `effnet demo answers only http://127.0.0.1:${actual}/ and http://localhost:${actual}/\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(405, 'method not allowed\n');
    const path = (req.url ?? '/').split('?')[0]!;
    let file = files.get(path);
    // The runtime's own modules, as built: wgsl.js and what it imports.
    const m = /^\/runtime\/([\w-]+\.js)$/.exec(path);
    if (!file && m) {
      try {
        file = { type: 'text/javascript', body: readFileSync(join(RUNTIME_DIR, m[1]!)) };
      } catch {
        file = undefined;
      }
    }
    if (!file) return plain(404, 'not found\n');
    res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }).end(file.body);
  });
  try {
    await listen(server, port ?? DEFAULT_DEMO_PORT);
  } catch (e) {
    if (port !== undefined || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    await listen(server, 0);
  }
  const address = server.address();
  actual = typeof address === 'object' && address ? address.port : (port ?? DEFAULT_DEMO_PORT);
  return { server, url: `http://127.0.0.1:${actual}/`, port: actual };
}
