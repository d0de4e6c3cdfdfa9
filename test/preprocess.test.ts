import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { compileSource } from '../src/compile/compile.js';
import { modelMetadata } from '../src/cost/metadata.js';
import { siblingModule } from '../src/emit/network.js';
import { IMAGENET_CLASSES } from '../src/runtime/labels.js';
import { cropOffset, ImageError, modelPreprocess, preprocessImage, resizedSize, softmax, topClasses, type Prediction, type RgbImage } from '../src/runtime/preprocess.js';
import type { ImageTransform } from '../src/runtime/spec.js';
import { emitTfjs } from '../src/tfjs/emit.js';
import { emitWgsl } from '../src/wgsl/emit.js';
import { graphOf, importGenerated, root, useBackend, writeGenerated, writeNetwork } from './support/tfjs.js';
import { strictProgram, typeErrors } from './support/typecheck.js';

// `preprocess` in a spec, the runtime's transform against torchvision's
// (scripts/fixtures/make_preprocess_fixture.py), ImageNet's class names, and
// the generated modules' `preprocess`, `labels` and `topK`.

const images = join(root, 'test/fixtures/images');
interface Case {
  name: string;
  image: string;
  transform: ImageTransform;
  float: string;
  uint8: string;
  shape: [number, number, number, number];
}
interface Top {
  index: number;
  label: string;
  logit: number;
  probability: number;
}
const fixture = JSON.parse(readFileSync(join(images, 'preprocess.json'), 'utf8')) as { cases: Case[]; demo: { top5: Top[]; margin: number } };

function png(name: string): RgbImage & { data: Uint8Array } {
  const p = PNG.sync.read(readFileSync(join(images, name)));
  return { data: new Uint8Array(p.data), width: p.width, height: p.height };
}
const f32 = (name: string) => {
  const b = readFileSync(join(images, name));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

/** A tiny RGB family with these extra lines in the family block and in its variants. */
function spec(familyLines: string, variants = 'variant a { resolution 64 }', input = ''): string {
  return `family t {\n  ${input}\n  stem conv k3 s2 c8\n  stage mbconv e1 k3 s1 c8 n1\n  ${familyLines}\n  ${variants}\n}\n`;
}
function compile(text: string) {
  const c = compileSource(text, 't.effnet');
  return { graphs: c.graphs, diagnostics: c.diagnostics.map((d) => `${d.code} ${d.range.start.line}:${d.range.start.column}`), messages: c.diagnostics.map((d) => d.message) };
}
const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

describe('the preprocess statement', () => {
  it('defaults to crop = resolution, resize = ⌊crop / 0.875⌋, bilinear, ImageNet mean and std', () => {
    const c = compile(spec('', 'variant a { resolution 224 }\n  variant b { resolution 240 }'));
    expect(c.diagnostics).toEqual([]);
    expect(c.graphs.map((g) => g.preprocess)).toEqual([
      { resize: 256, crop: 224, interpolation: 'bilinear', ...IMAGENET },
      { resize: 274, crop: 240, interpolation: 'bilinear', ...IMAGENET },
    ]);
  });

  it('takes torchvision\'s resize and crop, timm\'s crop_pct, one or three means and stds; a variant replaces what it names', () => {
    const c = compile(
      spec('preprocess crop_pct 0.9 bicubic mean 0.5 std 0.5', [
        'variant a { resolution 240 }',
        'variant b { resolution 224 preprocess resize 256 }',
        'variant c { resolution 300 preprocess crop 288 bilinear mean 0.485 0.456 0.406 }',
      ].join('\n  ')),
    );
    expect(c.diagnostics).toEqual([]);
    expect(c.graphs.map((g) => g.preprocess)).toEqual([
      // timm: ⌊240 / 0.9⌋ = 266
      { resize: 266, crop: 240, interpolation: 'bicubic', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
      // `resize` replaces the family's crop_pct
      { resize: 256, crop: 224, interpolation: 'bicubic', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
      // crop apart from the resolution (torchvision's B2 evaluates at 288); ⌊288 / 0.9⌋ = 320
      { resize: 320, crop: 288, interpolation: 'bilinear', mean: [0.485, 0.456, 0.406], std: [0.5, 0.5, 0.5] },
    ]);
    expect(modelMetadata(c.graphs[0]!).preprocess).toEqual(c.graphs[0]!.preprocess);
  });

  it('leaves a network that takes no RGB image without a transform', () => {
    const c = compile(spec('', undefined, 'input channels 1'));
    expect(c.diagnostics).toEqual([]);
    expect(c.graphs[0]!.preprocess).toBeNull();
    expect('preprocess' in modelMetadata(c.graphs[0]!)).toBe(false);
  });

  const errors: [string, string, string[]][] = [
    ['crop_pct above 1', 'preprocess crop_pct 1.5', ['E051 5:23']],
    ['a zero std', 'preprocess std 0.2 0 0.2', ['E051 5:22']],
    ['two means', 'preprocess mean 0.5 0.4', ['E051 5:14']],
    ['a fractional crop', 'preprocess crop 22.5', ['E017 5:19']],
    ['an unknown interpolation', 'preprocess bicubc', ['E012 5:14']],
    ['two interpolations', 'preprocess bicubic bilinear', ['E013 5:22']],
    ['resize and crop_pct together', 'preprocess resize 256 crop_pct 0.9', ['E027 5:25']],
    ['two statements in one scope', 'preprocess bicubic\n  preprocess crop 32', ['E013 6:3']],
    ['a crop larger than the resize', 'preprocess resize 60', ['E051 5:3']],
    // Options stay on the statement's line: `crop` on the next is a statement of its own.
    ['an option on the next line', 'preprocess resize 256\n  crop 224', ['E003 6:3']],
  ];
  for (const [what, line, expected] of errors)
    it(`reports ${what}`, () => {
      const c = compile(spec(line));
      expect(c.diagnostics).toEqual(expected);
      expect(c.graphs).toEqual([]);
    });

  it('names the variant whose resolution makes the crop too large, and refuses a transform for non-RGB input', () => {
    expect(compile(spec('preprocess resize 230', 'variant a { resolution 224 }\n  variant b { resolution 240 }')).messages).toEqual([
      'variant `b`: `preprocess` crops 240×240 from an image whose shorter side is resized to 230',
    ]);
    expect(compile(spec('preprocess bicubic', undefined, 'input channels 4')).messages).toEqual([
      'variant `a` takes 4-channel input; `preprocess` makes an RGB image its input',
    ]);
  });
});

describe('preprocessImage against torchvision (antialiased tensor resize, centre crop, normalise)', () => {
  it('computes the crop\'s geometry as torchvision does', () => {
    expect(resizedSize(240, 320, 256)).toEqual([256, 341]);
    expect(resizedSize(250, 180, 72)).toEqual([100, 72]);
    expect(resizedSize(100, 100, 64)).toEqual([64, 64]);
    // Python's round: halves to even.
    expect([cropOffset(85, 64), cropOffset(87, 64), cropOffset(86, 64), cropOffset(341, 224), cropOffset(256, 224)]).toEqual([10, 12, 11, 58, 16]);
  });

  for (const c of fixture.cases)
    it(`${c.name}: ${c.image} resized to ${c.transform.resize} (${c.transform.interpolation}), crop ${c.transform.crop}`, () => {
      const image = png(c.image);
      const out = preprocessImage(image, c.transform, { layout: 'nchw' });
      expect(out.length).toBe(c.shape.reduce((a, b) => a * b, 1));
      // torchvision on the float image (uint8 / 255, bicubic clamped to [0, 1] as for a uint8 image): float32 rounding apart.
      const ref = f32(c.float);
      let worst = 0;
      for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i]! - ref[i]!));
      expect(worst).toBeLessThan(1e-5);
      // torchvision on the uint8 image rounds the resized pixels to bytes: at most half a level apart.
      const u8 = readFileSync(join(images, c.uint8));
      const plane = c.transform.crop ** 2;
      const { mean, std } = c.transform;
      let worstU8 = 0;
      for (let i = 0; i < out.length; i++) {
        const ch = Math.floor(i / plane);
        worstU8 = Math.max(worstU8, Math.abs(out[i]! - (u8[i]! / 255 - mean[ch]!) / std[ch]!));
      }
      expect(worstU8).toBeLessThan(0.5 / 255 / Math.min(...std) + 1e-5);
      expect(worstU8).toBeLessThan(1e-2);
    });

  it('gives NHWC by default, the same values; RGB and RGBA pixels alike', () => {
    const c = fixture.cases.find((x) => x.name === 'down_bicubic')!;
    const rgba = png(c.image);
    const nchw = preprocessImage(rgba, c.transform, { layout: 'nchw' });
    const nhwc = preprocessImage(rgba, c.transform);
    const plane = c.transform.crop ** 2;
    for (let p = 0; p < plane; p += 97) for (let ch = 0; ch < 3; ch++) expect(nhwc[p * 3 + ch]).toBe(nchw[ch * plane + p]);
    const rgb = { data: rgba.data.filter((_, i) => i % 4 !== 3), width: rgba.width, height: rgba.height };
    expect(preprocessImage(rgb, c.transform)).toEqual(nhwc);
  });

  it('crops at another size by the same fraction (`size`, for a model planned at its resolution)', () => {
    const image = png('photo.png');
    const t: ImageTransform = { resize: 288, crop: 288, interpolation: 'bicubic', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
    expect(preprocessImage(image, t, { size: 260 })).toEqual(preprocessImage(image, { ...t, resize: 260, crop: 260 }));
    expect(preprocessImage(image, { ...t, resize: 256, crop: 224 }, { size: 64 })).toEqual(preprocessImage(image, { ...t, resize: 73, crop: 64 }));
  });

  it('refuses pixels that do not match the size, and a model without a transform', () => {
    const t = fixture.cases[0]!.transform;
    expect(() => preprocessImage({ data: new Uint8Array(10), width: 2, height: 2 }, t)).toThrow(new ImageError('a 2×2 image holds 16 values (RGBA) or 12 (RGB), not 10'));
    expect(() => preprocessImage({ data: [], width: 0, height: 3 }, t)).toThrow(ImageError);
    expect(() => modelPreprocess({ family: 'f', variant: 'v', inputChannels: 1 }, png('gray.png'))).toThrow('f v takes 1-channel input, not an RGB image');
  });
});

describe('ImageNet class names and top classes', () => {
  it('ships the 1000 ImageNet-1k names, frozen', () => {
    expect(IMAGENET_CLASSES).toHaveLength(1000);
    expect([IMAGENET_CLASSES[0], IMAGENET_CLASSES[1], IMAGENET_CLASSES[281], IMAGENET_CLASSES[999]]).toEqual(['tench', 'goldfish', 'tabby', 'toilet tissue']);
    expect(Object.isFrozen(IMAGENET_CLASSES)).toBe(true);
  });

  it('ranks one image\'s classes by softmax probability', () => {
    const p = softmax([1, 2, 3]);
    expect(Array.from(p).map((x) => +x.toFixed(6))).toEqual([0.090031, 0.244728, 0.665241]);
    expect(softmax([1000, 1000])).toEqual(new Float64Array([0.5, 0.5]));
    const logits = [0, 1, 5, 2, /* image 1 */ 9, 0, 0, 0];
    expect(topClasses(logits, 4, { k: 2 }).map((x) => [x.index, x.label])).toEqual([[2, 'class 2'], [3, 'class 3']]);
    expect(topClasses(logits, 4, { k: 1, image: 1, labels: ['a', 'b', 'c', 'd'] })).toEqual([{ index: 0, label: 'a', probability: expect.closeTo(0.99963, 5) }]);
    expect(() => topClasses(logits, 4, { image: 2 })).toThrow('logits of 8 values hold no image 2 of 4 classes');
  });
});

describe('generated modules: preprocess, labels, topK', () => {
  it('import them from the runtime beside their own', () => {
    expect(siblingModule('effnet/runtime/tfjs', 'preprocess')).toBe('effnet/runtime/preprocess');
    expect(siblingModule('../../src/runtime/wgsl.js', 'labels')).toBe('../../src/runtime/labels.js');
    expect(siblingModule('file:///x/dist/src/runtime/tfjs.js', 'preprocess')).toBe('file:///x/dist/src/runtime/preprocess.js');
  });

  it('export what the network has: no labels off 1000 classes, no topK for a feature network, no preprocess off RGB', async () => {
    const exports = async (text: string) => {
      const g = compile(text).graphs[0]!;
      const [t, w] = [await emitTfjs(g, { spec: 't.effnet' }), await emitWgsl(g, { spec: 't.effnet' })];
      return [t, w].map((s) => ['preprocess', 'labels', 'topK'].filter((n) => new RegExp(`export (function|const) ${n}\\b`).test(s)).join(' '));
    };
    expect(await exports(spec(''))).toEqual(['preprocess labels topK', 'preprocess labels topK']);
    expect(await exports(spec('classes 10'))).toEqual(['preprocess topK', 'preprocess topK']);
    expect(await exports(spec('features 1'))).toEqual(['preprocess', 'preprocess']);
    expect(await exports(spec('', undefined, 'input channels 1'))).toEqual(['labels topK', 'labels topK']);
  });

  it('type-check under strict (tfjs and WGSL, the WGSL one cropping at the model\'s resolution)', async () => {
    const g = compile(spec('preprocess resize 80 crop 72 bicubic')).graphs[0]!;
    const networkModule = await writeNetwork(g);
    const tfjsSource = await emitTfjs(g, { spec: 't.effnet', tfjsModule: '@tensorflow/tfjs', runtimeModule: '../../src/runtime/tfjs.js', networkModule });
    const wgslSource = await emitWgsl(g, { spec: 't.effnet', runtimeModule: '../../src/runtime/wgsl.js', networkModule });
    expect(tfjsSource).toContain("from '../../src/runtime/preprocess.js'");
    expect(tfjsSource).toContain('return modelPreprocess(metadata, image, options);');
    expect(wgslSource).toContain('return modelPreprocess(metadata, image, { size: metadata.resolution, ...options });');
    expect(wgslSource).toContain('so the crop is made at 64 from the image resized by the same fraction, to 71');
    const files = [writeGenerated('t_a.tfjs.ts', tfjsSource), writeGenerated('t_a.wgsl.ts', wgslSource)];
    expect(typeErrors(strictProgram(files), files)).toEqual([]);
  });

  it('classify the photo as torchvision does: the narrow fixture\'s generated tfjs module, preprocess → createInference → topK', async () => {
    await useBackend('cpu');
    const g = graphOf('test/fixtures/narrow/narrow.effnet', 'narrow');
    const model = (await importGenerated(g)) as Awaited<ReturnType<typeof importGenerated>> & {
      preprocess(image: RgbImage): Float32Array;
      topK(logits: ArrayLike<number>, k?: number): Prediction[];
      labels: readonly string[];
    };
    expect(model.labels).toBe(IMAGENET_CLASSES);
    const infer = model.createInference(model.loadWeights(readFileSync(join(root, 'test/fixtures/narrow/weights.safetensors'))));
    const x = tf.tensor4d(model.preprocess(png('photo.png')), [1, 64, 64, 3]);
    const y = infer(x) as tf.Tensor;
    const top = model.topK(y.dataSync());
    tf.dispose([x, y]);
    infer.dispose();
    // The smallest gap between neighbouring logits is fixture.demo.margin (0.007): far above tfjs's error.
    expect(fixture.demo.margin).toBeGreaterThan(1e-3);
    expect(top.map((p) => [p.index, p.label])).toEqual(fixture.demo.top5.map((p) => [p.index, p.label]));
    for (const [i, p] of top.entries()) expect(p.probability).toBeCloseTo(fixture.demo.top5[i]!.probability, 4);
  });
});
