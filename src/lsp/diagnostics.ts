import { DiagnosticSeverity, type Diagnostic as LspDiagnostic, type DiagnosticRelatedInformation } from 'vscode-languageserver/node.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { Analysis } from './analysis.js';
import { toLspRange } from './positions.js';

// `check`'s diagnostics as the editor shows them: the same code, severity
// and range; the hint on a second line of the message (and in `data`, for the
// quick fixes); the earlier places a diagnostic points back at (`related`) as
// related information.

export interface DiagnosticData {
  hint?: string;
}

function related(d: Diagnostic, a: Analysis): DiagnosticRelatedInformation[] {
  return (d.related ?? []).map((r) => ({ location: { uri: a.uri, range: toLspRange(r.range, a.bom) }, message: r.message }));
}

export function toLspDiagnostics(a: Analysis): LspDiagnostic[] {
  return a.compilation.diagnostics.map((d) => {
    const info = related(d, a);
    const data: DiagnosticData = d.hint === undefined ? {} : { hint: d.hint };
    return {
      range: toLspRange(d.range, a.bom),
      severity: d.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
      code: d.code,
      source: 'effnet',
      message: d.hint === undefined ? d.message : `${d.message}\n${d.hint}`,
      data,
      ...(info.length > 0 ? { relatedInformation: info } : {}),
    };
  });
}
