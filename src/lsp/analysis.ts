import { fileURLToPath } from 'node:url';
import { compileSource, type Compilation } from '../compile/compile.js';

// One compilation per document version, shared by diagnostics, hover and
// definition: typing compiles once (after the debounce), hovering compiles
// only when it outruns that.

export interface Analysis {
  uri: string;
  version: number;
  /** The document's text as the editor has it (a byte-order mark included). */
  text: string;
  /** The text starts with a byte-order mark: compiled positions are one column short on line 1. */
  bom: boolean;
  compilation: Compilation;
}

/** The path diagnostics name: the file's own for a `file:` URI, else the URI. */
export function fileOf(uri: string): string {
  if (!uri.startsWith('file:')) return uri;
  try {
    return fileURLToPath(uri);
  } catch {
    return uri;
  }
}

export class Analyses {
  private readonly byUri = new Map<string, Analysis>();

  /** The analysis of this version of the document, compiled now if it is not cached. */
  get(uri: string, version: number, text: string): Analysis {
    const cached = this.byUri.get(uri);
    if (cached && cached.version === version && cached.text === text) return cached;
    // Every variant, as `check` builds them: its diagnostics are `check`'s.
    const compilation = compileSource(text, fileOf(uri));
    const analysis = { uri, version, text, bom: text.startsWith('\ufeff'), compilation };
    this.byUri.set(uri, analysis);
    return analysis;
  }

  forget(uri: string): void {
    this.byUri.delete(uri);
  }
}
