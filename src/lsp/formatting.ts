import { TextEdit } from 'vscode-languageserver/node.js';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { formatSpec } from '../format/format.js';
import { fileOf } from './analysis.js';

// Format Document: `effnet fmt`'s printer, as one edit over the whole text.
// A spec with syntax errors is left alone (its diagnostics already say why),
// and so is one already formatted (no edit, no undo step).

export function formatting(doc: TextDocument): TextEdit[] {
  const text = doc.getText();
  const r = formatSpec(text, fileOf(doc.uri));
  if (!r.ok || r.text === text) return [];
  return [TextEdit.replace({ start: { line: 0, character: 0 }, end: doc.positionAt(text.length) }, r.text)];
}
