import { analyzeVariant, type VariantCost } from '../cost/cost.js';
import type { VariantGraph } from '../graph/graph.js';

export type ReportFormat = 'md' | 'json' | 'csv';
export const REPORT_FORMATS: readonly ReportFormat[] = ['md', 'json', 'csv'];

export interface ReportInput {
  family: string;
  /** The spec path as the user named it (kept relative for deterministic output). */
  spec: string;
  variants: VariantCost[];
}

export interface ReportOptions {
  perLayer?: boolean;
  /** A "generated — do not edit" banner, for files under generated/. */
  banner?: boolean;
}

export function reportInput(family: string, spec: string, graphs: readonly VariantGraph[]): ReportInput {
  return { family, spec, variants: graphs.map(analyzeVariant) };
}

import { csvReport } from './csv.js';
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
  }
}
