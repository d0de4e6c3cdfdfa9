import type { Option, Statement } from '../ast/ast.js';
import type { DiagnosticSink } from '../diagnostics/diagnostic.js';
import type { ImageTransform } from '../runtime/spec.js';
import { INTERPOLATIONS, type PreprocessIR } from './ir.js';
import { OnceTracker, positiveInt, readNumber, readWord } from './values.js';

// `preprocess`: the eval transform of an input image. A statement sets what it
// names; the variant's resolution fills in the rest (crop = resolution,
// resize = ⌊crop / 0.875⌋, bilinear, ImageNet's mean and std).

/** timm's default crop fraction: the crop is 87.5 % of the resized shorter side. */
export const DEFAULT_CROP_PCT = 0.875;
export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

const MAX_SIZE = 1_000_000;

/** `mean` or `std`: one number for every channel, or one each for red, green and blue. */
function readTriple(o: Option, sink: DiagnosticSink): [number, number, number] | undefined {
  const values = o.values ?? [];
  // None at all: a syntax error the parser has reported.
  if (values.length === 0) return undefined;
  if (values.length !== 1 && values.length !== 3) {
    sink.error('E051', o.range, `\`${o.key}\` takes 1 or 3 numbers (red, green, blue), not ${values.length}`, `for example \`${o.key} ${o.key === 'mean' ? '0.485 0.456 0.406' : '0.229 0.224 0.225'}\``);
    return undefined;
  }
  const rule = o.key === 'std' ? { what: 'std', min: 0, minExclusive: true, max: 1000, code: 'E051' } : { what: 'mean', min: -1000, max: 1000, code: 'E051' };
  const read = values.map((v) => readNumber(v, rule, sink));
  if (read.some((x) => x === undefined)) return undefined;
  const [r, g = r, b = r] = read as number[];
  return [r!, g, b];
}

/** Applies one `preprocess` statement to a copy of `p`. */
export function applyPreprocess(s: Statement & { kind: 'preprocess' }, p: PreprocessIR, sink: DiagnosticSink): PreprocessIR {
  const out: PreprocessIR = { ...p, range: s.range };
  const once = new OnceTracker(sink, 'preprocess option');
  const size = (what: string) => ({ ...positiveInt(what, 'E051'), max: MAX_SIZE });
  for (const o of s.options) {
    if (!once.first(o.key, o.range)) continue;
    switch (o.key) {
      case 'resize':
      case 'crop_pct': {
        const other = s.options.find((x) => x.key === (o.key === 'resize' ? 'crop_pct' : 'resize'));
        if (other && o.key === 'crop_pct') {
          sink.error('E027', o.range, '`resize` and `crop_pct` both set the resized size', 'keep one: `crop_pct F` resizes to ⌊crop / F⌋');
          break;
        }
        const v = o.key === 'resize' ? readNumber(o.value, size('resize'), sink) : readNumber(o.value, { what: 'crop_pct', min: 0, minExclusive: true, max: 1, code: 'E051' }, sink);
        if (v === undefined) break;
        // One setting: the variant's `resize` replaces the family's `crop_pct` and the other way round.
        out.resize = o.key === 'resize' ? v : null;
        out.cropPct = o.key === 'crop_pct' ? v : null;
        break;
      }
      case 'crop':
        out.crop = readNumber(o.value, size('crop'), sink) ?? out.crop;
        break;
      case 'mean':
        out.mean = readTriple(o, sink) ?? out.mean;
        break;
      case 'std':
        out.std = readTriple(o, sink) ?? out.std;
        break;
      default:
        out.interpolation = readWord(o.value, 'interpolation', INTERPOLATIONS, sink) ?? out.interpolation;
    }
  }
  return out;
}

/**
 * The transform of a variant at `resolution`: null for input that is not RGB (and E051 where a
 * `preprocess` statement asks for one), undefined after an error (reported).
 */
export function resolvePreprocess(p: PreprocessIR, resolution: number, inputChannels: number, who: string, sink: DiagnosticSink): ImageTransform | null | undefined {
  if (inputChannels !== 3) {
    if (p.range === undefined) return null;
    sink.error('E051', p.range, `${who} takes ${inputChannels}-channel input; \`preprocess\` makes an RGB image its input`, 'leave `preprocess` out for input that is not an RGB image');
    return undefined;
  }
  const crop = p.crop ?? resolution;
  const resize = p.resize ?? Math.floor(crop / (p.cropPct ?? DEFAULT_CROP_PCT));
  if (crop > resize) {
    // Only an explicit `resize` can be smaller than the crop, so a statement stands somewhere.
    sink.error('E051', p.range!, `${who}: \`preprocess\` crops ${crop}×${crop} from an image whose shorter side is resized to ${resize}`, 'the crop must fit: make `resize` at least `crop`');
    return undefined;
  }
  return { resize, crop, interpolation: p.interpolation ?? 'bilinear', mean: [...(p.mean ?? IMAGENET_MEAN)], std: [...(p.std ?? IMAGENET_STD)] };
}
