import { CodeActionKind, TextDocuments, TextDocumentSyncKind, type Connection, type InitializeResult } from 'vscode-languageserver/node.js';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { Analyses } from './analysis.js';
import { codeActions } from './code-actions.js';
import { completion } from './completion.js';
import { Debouncer } from './debounce.js';
import { definition } from './definition.js';
import { toLspDiagnostics } from './diagnostics.js';
import { formatting } from './formatting.js';
import { hover } from './hover.js';
import { documentSymbols } from './symbols.js';

// The language server: each request is answered from the document's one
// compilation (analysis.ts) by the service of its own file. Diagnostics go
// out when a document opens and once its changes pause (debounce.ts).

export interface ServerOptions {
  /** Milliseconds a document's changes must pause before it is compiled for diagnostics. */
  debounceMs?: number;
}

export const CAPABILITIES: InitializeResult['capabilities'] = {
  textDocumentSync: TextDocumentSyncKind.Incremental,
  hoverProvider: true,
  // A space after `stage`, `act`, `padding` … is where the next word is chosen.
  completionProvider: { triggerCharacters: [' '] },
  definitionProvider: true,
  documentFormattingProvider: true,
  documentSymbolProvider: true,
  codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
};

export function startServer(connection: Connection, options: ServerOptions = {}): void {
  const documents = new TextDocuments(TextDocument);
  const analyses = new Analyses();
  const debouncer = new Debouncer(options.debounceMs);
  /** The version whose diagnostics were sent last, per document: opening fires a change too. */
  const published = new Map<string, number>();
  const analysisOf = (doc: TextDocument) => analyses.get(doc.uri, doc.version, doc.getText());

  const publish = (uri: string) => {
    const doc = documents.get(uri);
    if (!doc || published.get(uri) === doc.version) return;
    try {
      const diagnostics = toLspDiagnostics(analysisOf(doc));
      published.set(uri, doc.version);
      void connection.sendDiagnostics({ uri, version: doc.version, diagnostics });
    } catch (e) {
      // A compiler bug must not end the session: the editor's log says what happened.
      connection.console.error(`effnet: internal error checking ${uri}: ${(e as Error)?.stack ?? String(e)}`);
    }
  };

  connection.onInitialize(() => ({ capabilities: CAPABILITIES, serverInfo: { name: 'effnet' } }));
  documents.onDidOpen((e) => publish(e.document.uri));
  documents.onDidChangeContent((e) => debouncer.schedule(e.document.uri, () => publish(e.document.uri)));
  documents.onDidClose((e) => {
    debouncer.cancel(e.document.uri);
    analyses.forget(e.document.uri);
    published.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  /** Runs a service on an open document; none for a document the editor never opened. */
  const on = <T>(uri: string, service: (doc: TextDocument) => T): T | null => {
    const doc = documents.get(uri);
    return doc ? service(doc) : null;
  };
  connection.onHover((p) => on(p.textDocument.uri, (d) => hover(analysisOf(d), p.position)));
  connection.onCompletion((p) => on(p.textDocument.uri, (d) => completion(d, p.position)) ?? []);
  connection.onDefinition((p) => on(p.textDocument.uri, (d) => definition(analysisOf(d), p.position)));
  connection.onDocumentFormatting((p) => on(p.textDocument.uri, formatting) ?? []);
  connection.onDocumentSymbol((p) => on(p.textDocument.uri, (d) => documentSymbols(analysisOf(d))) ?? []);
  connection.onCodeAction((p) => on(p.textDocument.uri, (d) => codeActions(d, p)) ?? []);
  connection.onShutdown(() => debouncer.cancelAll());

  documents.listen(connection);
  connection.listen();
}
