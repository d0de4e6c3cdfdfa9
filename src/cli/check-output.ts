import type { Compilation } from '../compile/compile.js';

// `effnet check --format json|sarif`: the diagnostics of every spec checked, on
// stdout, for scripts (JSON) and for CI annotations (SARIF, GitHub code scanning).
// The renderers load only when asked for: a plain `check` does not pay for them.

export const CHECK_FORMATS = ['text', 'json', 'sarif'] as const;
export type CheckFormat = (typeof CHECK_FORMATS)[number];

export async function renderCheck(format: Exclude<CheckFormat, 'text'>, cs: readonly Compilation[], version?: string): Promise<string> {
  const diagnostics = cs.flatMap((c) => c.diagnostics);
  if (format === 'sarif') {
    const { renderSarif } = await import('../diagnostics/sarif.js');
    return renderSarif(diagnostics, version === undefined ? {} : { version });
  }
  const { renderJson } = await import('../diagnostics/json.js');
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
