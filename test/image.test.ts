import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeImage, ImageDecodeError, UsageError } from '../src/cli/input.js';
import { IMAGENET_CLASSES } from '../src/runtime/labels.js';
import { launchChromium } from './support/chromium.js';
import { root } from './support/tfjs.js';

// Images from the user: PNG and JPEG decoding for `effnet infer --image`, its
// top-5 (the built CLI), its one-line errors, and the demo page classifying a
// picture in headless Chromium. References: scripts/fixtures/make_preprocess_fixture.py.

const images = join(root, 'test/fixtures/images');
const narrow = join(root, 'test/fixtures/narrow');
interface Top {
  index: number;
  label: string;
  logit: number;
  probability: number;
}
const fixture = JSON.parse(readFileSync(join(images, 'preprocess.json'), 'utf8')) as {
  images: Record<string, { width: number; height: number }>;
  infer: Record<'photo.png' | 'photo.jpg', { top5: Top[]; margin: number }>;
  demo: { top5: Top[]; margin: number };
};
const file = (name: string) => new Uint8Array(readFileSync(join(images, name)));

describe('decodeImage: PNG and JPEG to RGBA', () => {
  it('reads RGB, RGBA and greyscale PNGs as 8-bit RGBA', () => {
    for (const name of ['photo.png', 'portrait.png', 'gray.png']) {
      const d = decodeImage(file(name), name);
      expect([d.width, d.height, d.format], name).toEqual([fixture.images[name]!.width, fixture.images[name]!.height, 'PNG']);
      expect(d.data.length).toBe(d.width * d.height * 4);
    }
    const grey = decodeImage(file('gray.png'), 'gray.png').data;
    for (let p = 0; p < grey.length; p += 4 * 37) expect([grey[p + 1], grey[p + 2], grey[p + 3]]).toEqual([grey[p], grey[p], 255]);
  });

  it('decodes the JPEG close to libjpeg (Pillow): mean 1 level, 99 % within 6 (4:2:0 chroma upsampling differs)', () => {
    const d = decodeImage(file('photo.jpg'), 'photo.jpg');
    expect([d.width, d.height, d.format]).toEqual([320, 240, 'JPEG']);
    const pillow = file('photo.jpg.rgb');
    let sum = 0;
    let within = 0;
    for (let p = 0; p < 320 * 240; p++)
      for (let c = 0; c < 3; c++) {
        const e = Math.abs(d.data[p * 4 + c]! - pillow[p * 3 + c]!);
        sum += e;
        if (e <= 6) within++;
      }
    expect(sum / pillow.length).toBeLessThan(1.1);
    expect(within / pillow.length).toBeGreaterThan(0.99);
  });

  it('refuses other formats (usage) and data that does not decode', () => {
    expect(() => decodeImage(new TextEncoder().encode('GIF89a…'), 'cat.gif')).toThrow(new UsageError('cat.gif is a GIF image: --image takes PNG or JPEG'));
    expect(() => decodeImage(new TextEncoder().encode('hello'), 'notes.txt')).toThrow(new UsageError('notes.txt is not an image effnet reads: --image takes PNG or JPEG'));
    expect(() => decodeImage(file('photo.png').subarray(0, 400), 'cut.png')).toThrow(ImageDecodeError);
    const jpeg = file('photo.jpg');
    expect(() => decodeImage(Uint8Array.from([...jpeg.subarray(0, 20), ...new Uint8Array(200)]), 'bad.jpg')).toThrow(/^bad\.jpg: not a readable JPEG \(/);
    // A PNG header claiming 100 000 × 100 000 pixels is refused before anything is allocated.
    const huge = file('gray.png');
    new DataView(huge.buffer).setUint32(16, 100_000);
    new DataView(huge.buffer).setUint32(20, 100_000);
    expect(() => decodeImage(huge, 'huge.png')).toThrow(new UsageError('huge.png is 100000×100000 pixels, more than the 64 megapixels --image decodes; scale it down first'));
  });
});

const cli = (args: string[], cwd = root) => {
  expect(existsSync(join(root, 'dist/src/cli/main.js')), 'run `npm run build` first').toBe(true);
  const p = spawnSync(process.execPath, [join(root, 'dist/src/cli/main.js'), 'infer', ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: p.status, stdout: p.stdout, stderr: p.stderr };
};
const LINE = /^([1-5])\. (\S+)  (.+) \(class (\d+)\)$/;
function topLines(stdout: string): { index: number; label: string; probability: number }[] {
  const lines = stdout.trimEnd().split('\n').slice(1);
  return lines.map((l) => {
    const m = LINE.exec(l);
    expect(m, l).not.toBeNull();
    return { index: Number(m![4]), label: m![3]!, probability: Number(m![2]) };
  });
}

describe('effnet infer --image', () => {
  const narrowArgs = [join(narrow, 'narrow.effnet'), '--variant', 'narrow', '--weights', join(narrow, 'weights.safetensors')];

  it('prints the top-5 of the narrow fixture on photo.png as torchvision gives them, on both targets', () => {
    for (const target of ['tfjs', 'wgsl']) {
      const r = cli([...narrowArgs, '--image', join(images, 'photo.png'), '--target', target]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.split('\n')[0]).toMatch(new RegExp(`photo\\.png: efficientnet_narrow narrow \\(${target} on \\w+, [\\d.]+ ms; 320×240 PNG, resized to 73, centre 64×64, bilinear\\)$`));
      const top = topLines(r.stdout);
      expect(top.map((t) => [t.index, t.label])).toEqual(fixture.demo.top5.map((t) => [t.index, t.label]));
      for (const [i, t] of top.entries()) expect(t.probability).toBeCloseTo(fixture.demo.top5[i]!.probability, 3);
    }
  }, 120_000);

  it('runs torchvision\'s efficientnet_b0 transform (resize 256, crop 224, bicubic) on the committed photo: the b0 fixture\'s top-5 names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'effnet-image-'));
    // The shipped spec with torchvision's b0 transform, whatever the spec says today.
    const text = readFileSync(join(root, 'specs/efficientnet.effnet'), 'utf8').replace(/\bpreprocess\b[^\n}]*/g, '').replace(/^(\s*)variant b0 \{/m, '$1preprocess resize 256 crop 224 bicubic\n$1variant b0 {');
    writeFileSync(join(dir, 'efficientnet.effnet'), text);
    const r = cli(['efficientnet.effnet', '--variant', 'b0', '--weights', join(root, 'test/fixtures/b0/weights.safetensors'), '--image', join(images, 'photo.png'), '--out', 'logits.f32'], dir);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/: efficientnet b0 \(tfjs on wasm, [\d.]+ ms; 320×240 PNG, resized to 256, centre 224×224, bicubic\)$/);
    const top = topLines(lines.slice(0, 6).join('\n'));
    expect(top.map((t) => t.label)).toEqual(fixture.infer['photo.png'].top5.map((t) => t.label));
    expect(top.map((t) => t.label)).toEqual(['oxcart', 'tray', 'planetarium', 'axolotl', 'hay']);
    // --out still writes the logits.
    expect(lines[6]).toMatch(/^wrote logits\.f32: float32 logits \[1, 1000\]/);
    const logits = new Float32Array(readFileSync(join(dir, 'logits.f32')).buffer.slice(0));
    expect(logits[690]).toBeCloseTo(fixture.infer['photo.png'].top5[0]!.logit, 1);
  }, 120_000);

  it('prints five named lines for a JPEG, probabilities falling', () => {
    const r = cli([...narrowArgs, '--image', join(images, 'photo.jpg')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/320×240 JPEG/);
    const top = topLines(r.stdout);
    expect(top).toHaveLength(5);
    for (const [i, t] of top.entries()) {
      expect(t.label).toBe(IMAGENET_CLASSES[t.index]);
      if (i > 0) expect(t.probability).toBeLessThanOrEqual(top[i - 1]!.probability);
    }
  }, 120_000);

  const failures: [string, (dir: string) => string[], number, string | RegExp][] = [
    ['a missing image', () => ['--image', 'nope.png'], 2, 'effnet: image nope.png: no such file\n'],
    ['another format', (d) => (writeFileSync(join(d, 'cat.gif'), 'GIF89a\x01\x00'), ['--image', 'cat.gif']), 2, 'effnet: cat.gif is a GIF image: --image takes PNG or JPEG\n'],
    ['a truncated PNG', (d) => (writeFileSync(join(d, 'cut.png'), file('photo.png').subarray(0, 3000)), ['--image', 'cut.png']), 1, /^effnet: cut\.png: not a readable PNG \([^\n]*\)\n$/],
    ['--image with --input', () => ['--image', join(images, 'photo.png'), '--input', join(narrow, 'input.f32')], 2, 'effnet: --image is the input: leave out --input and --shape\n'],
    ['--image with --out -', () => ['--image', join(images, 'photo.png'), '--out', '-'], 2, 'effnet: --image prints the top-5 on stdout; --out - cannot share it\n'],
  ];
  for (const [what, args, code, message] of failures)
    it(`${what}: one line, exit ${code}`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'effnet-image-'));
      const r = cli([...narrowArgs, ...args(dir)], dir);
      expect(r.stdout).toBe('');
      if (typeof message === 'string') expect(r.stderr).toBe(message);
      else expect(r.stderr).toMatch(message);
      expect(r.code).toBe(code);
    }, 60_000);
});

describe('effnet demo: pick a picture in headless Chromium (WebGPU, SwiftShader)', () => {
  let server: ChildProcess | undefined;
  afterAll(() => server?.kill('SIGTERM'));

  it('classifies the chosen file with the model\'s own preprocess and shows torchvision\'s top-5 names', async () => {
    expect(existsSync(join(root, 'dist/src/cli/main.js')), 'run `npm run build` first').toBe(true);
    server = spawn(process.execPath, [join(root, 'dist/src/cli/main.js'), 'demo', join(narrow, 'narrow.effnet'), '--variant', 'narrow', '--weights', join(narrow, 'weights.safetensors'), '--port', '0'], { cwd: root });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      server!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) resolve(m[1]!);
      });
      server!.on('exit', (code) => reject(new Error(`effnet demo exited with ${code}: ${out}`)));
    });
    const chromium = await launchChromium({ webgpu: true });
    const browser = chromium.context;
    try {
      const page = await browser.newPage();
      await page.goto(url);
      await page.waitForFunction(() => 'effnetResult' in globalThis || 'effnetError' in globalThis, null, { timeout: 120_000 });
      expect(await page.evaluate(() => (globalThis as unknown as { effnetError?: string }).effnetError)).toBeUndefined();
      // The synthetic input's top-5 are named too.
      expect((await page.locator('#top5 td:first-child').allTextContents()).every((t) => IMAGENET_CLASSES.includes(t))).toBe(true);
      await page.setInputFiles('#file', join(images, 'photo.png'));
      await page.waitForFunction(() => 'effnetImageResult' in globalThis || 'effnetImageError' in globalThis, null, { timeout: 120_000 });
      expect(await page.evaluate(() => (globalThis as unknown as { effnetImageError?: string }).effnetImageError)).toBeUndefined();
      const names = await page.locator('#image-top5 td:first-child').allTextContents();
      expect(names).toEqual(fixture.demo.top5.map((t) => t.label));
      expect(await page.textContent('#image-status')).toMatch(/^photo\.png \(320×240\), [\d.]+ ms; top-5:$/);

      // A picture dropped on the page: the same path.
      // (Page code as text: this project's TypeScript has no DOM types.)
      const portrait = readFileSync(join(images, 'portrait.png')).toString('base64');
      await page.evaluate(`(() => {
        delete globalThis.effnetImageResult;
        const transfer = new DataTransfer();
        transfer.items.add(new File([Uint8Array.from(atob('${portrait}'), (c) => c.charCodeAt(0))], 'portrait.png', { type: 'image/png' }));
        document.getElementById('drop').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      })()`);
      await page.waitForFunction(() => 'effnetImageResult' in globalThis || 'effnetImageError' in globalThis, null, { timeout: 120_000 });
      expect(await page.textContent('#image-status')).toMatch(/^portrait\.png \(180×250\), [\d.]+ ms; top-5:$/);
      const dropped = await page.locator('#image-top5 td:first-child').allTextContents();
      expect(dropped).toHaveLength(5);
      for (const name of dropped) expect(IMAGENET_CLASSES).toContain(name);
    } finally {
      await chromium.close();
    }
  }, 300_000);
});
