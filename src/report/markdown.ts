import { MACS_DEFINITION, MEMORY_DEFINITION, PARAMS_DEFINITION, type VariantCost } from '../cost/cost.js';
import { grouped, human, mib, multiplier, shape } from './format.js';
import { htmlBanner, markdownCodeSpan, markdownText } from '../emit/escape.js';
import type { ReportInput, ReportOptions } from './report.js';
import { markdownTable } from './table.js';

const table = (header: string[], align: string, rows: string[][]): string =>
  markdownTable({ header, align, rows: rows.map((r) => r.map((text) => ({ text }))) });

const dash = (x: number | string | null) => (x === null ? '–' : String(x));

export function summaryTable(variants: readonly VariantCost[]): string {
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

function stageTable(v: VariantCost): string {
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

function featureTable(v: VariantCost): string {
  return table(
    ['feature', 'stage', 'channels', 'stride', 'output'],
    'lrrrl',
    v.features.map((f) => [f.name, String(f.stage), String(f.channels), String(f.stride), shape(f.outShape)]),
  );
}

/** What the variant takes and gives beyond an RGB classifier: input channels, output stride, feature maps. */
function shapeNotes(v: VariantCost): string[] {
  const notes: string[] = [];
  if (v.outputStride !== null) {
    const dilated = v.stages.filter((s) => s.dilation !== undefined).map((s) => `stage ${s.index} dilation ${s.dilation}`);
    notes.push(`\`output_stride ${v.outputStride}\`: strides past it became dilation${dilated.length > 0 ? ` (${dilated.join(', ')})` : ''}.`);
  }
  if (v.features.length > 0) notes.push(`A feature network: it hands out ${v.features.length} feature maps and has no head or classifier.`);
  return notes;
}

function layerTable(v: VariantCost): string {
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

export function markdownReport(r: ReportInput, options: ReportOptions = {}): string {
  const out: string[] = [];
  if (options.banner) out.push(htmlBanner(r.spec), '');
  out.push(`# ${markdownText(r.family)}: cost report`, '');
  out.push(`From ${markdownCodeSpan(r.spec)}. ${MACS_DEFINITION} ${PARAMS_DEFINITION} ${MEMORY_DEFINITION}`, '');
  out.push(summaryTable(r.variants), '');
  for (const v of r.variants) {
    out.push(`## ${markdownText(v.name)}`, '');
    out.push(
      `${v.resolution}×${v.resolution}${v.inputChannels === 3 ? '' : `×${v.inputChannels}`} input, width ${multiplier(v.width)}, depth ${multiplier(v.depth)}${v.phi === null ? '' : `, phi ${v.phi}`}: ` +
        `${grouped(v.params)} parameters, ${grouped(v.bnBuffers)} BatchNorm buffers, ${grouped(v.macs)} MACs (${human(v.macs)}), ${grouped(v.flops)} FLOPs.`,
      '',
    );
    out.push(stageTable(v), '');
    const notes = shapeNotes(v);
    if (notes.length > 0) out.push(notes.join(' '), '');
    if (v.features.length > 0) out.push(featureTable(v), '');
    if (options.perLayer) out.push(`### ${markdownText(v.name)}: layers`, '', layerTable(v), '');
  }
  return out.join('\n').replace(/\n+$/, '\n');
}
