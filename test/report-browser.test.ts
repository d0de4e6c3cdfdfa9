import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium, type Chromium } from './support/chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileFile } from '../src/compile/compile.js';
import { diffRefs } from '../src/diff/diff.js';
import { renderDiff } from '../src/diff/render.js';
import { renderReport, reportInput } from '../src/report/report.js';
import { architectureSvg, stripLayout } from '../src/report/svg/architecture.js';
import { scalingSvg } from '../src/report/svg/scaling.js';

// The HTML report and the standalone SVGs in a real browser: Debian's Chromium,
// headless, through playwright-core. Opened from file://, the page must load
// nothing else, log no error, and show every strip and chart at a real size.
// Screenshots go to test/.generated/report-html/ (`bash scripts/system-deps.sh`
// installs Chromium where it is missing).

const root = resolve(import.meta.dirname, '..');
const out = join(root, 'test/.generated/report-html');
const spec = 'specs/efficientnet.effnet';
const c = compileFile(join(root, spec));
const family = c.family!.name;
const input = reportInput(family, spec, c.graphs);
// The paper's Table 2 top-1 figures, for the accuracy charts.
const metrics = { b0: 77.1, b1: 79.1, b2: 80.1, b3: 81.6, b4: 82.9, b5: 83.6, b6: 84.0, b7: 84.3 };

let browser: Chromium | undefined;
let context: BrowserContext;
beforeAll(async () => {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `${family}.html`), renderReport(input, 'html', { banner: true, metrics }));
  writeFileSync(join(out, 'architecture.svg'), architectureSvg(c.graphs, { banner: spec }));
  writeFileSync(join(out, 'scaling.svg'), scalingSvg(input.variants, { family, metrics, banner: spec }));
  writeFileSync(join(out, 'diff-b0-edgetpu-s.html'), renderDiff(diffRefs(`${spec}#b0`, 'specs/efficientnet_edgetpu.effnet#s', root), 'html', false));
  browser = await launchChromium({ viewport: { width: 1100, height: 900 } });
  context = browser.context;
}, 120_000);
afterAll(() => browser?.close());

/** Opens `file` from file://, recording every request but the page's own and every console error. */
async function open(file: string): Promise<{ page: Page; requests: string[]; errors: string[] }> {
  const url = pathToFileURL(join(out, file)).href;
  const page = await context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => {
    if (r.url() !== url) requests.push(r.url());
  });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url, { waitUntil: 'load' });
  return { page, requests, errors };
}

describe('the HTML report in headless Chromium, from file://', () => {
  it('loads nothing, logs no error, and shows every variant strip, every chart and the tables', async () => {
    const { page, requests, errors } = await open(`${family}.html`);
    try {
      expect(await page.title()).toBe('efficientnet: cost report');
      for (const g of c.graphs) {
        const strip = page.locator(`figure.strip[data-variant="${g.variant}"]`);
        // One drawn box per stem, block, head and classifier.
        expect(await strip.locator('svg rect').count(), g.variant).toBe(stripLayout(g).boxes.length);
        const box = await strip.locator('svg').boundingBox();
        expect(box!.width, g.variant).toBeGreaterThan(300);
        expect(box!.height, g.variant).toBeGreaterThan(150);
        const section = page.locator(`section.variant[data-variant="${g.variant}"]`);
        for (const chart of ['share', 'liveness']) expect((await section.locator(`figure.${chart} svg`).boundingBox())!.height).toBeGreaterThan(150);
      }
      for (const id of ['chart-cost', 'chart-multipliers', 'chart-accuracy-params', 'chart-accuracy-macs']) {
        const box = await page.locator(`#${id} svg`).boundingBox();
        expect(box!.width, id).toBe(500);
        // A dot per variant and series (params and MACs; width, depth, resolution; top-1 for eight).
        expect(await page.locator(`#${id} svg circle`).count(), id).toBe({ 'chart-cost': 20, 'chart-multipliers': 30 }[id] ?? 8);
      }
      // b0's stage shapes under its strip, as the browser lays the text out.
      const b0Shapes = await page.locator('figure.strip[data-variant="b0"] svg g[aria-description="output shape"] text').allTextContents();
      expect(b0Shapes[0]).toBe('32×112×112');
      expect(b0Shapes.at(-2)).toBe('1280×7×7');
      // The hover text of b0's first block.
      expect(await page.locator('figure.strip[data-variant="b0"] svg rect title').nth(1).textContent()).toMatch(/^features\.1\.0 · mbconv → 16×112×112\n1,448 params/);
      expect(await page.locator('section.variant[data-variant="b0"] table').first().locator('tbody tr').count()).toBe(10);
      await page.screenshot({ path: join(out, `${family}.png`), fullPage: true });
      await page.locator('figure.strip[data-variant="b0"]').screenshot({ path: join(out, `${family}-b0-strip.png`) });
      await page.locator('#scaling').screenshot({ path: join(out, `${family}-scaling.png`) });
      await page.locator('section.variant[data-variant="b0"] .charts').screenshot({ path: join(out, `${family}-b0-charts.png`) });
      expect(requests).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);

  for (const file of ['architecture.svg', 'scaling.svg']) {
    it(`${file} is a well-formed SVG document that loads nothing`, async () => {
      const { page, requests, errors } = await open(file);
      try {
        // A malformed XML file shows Chromium's parser error page instead of an <svg> root.
        expect(await page.evaluate("document.documentElement.namespaceURI + ' ' + document.documentElement.localName")).toBe('http://www.w3.org/2000/svg svg');
        expect(await page.locator('parsererror').count()).toBe(0);
        const nested = await page.evaluate("[...document.documentElement.children].filter((e) => e.localName === 'svg').length");
        expect(nested).toBe(file === 'architecture.svg' ? 1 + c.graphs.length : 4);
        const size = await page.evaluate<{ width: number; height: number }>("({ width: Number(document.documentElement.getAttribute('width')), height: Number(document.documentElement.getAttribute('height')) })");
        expect(size.width).toBeGreaterThanOrEqual(500);
        // An SVG document has no full-page screenshot: the viewport takes the picture's size.
        await page.setViewportSize({ width: size.width, height: Math.min(size.height, 6000) });
        await page.screenshot({ path: join(out, file.replace('.svg', '.png')) });
        expect(requests).toEqual([]);
        expect(errors).toEqual([]);
      } finally {
        await page.close();
      }
    }, 60_000);
  }

  it('the HTML diff of b0 and EdgeTPU-S: both strips aligned, changed stages marked, the tables; nothing loaded', async () => {
    const { page, requests, errors } = await open('diff-b0-edgetpu-s.html');
    try {
      expect(await page.title()).toBe('effnet diff: specs/efficientnet.effnet#b0 → specs/efficientnet_edgetpu.effnet#s');
      const strips = page.locator('figure.strip');
      expect(await strips.count()).toBe(2);
      const [a, b] = [await strips.nth(0).locator('svg').boundingBox(), await strips.nth(1).locator('svg').boundingBox()];
      // Aligned stage by stage: the two strips are drawn on one width.
      expect(a!.width).toBe(b!.width);
      expect(await strips.nth(0).locator('svg rect').count()).toBeGreaterThan(10);
      expect(await page.locator('table').count()).toBeGreaterThanOrEqual(2);
      expect(await page.locator('h3', { hasText: 'stages' }).count()).toBe(1);
      await page.screenshot({ path: join(out, 'diff-b0-edgetpu-s.png'), fullPage: true });
      expect(requests).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);
});
