import { MACS_DEFINITION, MEMORY_DEFINITION, PARAMS_DEFINITION, type VariantCost } from '../cost/cost.js';
import { htmlBanner, markdownCodeSpan, markdownText } from '../emit/escape.js';
import type { ReportInput, ReportOptions } from './report.js';
import { markdownTable } from './table.js';
import { featureRows, layerRows, shapeNotes, stageRows, summaryRows, variantSentence } from './tables.js';

export const summaryTable = (variants: readonly VariantCost[]): string => markdownTable(summaryRows(variants));

export function markdownReport(r: ReportInput, options: ReportOptions = {}): string {
  const out: string[] = [];
  if (options.banner) out.push(htmlBanner(r.spec), '');
  out.push(`# ${markdownText(r.family)}: cost report`, '');
  out.push(`From ${markdownCodeSpan(r.spec)}. ${MACS_DEFINITION} ${PARAMS_DEFINITION} ${MEMORY_DEFINITION}`, '');
  out.push(summaryTable(r.variants), '');
  for (const v of r.variants) {
    out.push(`## ${markdownText(v.name)}`, '');
    out.push(variantSentence(v), '');
    out.push(markdownTable(stageRows(v)), '');
    const notes = shapeNotes(v, (phrase) => `\`${phrase}\``);
    if (notes.length > 0) out.push(notes.join(' '), '');
    if (v.features.length > 0) out.push(markdownTable(featureRows(v)), '');
    if (options.perLayer) out.push(`### ${markdownText(v.name)}: layers`, '', markdownTable(layerRows(v)), '');
  }
  return out.join('\n').replace(/\n+$/, '\n');
}
