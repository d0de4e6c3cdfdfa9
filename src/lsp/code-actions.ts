import { CodeActionKind, TextEdit, type CodeAction, type CodeActionParams, type Diagnostic as LspDiagnostic } from 'vscode-languageserver/node.js';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { DiagnosticData } from './diagnostics.js';

// Quick fixes for the "did you mean `x`?" hints: the misspelt word, the
// first word of the diagnostic's range and quoted in its message
// (`unknown block type \`mbconvv\``), becomes `x`.

const DID_YOU_MEAN = /did you mean `([^`]+)`\?/;
const WORD = /^[A-Za-z_][A-Za-z0-9_]*/;

function hintOf(d: LspDiagnostic): string | undefined {
  const data = d.data as DiagnosticData | undefined;
  return data?.hint ?? d.message.split('\n').at(-1);
}

function quickFix(doc: TextDocument, d: LspDiagnostic): CodeAction | undefined {
  const suggestion = DID_YOU_MEAN.exec(hintOf(d) ?? '')?.[1];
  if (suggestion === undefined) return undefined;
  const word = WORD.exec(doc.getText(d.range))?.[0];
  // The range must still hold the word the message names: the text may have changed since.
  if (word === undefined || !d.message.includes(`\`${word}\``)) return undefined;
  const { start } = d.range;
  const edit = TextEdit.replace({ start, end: { line: start.line, character: start.character + word.length } }, suggestion);
  return {
    title: `Change \`${word}\` to \`${suggestion}\``,
    kind: CodeActionKind.QuickFix,
    diagnostics: [d],
    isPreferred: true,
    edit: { changes: { [doc.uri]: [edit] } },
  };
}

export function codeActions(doc: TextDocument, params: CodeActionParams): CodeAction[] {
  const only = params.context.only;
  if (only && !only.some((k) => CodeActionKind.QuickFix === k || CodeActionKind.QuickFix.startsWith(`${k}.`))) return [];
  return params.context.diagnostics.flatMap((d) => (d.source === 'effnet' ? (quickFix(doc, d) ?? []) : []));
}
