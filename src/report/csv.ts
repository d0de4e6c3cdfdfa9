import { csvField } from '../emit/escape.js';
import type { ReportInput, ReportOptions } from './report.js';

const cell = (x: unknown): string => csvField(x === null || x === undefined ? '' : String(x));
const line = (xs: unknown[]) => xs.map(cell).join(',');

/** One row per stage, or per layer with `perLayer`; one header line. */
export function csvReport(r: ReportInput, options: ReportOptions = {}): string {
  const rows: string[] = [];
  if (options.perLayer) {
    rows.push(line(['family', 'variant', 'layer', 'type', 'role', 'stage', 'block', 'in_c', 'in_h', 'in_w', 'out_c', 'out_h', 'out_w', 'kernel', 'stride', 'groups', 'act', 'params', 'bn_buffers', 'macs']));
    for (const v of r.variants)
      for (const l of v.layers)
        rows.push(line([r.family, v.name, l.name, l.type, l.role, l.stage, l.block, ...l.inShape, ...l.outShape, l.kernel, l.stride, l.groups, l.act, l.params, l.bnBuffers, l.macs]));
  } else {
    rows.push(line(['family', 'variant', 'resolution', 'index', 'role', 'block', 'kernel', 'stride', 'expand', 'channels', 'repeats', 'out_c', 'out_h', 'out_w', 'params', 'bn_buffers', 'macs']));
    for (const v of r.variants)
      for (const s of v.stages)
        rows.push(line([r.family, v.name, v.resolution, s.index, s.role, s.block, s.kernel, s.stride, s.expand, s.channels, s.repeats, ...s.outShape, s.params, s.bnBuffers, s.macs]));
  }
  return rows.join('\n') + '\n';
}
