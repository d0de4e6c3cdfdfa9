import type { IToken } from 'chevrotain';
import type { Gap, LineIndex } from './comments.js';
import { alignRows, type Row } from './table.js';
import { lastToken, type Block, type Entry, type SpecTree, type Statement } from './tree.js';

// The canonical layout: two spaces of indent a block, one statement a line,
// stage tables and runs of one-line variants aligned in columns, `stem`,
// `then` and `head` padded to `stage`'s width, blank lines kept (one at most,
// none just inside braces), comments where they were. Tokens are printed as
// written (numbers keep their text), each statement on its keyword's line: the
// parser reads a statement's options only on that line, so the printed text
// parses to the same statements.

const INDENT = 2;
/** `stage`: the keyword column of stage tables; `stem`, `then` and `head` lines pad to it too. */
const KEYWORD_WIDTH = 5;

/**
 * Stage tables: the keyword column as wide as `stage`; `k s e c n` columns before keyword
 * attributes where the rows leave the order open (`c16 skip off` above `c24 n3`: `n` first).
 */
const STAGE_TABLE = { minWidth: { keyword: KEYWORD_WIDTH }, tier: (key: string) => (/^[ksecn](#\d+)?$/.test(key) ? 0 : 1) };

interface Line {
  indent: number;
  code: string;
  /** Comments ending the line ('' when none). */
  comment: string;
  blank: boolean;
}

class Printer {
  readonly lines: Line[] = [];
  /** The next line opens a block (or the file): no blank line before it. */
  private opening = true;
  constructor(
    private readonly tokens: readonly IToken[],
    private readonly gaps: readonly Gap[],
    private readonly sourceLines: LineIndex,
  ) {}

  /** Token i as printed: the comments before it on its line, then its text. */
  word(i: number): string {
    const leading = this.gaps[i]!.leading;
    return leading === '' ? this.tokens[i]!.image : `${leading} ${this.tokens[i]!.image}`;
  }

  words(from: number, to: number): string {
    const out: string[] = [];
    for (let i = from; i <= to; i++) out.push(this.word(i));
    return out.join(' ');
  }

  /** Whether tokens from…to print on one line: no comment ends a line between them, none spans lines. */
  flat(from: number, to: number): boolean {
    for (let i = from; i <= to; i++) {
      const g = this.gaps[i]!;
      if (i > from && (g.trailing !== '' || g.own.length > 0)) return false;
      if (g.leading.includes('\n')) return false;
    }
    return true;
  }

  push(indent: number, code: string, comment: string, blank: boolean): void {
    this.lines.push({ indent, code, comment, blank: blank && !this.opening });
    this.opening = false;
  }

  /** Comments on lines of their own before token i. */
  own(i: number, indent: number): void {
    for (const o of this.gaps[i]!.own) this.push(indent, o.text, '', o.blankBefore);
  }

  /** Tokens from…to on one line, broken only after a comment that ends a line (continuations indented once more). */
  run(from: number, to: number, indent: number, blank: boolean, first = this.word(from)): void {
    let code = first;
    let at = indent;
    for (let i = from + 1; i <= to; i++) {
      const g = this.gaps[i]!;
      if (g.trailing === '' && g.own.length === 0) {
        code += ' ' + this.word(i);
        continue;
      }
      this.push(at, code, g.trailing, blank);
      blank = false;
      at = indent + INDENT;
      this.own(i, at);
      code = this.word(i);
    }
    this.push(at, code, this.gaps[to + 1]!.trailing, blank);
  }

  /** A blank line (or more) in the text before token i or its comments. */
  blankBefore(i: number): boolean {
    const g = this.gaps[i]!;
    return g.blankBefore || g.own.some((o) => o.blankBefore);
  }

  /** A variant written on one line with something in it: a row of the variant table. */
  variantRow(b: Block): Row | undefined {
    const oneLine = this.sourceLines.lineOf(this.tokens[b.open]!.startOffset) === this.sourceLines.lineOf(this.tokens[b.close]!.startOffset);
    if (!oneLine || !this.flat(b.from, b.close) || b.body.length === 0) return undefined;
    const cells = [
      { key: 'variant', text: this.words(b.from, b.open - 1) },
      { key: '{', text: this.word(b.open) },
      ...b.body.map((s) => ({ key: this.tokens[s.from]!.image, text: this.words(s.from, lastToken(s)) })),
    ];
    return { cells, tail: this.word(b.close) };
  }

  /** A stage or then line: keyword, block type, attributes keyed by kind (`k3` and `k5` share column `k`). */
  stageRow(s: Statement): Row | undefined {
    if (s.rule !== 'stageStatement' || !this.flat(s.from, s.to)) return undefined;
    const bounds = [...s.parts, s.to + 1];
    const cells = [{ key: 'keyword', text: this.word(s.from) }];
    for (let j = 0; j + 1 < bounds.length; j++) {
      const t = this.tokens[bounds[j]!]!;
      const key = j === 0 ? 'type' : t.tokenType.name === 'Compact' ? t.image[0]! : t.image;
      cells.push({ key, text: this.words(bounds[j]!, bounds[j + 1]! - 1) });
    }
    return { cells };
  }

  /** Rows of tables aligned together: consecutive, with no blank line between, of one kind. */
  tables(entries: readonly Entry[]): Map<Entry, string> {
    const out = new Map<Entry, string>();
    let group: { entry: Entry; row: Row }[] = [];
    let kind = '';
    const flush = () => {
      const lines = alignRows(group.map((g) => g.row), kind === 'stage' ? STAGE_TABLE : {});
      group.forEach((g, i) => out.set(g.entry, lines[i]!));
      group = [];
    };
    for (const entry of entries) {
      const row = entry.kind === 'block' ? this.variantRow(entry) : this.stageRow(entry);
      const rowKind = row === undefined ? '' : entry.kind === 'block' ? 'variant' : 'stage';
      if (rowKind !== kind || this.blankBefore(entry.from)) flush();
      kind = rowKind;
      if (row !== undefined) group.push({ entry, row });
    }
    flush();
    return out;
  }

  body(b: Block, indent: number): void {
    const aligned = this.tables(b.body);
    for (const entry of b.body) {
      this.own(entry.from, indent);
      const blank = this.gaps[entry.from]!.blankBefore;
      const row = aligned.get(entry);
      if (row !== undefined) this.push(indent, row, this.gaps[lastToken(entry) + 1]!.trailing, blank);
      else if (entry.kind === 'block') this.block(entry, indent, blank);
      else this.statement(entry, indent, blank);
    }
    this.own(b.close, indent);
  }

  statement(s: Statement, indent: number, blank: boolean): void {
    const padded = (s.rule === 'stemStatement' || s.rule === 'headStatement') && this.flat(s.from, s.to);
    this.run(s.from, s.to, indent, blank, padded ? this.word(s.from).padEnd(KEYWORD_WIDTH) : undefined);
  }

  block(b: Block, indent: number, blank: boolean): void {
    if (b.body.length === 0 && this.flat(b.from, b.close) && this.gaps[b.close]!.leading === '') {
      // Nothing inside, not even a comment: `variant x {}`.
      this.push(indent, `${this.words(b.from, b.open)}}`, this.gaps[b.close + 1]!.trailing, blank);
      return;
    }
    this.run(b.from, b.open, indent, blank);
    this.opening = true;
    this.body(b, indent + INDENT);
    this.opening = false;
    this.push(indent, this.word(b.close), this.gaps[b.close + 1]!.trailing, false);
  }
}

/** Trailing comments of consecutive lines (same indent, no blank line between) start in one column. */
function render(lines: readonly Line[]): string {
  const column = new Array<number>(lines.length).fill(0);
  const alignable = (l: Line) => l.comment !== '' && !l.code.includes('\n') && !l.comment.includes('\n');
  for (let i = 0; i < lines.length; ) {
    let j = i + 1;
    if (alignable(lines[i]!)) {
      while (j < lines.length && alignable(lines[j]!) && !lines[j]!.blank && lines[j]!.indent === lines[i]!.indent) j++;
    }
    let width = 0;
    for (let k = i; k < j; k++) width = Math.max(width, lines[k]!.code.length);
    for (let k = i; k < j; k++) column[k] = width + 2;
    i = j;
  }
  return (
    lines
      .map((l, i) => {
        const code = ' '.repeat(l.indent) + l.code;
        const line = l.comment === '' ? code : ' '.repeat(l.indent) + l.code.padEnd(column[i]!) + l.comment;
        return (l.blank ? '\n' : '') + line;
      })
      .join('\n') + '\n'
  );
}

/** The formatted text of a parsed spec (its tokens, the gaps between them, its line index). */
export function printSpec(tree: SpecTree, gaps: readonly Gap[], lines: LineIndex): string {
  const p = new Printer(tree.tokens, gaps, lines);
  p.own(0, 0);
  p.block(tree.family, 0, gaps[0]!.blankBefore);
  p.own(tree.tokens.length, 0);
  return render(p.lines);
}
