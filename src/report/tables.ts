import type { VariantCost } from '../cost/cost.js';
import { grouped, human, mib, multiplier, shape } from './format.js';
import type { Table } from './table.js';

// The report's tables as data: Markdown and HTML draw the same rows.

const table = (header: string[], align: string, rows: string[][]): Table => ({ header, align, rows: rows.map((r) => r.map((text) => ({ text }))) });

const dash = (x: number | string | null) => (x === null ? '–' : String(x));

export function summaryRows(variants: readonly VariantCost[]): Table {
  return table(
    ['variant', 'resolution', 'width', 'depth', 'params', 'BN buffers', 'MACs', 'FLOPs', 'activations (total)', 'activations (peak)'],
    'lrrrrrrrrr',
    variants.map((v) => [
      v.name,
      String(v.resolution),
      multiplier(v.width),
      multiplier(v.depth),
      grouped(v.params),
      grouped(v.bnBuffers),
      human(v.macs),
      human(v.flops),
      mib(v.activationBytes),
      mib(v.peakActivationBytes),
    ]),
  );
}

export function stageRows(v: VariantCost): Table {
  return table(
    ['#', 'stage', 'block', 'k', 's', 'e', 'channels', 'repeats', 'output', 'params', 'MACs'],
    'rllrrrrrlrr',
    v.stages.map((s) => [
      String(s.index),
      s.role,
      s.block,
      dash(s.kernel),
      dash(s.stride),
      dash(s.expand),
      String(s.channels),
      String(s.repeats),
      shape(s.outShape),
      grouped(s.params),
      grouped(s.macs),
    ]),
  );
}

export function featureRows(v: VariantCost): Table {
  return table(
    ['feature', 'stage', 'channels', 'stride', 'output'],
    'lrrrl',
    v.features.map((f) => [f.name, String(f.stage), String(f.channels), String(f.stride), shape(f.outShape)]),
  );
}

export function layerRows(v: VariantCost): Table {
  return table(
    ['layer', 'type', 'role', 'input', 'output', 'k', 's', 'groups', 'act', 'params', 'MACs'],
    'lllllrrrlrr',
    v.layers.map((l) => [
      l.name,
      l.type,
      l.role,
      shape(l.inShape),
      shape(l.outShape),
      dash(l.kernel),
      dash(l.stride),
      dash(l.groups),
      l.act,
      grouped(l.params),
      grouped(l.macs),
    ]),
  );
}

/** The sentence under a variant's heading: input, multipliers and totals (numbers only, no user words). */
export function variantSentence(v: VariantCost): string {
  return (
    `${v.resolution}×${v.resolution}${v.inputChannels === 3 ? '' : `×${v.inputChannels}`} input, width ${multiplier(v.width)}, depth ${multiplier(v.depth)}${v.phi === null ? '' : `, phi ${v.phi}`}: ` +
    `${grouped(v.params)} parameters, ${grouped(v.bnBuffers)} BatchNorm buffers, ${grouped(v.macs)} MACs (${human(v.macs)}), ${grouped(v.flops)} FLOPs.`
  );
}

/** What the variant takes and gives beyond an RGB classifier (output stride, feature maps); `code` marks up a spec phrase. */
export function shapeNotes(v: VariantCost, code: (phrase: string) => string): string[] {
  const notes: string[] = [];
  if (v.outputStride !== null) {
    const dilated = v.stages.filter((s) => s.dilation !== undefined).map((s) => `stage ${s.index} dilation ${s.dilation}`);
    notes.push(`${code(`output_stride ${v.outputStride}`)}: strides past it became dilation${dilated.length > 0 ? ` (${dilated.join(', ')})` : ''}.`);
  }
  if (v.features.length > 0) notes.push(`A feature network: it hands out ${v.features.length} feature maps and has no head or classifier.`);
  return notes;
}
