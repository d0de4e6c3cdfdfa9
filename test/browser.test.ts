import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/chromium.js';
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
    const chromium = await launchChromium({ webgpu: true });
    const browser = chromium.context;
    try {
      const page = await browser.newPage();
      await page.goto(url + '?backend=webgpu');
      await page.waitForFunction(() => 'effnetResult' in globalThis || 'effnetError' in globalThis, null, { timeout: 120_000 });
      const error = await page.evaluate(() => (globalThis as unknown as { effnetError?: string }).effnetError);
      expect(error).toBeUndefined();
      const result = await page.evaluate(() => (globalThis as unknown as { effnetResult: { logits: number[]; ms: number; adapter: string } }).effnetResult);
      expect(result.adapter).toMatch(/swiftshader/i);
      expect((result as unknown as { backend: string }).backend).toBe('webgpu');
      expect(await page.textContent('#backend')).toBe('WebGPU: WebGPU was asked for: running on google swiftshader');
      expect(result.logits).toHaveLength(2000);
      expect(maxAbsDiff(result.logits, readF32(join(narrow, 'logits.f32')))).toBeLessThan(1e-4);
      expect(await page.textContent('#status')).toMatch(/^[\d.]+ ms per run on .*swiftshader.*, 53 dispatches; top-5 of image 0:$/);
      expect(await page.locator('#top5 tr').count()).toBe(5);
      const cpuPage = await browser.newPage();
      await cpuPage.goto(url);
      await cpuPage.waitForFunction(() => 'effnetResult' in globalThis || 'effnetError' in globalThis, null, { timeout: 120_000 });
      expect(await cpuPage.evaluate(() => (globalThis as unknown as { effnetError?: string }).effnetError)).toBeUndefined();
      const cpu = await cpuPage.evaluate(() => (globalThis as unknown as { effnetResult: { logits: number[]; backend: string } }).effnetResult);
      expect(cpu.backend).toBe('cpu');
      expect(maxAbsDiff(cpu.logits, readF32(join(narrow, 'logits.f32')))).toBeLessThan(1e-4);
      expect(await cpuPage.textContent('#backend')).toBe('CPU path: the WebGPU adapter, google swiftshader, is a fallback adapter (isFallbackAdapter): the CPU path is faster');
      expect(await cpuPage.textContent('#status')).toMatch(/^[\d.]+ ms per run on the CPU \(ONNX Runtime Web wasm, \d+ threads?\); top-5 of image 0:$/);
      expect(await cpuPage.isChecked('#force-webgpu')).toBe(false);
    } finally {
      await chromium.close();
    }
  }, 300_000);
});
