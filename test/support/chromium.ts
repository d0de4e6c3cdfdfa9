import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

// Debian's Chromium, headless, driven by playwright-core, as the browser tests
// launch it: its own throw-away profile (removed on close), no background
// traffic, and — when asked — WebGPU, which on a machine without a GPU runs on
// SwiftShader.

export interface ChromiumOptions {
  /** Turn WebGPU on (`--enable-unsafe-webgpu`). */
  webgpu?: boolean;
  viewport?: { width: number; height: number };
}

export interface Chromium {
  context: BrowserContext;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

export const CHROMIUM_PATH = '/usr/bin/chromium';

const QUIET = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

export async function launchChromium(options: ChromiumOptions = {}): Promise<Chromium> {
  const profile = mkdtempSync(join(tmpdir(), 'effnet-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      ...(options.viewport ? { viewport: options.viewport } : {}),
      args: options.webgpu ? ['--enable-unsafe-webgpu', ...QUIET] : QUIET,
    });
    return {
      context,
      async close() {
        try {
          await context.close();
        } finally {
          rmSync(profile, { recursive: true, force: true });
        }
      },
    };
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
}

/** Waits for a page to set `globalThis.effnetResult` or `effnetError`; returns the result, throwing the error. */
export async function pageResult<T>(context: BrowserContext, url: string, timeoutMs: number): Promise<T> {
  const page = await context.newPage();
  const console: string[] = [];
  page.on('console', (m) => console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => console.push(`pageerror: ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => 'effnetResult' in globalThis || 'effnetError' in globalThis, null, { timeout: timeoutMs });
  const { result, error } = await page.evaluate(() => {
    const g = globalThis as unknown as { effnetResult?: unknown; effnetError?: string };
    return { result: g.effnetResult, error: g.effnetError };
  });
  if (error !== undefined) throw new Error(`the page failed: ${error}\n${console.join('\n')}`);
  return result as T;
}
