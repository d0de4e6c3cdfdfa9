import { createSyntaxDiagramsCode } from '../lexer/chevrotain.js';
import { effnetParser } from '../parser/parser.js';

// grammar/syntax-diagrams.html: Chevrotain's railroad diagrams of the parser's
// rules. The page loads Chevrotain's diagram scripts and stylesheet from the
// checkout's node_modules (after `npm ci`), so it renders offline and always
// matches the installed Chevrotain.

const RESOURCES = '../node_modules/chevrotain/diagrams/';

const GENERATED =
  '<!-- Syntax diagrams of the .effnet language. GENERATED from src/parser/parser.ts by `npm run grammar`: do not edit. -->';

export function grammarDiagramsHtml(): string {
  const html = createSyntaxDiagramsCode(effnetParser().getSerializedGastProductions(), { resourceBase: RESOURCES, css: `${RESOURCES}diagrams.css` });
  const marked = html.replace('<!-- This is a generated file -->', GENERATED);
  if (marked === html) throw new Error('unexpected output from createSyntaxDiagramsCode: no generated-file marker');
  // Chevrotain's template starts with a blank line and leaves trailing spaces.
  return marked.replace(/^\s+/, '').replace(/[ \t]+$/gm, '').replace(/\s*$/, '\n');
}
