import type { Compilation } from '../compile/compile.js';
import { renderJson } from '../diagnostics/json.js';
import { renderSarif } from '../diagnostics/sarif.js';

// `effnet check --format json|sarif`: the diagnostics of every spec checked, on
// stdout, for scripts (JSON) and for CI annotations (SARIF, GitHub code scanning).

export const CHECK_FORMATS = ['text', 'json', 'sarif'] as const;
export type CheckFormat = (typeof CHECK_FORMATS)[number];

export function renderCheck(format: Exclude<CheckFormat, 'text'>, cs: readonly Compilation[], version?: string): string {
  const diagnostics = cs.flatMap((c) => c.diagnostics);
  if (format === 'sarif') return renderSarif(diagnostics, version === undefined ? {} : { version });
  const files = cs.map((c) => {
    const errors = c.diagnostics.filter((d) => d.severity === 'error').length;
    const ok = c.family !== undefined && errors === 0;
    return {
      file: c.file,
      ...(ok ? { family: c.family!.name, variants: c.graphs.length } : {}),
      errors,
      warnings: c.diagnostics.length - errors,
    };
  });
  return renderJson(diagnostics, files);
}
