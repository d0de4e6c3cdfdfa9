import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { compileSource } from '../src/compile/compile.js';
import { htmlText } from '../src/emit/escape.js';
import type { VariantGraph } from '../src/graph/graph.js';
import { randomCheckpoint } from '../src/weights/random.js';
import { allowedHost, DEFAULT_DEMO_PORT, serveDemo } from '../src/wgsl/demo.js';

// Issue 14 item 10: `effnet demo` serves only to its own loopback name (a
// DNS-rebinding page gets nothing), escapes its page, says what to do about a
// busy port, and picks a free port when none is given.

const root = resolve(import.meta.dirname, '..');
const TINY = `family tiny {
  stem conv k3 s2 c8
  stage mbconv e1 k3 s1 c8 n1 se 0.25
  head conv k1 c32
  variant v { resolution 32 }
}`;
const HOSTILE_SPEC = 'specs/</code><script>globalThis.pwned=1</script>\n<!--.effnet';

const dir = mkdtempSync(join(tmpdir(), 'effnet-demo-'));
const specFile = join(dir, 'tiny.effnet');
writeFileSync(specFile, TINY);

function tinyGraph(): VariantGraph {
  const c = compileSource(TINY, 'tiny.effnet');
  return c.graphs[0]!;
}

/** Listens on 127.0.0.1:port (0: any) and returns the port, or null when it is taken. */
function hold(port: number): Promise<{ server: TcpServer; port: number } | null> {
  const server = createTcpServer();
  return new Promise((done, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? done(null) : fail(e)));
    server.listen(port, '127.0.0.1', () => done({ server, port: (server.address() as { port: number }).port }));
  });
}

/** GET `path` from 127.0.0.1:port with the given Host header. */
function get(port: number, host: string, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => done({ status: res.statusCode!, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

const closing: (Server | TcpServer)[] = [];
afterAll(async () => {
  await Promise.all(closing.map((s) => new Promise((r) => s.close(r))));
  rmSync(dir, { recursive: true, force: true });
});

describe('effnet demo server', () => {
  let port = 0;
  let url = '';
  beforeAll(async () => {
    const g = tinyGraph();
    const served = await serveDemo(g, { spec: HOSTILE_SPEC, weights: randomCheckpoint(g, 'torchvision'), layout: 'torchvision', input: new Float32Array(3 * 32 * 32), batch: 1 }, 0);
    closing.push(served.server);
    port = served.port;
    url = served.url;
  });

  it('answers its own names: 127.0.0.1, localhost and [::1] with its port', async () => {
    expect(url).toBe(`http://127.0.0.1:${port}/`);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      const r = await get(port, host);
      expect(r.status, host).toBe(200);
      expect(r.body).toContain('<!doctype html>');
    }
    // What the page fetches and imports, as a browser at http://127.0.0.1:PORT/ asks for it.
    // (/runtime/*.js is served from the build, dist/src/runtime/, which this in-process server does not run from.)
    for (const path of ['/model.js', '/network.js', '/weights.safetensors', '/input.f32'])
      expect((await get(port, `127.0.0.1:${port}`, path)).status, path).toBe(200);
  });

  it('refuses any other Host (DNS rebinding): 403 and nothing of the page or the weights', async () => {
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1.evil.example:${port}`, `localhost:${port + 1}`, '127.0.0.1', `localhost:${port}.evil`, `[::1]`])
      for (const path of ['/', '/weights.safetensors', '/model.js', '/input.f32', '/runtime/wgsl.js']) {
        const r = await get(port, host, path);
        expect(r.status, `${host} ${path}`).toBe(403);
        expect(r.body).toBe(`effnet demo answers only http://127.0.0.1:${port}/ and http://localhost:${port}/\n`);
      }
  });

  it('refuses a request without a Host header (HTTP/1.0)', async () => {
    const reply = await new Promise<string>((done, fail) => {
      const socket = connect(port, '127.0.0.1', () => socket.end('GET /weights.safetensors HTTP/1.0\r\n\r\n'));
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('end', () => done(text));
      socket.on('error', fail);
    });
    expect(reply.split('\r\n')[0]).toBe('HTTP/1.1 403 Forbidden');
  });

  it('the page shows the spec path escaped: no element or script from it', async () => {
    const page = (await get(port, `127.0.0.1:${port}`)).body;
    expect(page).toContain(`<code>${htmlText(HOSTILE_SPEC)}</code>`);
    expect(page).not.toContain('globalThis.pwned=1</script>');
    expect(page.match(/<script/g)).toHaveLength(1);
    expect(page.match(/<!--/g)).toBeNull();
  });

  it('allowedHost: only the exact loopback name and port', () => {
    expect(allowedHost(undefined, 8080)).toBe(false);
    expect(allowedHost('localhost:8080', 8080)).toBe(true);
    expect(allowedHost('localhost:80801', 8080)).toBe(false);
    expect(allowedHost('localhost', 80)).toBe(true);
    expect(allowedHost('localhost', 8080)).toBe(false);
  });
});

describe('effnet demo ports', () => {
  it('a busy --port is one line naming --port and exit 2, not an internal error', async () => {
    const busy = (await hold(0))!;
    closing.push(busy.server);
    let stdout = '';
    let stderr = '';
    const code = await main(['demo', specFile, '--variant', 'v', '--port', String(busy.port)], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: root, color: false });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`effnet: 127.0.0.1:${busy.port} is already in use; choose another port with --port <n> (--port 0: any free one)\n`);
  });

  it('--port outside 0–65535 or not a number is a usage error', async () => {
    for (const p of ['65536', '-1', '80a', '1e3', '']) {
      let stderr = '';
      const code = await main(['demo', specFile, '--variant', 'v', '--port', p], { stdout: () => {}, stderr: (t) => (stderr += t), cwd: root, color: false });
      expect(code, p).toBe(2);
      expect(stderr).toBe(`effnet: --port takes 0 to 65535, not "${p}"\n`);
    }
  });

  it(`without --port: ${DEFAULT_DEMO_PORT}, or any free port when it is busy`, async () => {
    const g = tinyGraph();
    const o = { spec: 'tiny.effnet', weights: randomCheckpoint(g, 'torchvision'), layout: 'torchvision' as const, input: new Float32Array(3 * 32 * 32), batch: 1 };
    // Hold the default port (or find it held by someone else): the demo must move.
    const held = await hold(DEFAULT_DEMO_PORT);
    if (held) closing.push(held.server);
    const served = await serveDemo(g, o, undefined);
    closing.push(served.server);
    expect(served.port).not.toBe(DEFAULT_DEMO_PORT);
    expect(served.port).toBeGreaterThan(0);
    expect((await get(served.port, `localhost:${served.port}`)).status).toBe(200);
  });

  it('the CLI prints the port it chose when the default was busy', async () => {
    const held = await hold(DEFAULT_DEMO_PORT);
    const child = spawn(process.execPath, [join(root, 'dist/src/cli/main.js'), 'demo', specFile, '--variant', 'v'], { cwd: root });
    try {
      const line = await new Promise<string>((done, fail) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) done(out);
        });
        child.on('exit', (code) => fail(new Error(`effnet demo exited with ${code}: ${out}`)));
      });
      const port = Number(/at http:\/\/127\.0\.0\.1:(\d+)\/ \(port 8080 was busy\)/.exec(line)?.[1]);
      expect(port, line).toBeGreaterThan(0);
      expect(port).not.toBe(DEFAULT_DEMO_PORT);
      for (const path of ['/', '/model.js', '/runtime/wgsl.js']) expect((await get(port, `127.0.0.1:${port}`, path)).status, path).toBe(200);
      expect((await get(port, `rebound.example:${port}`, '/runtime/wgsl.js')).status).toBe(403);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => held?.server.close(r) ?? r(undefined));
    }
  });
});
