import { DiagnosticSink, sortDiagnostics, type Diagnostic } from '../diagnostics/diagnostic.js';
import { parseText } from '../parser/parse.js';
import { gapsOf, LineIndex } from './comments.js';
import { printSpec } from './print.js';
import { specTree } from './tree.js';

// `effnet fmt` and the Prettier plugin: a spec's canonical text. Only layout
// changes (whitespace, line breaks, alignment); tokens and comments are kept as
// written, so the spec compiles to the same IR.

export type FormatResult =
  | { ok: true; text: string }
  /** Syntax errors: nothing to format. `source` is the text the diagnostics' positions index (no BOM). */
  | { ok: false; diagnostics: Diagnostic[]; source: string };

const BOM = '\ufeff';

/** The formatted text of a spec, or its syntax errors. A byte-order mark stays. */
export function formatSpec(text: string, file: string): FormatResult {
  const bom = text.startsWith(BOM) ? BOM : '';
  const source = text.slice(bom.length);
  const sink = new DiagnosticSink(file);
  const { cst } = parseText(source, sink);
  if (sink.hasErrors || cst === undefined) return { ok: false, diagnostics: sortDiagnostics(sink.items), source };
  const tree = specTree(cst);
  const lines = new LineIndex(source);
  return { ok: true, text: bom + printSpec(tree, gapsOf(source, tree.tokens, lines), lines) };
}
