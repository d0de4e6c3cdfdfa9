import { analyzeVariant, type VariantCost } from '../cost/cost.js';
import type { VariantGraph } from '../graph/graph.js';
import type { Metrics } from './svg/scaling.js';

export type ReportFormat = 'md' | 'json' | 'csv' | 'html';
export const REPORT_FORMATS: readonly ReportFormat[] = ['md', 'json', 'csv', 'html'];

export interface ReportInput {
  family: string;
  /** The spec path as the user named it (kept relative for deterministic output). */
  spec: string;
  variants: VariantCost[];
  /** The variants' graphs (the HTML report draws blocks and memory from them), matched to `variants` by name. */
  graphs: readonly VariantGraph[];
}

export interface ReportOptions {
  perLayer?: boolean;
  /** A "generated — do not edit" banner, for files under generated/. */
  banner?: boolean;
  /** Top-1 accuracy (%) per variant name: the HTML report adds the accuracy charts. */
  metrics?: Metrics;
}

export function reportInput(family: string, spec: string, graphs: readonly VariantGraph[]): ReportInput {
  return { family, spec, variants: graphs.map(analyzeVariant), graphs };
}

import { csvReport } from './csv.js';
import { htmlReport } from './html.js';
import { jsonReport } from './json.js';
import { markdownReport } from './markdown.js';

export function renderReport(r: ReportInput, format: ReportFormat, options: ReportOptions = {}): string {
  switch (format) {
    case 'json':
      return jsonReport(r, options);
    case 'csv':
      return csvReport(r, options);
    case 'md':
      return markdownReport(r, options);
    case 'html':
      return htmlReport(r, options);
  }
}
