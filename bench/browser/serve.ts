import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';

// The bench's page server on 127.0.0.1 (a secure context: WebGPU needs one). Every answer
// carries COOP same-origin and COEP require-corp, so the page is cross-origin isolated:
// SharedArrayBuffer exists and ONNX Runtime Web's wasm provider can run threads.
// /ort/<file> serves onnxruntime-web's dist folder as shipped (ort.env.wasm.wasmPaths = '/ort/').

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
};

const ISOLATED = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};

export interface PageServer {
  url: string;
  close(): Promise<void>;
}

/** `files`: path → body; `ortDir`: onnxruntime-web's dist folder. */
export async function servePage(files: Map<string, string | Uint8Array>, ortDir: string): Promise<PageServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const ort = /^\/ort\/([\w.-]+\.(?:mjs|wasm))$/.exec(path);
    let body = files.get(path);
    if (body === undefined && ort) {
      try {
        body = readFileSync(join(ortDir, ort[1]!));
      } catch {
        body = undefined;
      }
    }
    if (body === undefined) return res.writeHead(404, { 'content-type': 'text/plain', 'cache-control': 'no-store', ...ISOLATED }).end('not found\n');
    const ext = /\.\w+$/.exec(path)?.[0] ?? '.html';
    // ONNX Runtime's files may be cached: each wasm page then reuses the compiled .wasm, as a user's second visit would.
    const cache = ort ? 'max-age=3600' : 'no-store';
    res.writeHead(200, { 'content-type': TYPES[ext] ?? 'application/octet-stream', 'cache-control': cache, ...ISOLATED }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the bench server has no port');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
