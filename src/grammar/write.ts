import { grammarBlocksMarkdown } from './blocks.js';
import { grammarDiagramsHtml } from './diagrams.js';
import { grammarEbnf } from './ebnf.js';
import { grammarTextMate } from './textmate.js';

// The generated language reference under grammar/ (grammar/README.md is
// written by hand; grammar/blocks.md is printed from the block registry). `effnet grammar` writes these; test/grammar.test.ts checks
// that the committed copies are current.

/** What every generated grammar file says near its top: only such files are replaced. */
export const GRAMMAR_MARKER = /GENERATED from src\/[^\n]* by `npm run grammar`/;

export interface GrammarFile {
  /** Relative to the repository root. */
  path: string;
  content: string;
}

export function grammarFiles(): GrammarFile[] {
  return [
    { path: 'grammar/effnet.ebnf', content: grammarEbnf() },
    { path: 'grammar/syntax-diagrams.html', content: grammarDiagramsHtml() },
    { path: 'grammar/effnet.tmLanguage.json', content: grammarTextMate() },
    { path: 'grammar/blocks.md', content: grammarBlocksMarkdown() },
  ];
}
