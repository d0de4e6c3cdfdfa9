import type { Parser, Plugin, Printer, SupportLanguage } from 'prettier';
import { formatSpec } from './format.js';

// A Prettier plugin (`effnet/prettier`) with the printer `effnet fmt` uses, for
// projects that already run Prettier:
//   prettier --plugin effnet/prettier --write "specs/**/*.effnet"
// The "AST" is the formatted text itself: the layout is decided by formatSpec,
// so both tools print the same bytes.

interface SpecDocument {
  type: 'effnet-spec';
  /** The text as Prettier passed it. */
  text: string;
  formatted: string;
}

/** A syntax error as Prettier reports one: message and position (Prettier prints the code frame). */
class EffnetSyntaxError extends SyntaxError {
  constructor(
    message: string,
    readonly loc: { start: { line: number; column: number }; end: { line: number; column: number } },
  ) {
    super(message);
  }
}

export const languages: SupportLanguage[] = [
  { name: 'effnet', parsers: ['effnet'], extensions: ['.effnet'], vscodeLanguageIds: ['effnet'] },
];

const parser: Parser<SpecDocument> = {
  astFormat: 'effnet',
  parse(text, options) {
    const r = formatSpec(text, options.filepath ?? 'spec.effnet');
    if (!r.ok) {
      const first = r.diagnostics[0]!;
      const { start, end } = first.range;
      const more = r.diagnostics.length > 1 ? ` (and ${r.diagnostics.length - 1} more)` : '';
      throw new EffnetSyntaxError(`${first.code}: ${first.message}${more}`, {
        start: { line: start.line, column: start.column },
        end: { line: end.line, column: end.column },
      });
    }
    return { type: 'effnet-spec', text, formatted: r.text };
  },
  locStart: () => 0,
  locEnd: (node) => node.text.length,
};

const printer: Printer<SpecDocument> = {
  print: (path) => path.node.formatted,
};

export const parsers: Plugin['parsers'] = { effnet: parser };
export const printers: Plugin['printers'] = { effnet: printer };

const plugin: Plugin<SpecDocument> = { languages, parsers, printers };
export default plugin;
