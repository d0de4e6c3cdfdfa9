import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { maxAbsDiff, readF32, root } from './support/tfjs.js';

// `effnet demo` in a real browser: Debian's Chromium, headless, WebGPU on
// SwiftShader, driven by playwright-core. The page runs the generated WGSL
// model on the narrow fixture; its logits must be torchvision's.

const narrow = join(root, 'test/fixtures/narrow');
let server: ChildProcess | undefined;
afterAll(() => server?.kill('SIGTERM'));

function startDemo(args: string[]): Promise<string> {
  server = spawn(process.execPath, [join(root, 'dist/src/cli/main.js'), 'demo', ...args, '--port', '0'], { cwd: root });
  return new Promise((resolve, reject) => {
    let out = '';
    server!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];
      if (url) resolve(url);
    });
    server!.on('exit', (code) => reject(new Error(`effnet demo exited with ${code}: ${out}`)));
  });
}

describe('effnet demo in headless Chromium (WebGPU, SwiftShader)', () => {
  it('runs the WGSL model, shows time and top-5, and computes torchvision\'s logits within 1e-4', async () => {
    const url = await startDemo([join(narrow, 'narrow.effnet'), '--variant', 'narrow', '--weights', join(narrow, 'weights.safetensors'), '--input', join(narrow, 'input.f32'), '--shape', '2,3,64,64']);
    const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'effnet-chromium-')), {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(url);
      await page.waitForFunction(() => 'effnetResult' in globalThis || 'effnetError' in globalThis, null, { timeout: 120_000 });
      const error = await page.evaluate(() => (globalThis as unknown as { effnetError?: string }).effnetError);
      expect(error).toBeUndefined();
      const result = await page.evaluate(() => (globalThis as unknown as { effnetResult: { logits: number[]; ms: number; adapter: string } }).effnetResult);
      expect(result.adapter).toMatch(/swiftshader/i);
      expect(result.logits).toHaveLength(2000);
      expect(maxAbsDiff(result.logits, readF32(join(narrow, 'logits.f32')))).toBeLessThan(1e-4);
      expect(await page.textContent('#status')).toMatch(/^[\d.]+ ms per run on .*swiftshader.*, 53 dispatches; top-5 of image 0:$/);
      expect(await page.locator('#top5 tr').count()).toBe(5);
    } finally {
      await browser.close();
    }
  }, 300_000);
});
