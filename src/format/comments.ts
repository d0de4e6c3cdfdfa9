import type { IToken } from 'chevrotain';

// The lexer skips comments, so the printer finds them again in the gaps between
// tokens (a parsed spec's gaps hold only whitespace and comments) and decides,
// for each gap, which comments stay on the line before, which stand on lines of
// their own, and which lead the next token on its line.

export interface Comment {
  /** As written, line breaks inside a block comment normalised to `\n`. */
  text: string;
  startLine: number;
  endLine: number;
}

/** Comments on one line of their own (`/* a *\/ /* b *\/` share one). */
export interface OwnLine {
  text: string;
  /** A blank line separates it from what comes before. */
  blankBefore: boolean;
}

/** What lies between token i-1 and token i (gap 0: before the first token; gap n: after the last). */
export interface Gap {
  /** Comments that end token i-1's line, joined by spaces ('' when none). */
  trailing: string;
  own: OwnLine[];
  /** Comments before token i on its own line: printed in front of it. */
  leading: string;
  /** A blank line separates token i (or its leading comments) from what comes before. */
  blankBefore: boolean;
}

/** 1-based line of each offset, counting line breaks as the lexer does (\r\n, \r, \n). */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) this.starts.push(i + 1);
    }
  }

  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}

// What a gap may hold: whitespace, a line comment, a block comment (the lexer's patterns).
const GAP_PART = /[ \t\r\n]+|\/\/[^\n\r]*|\/\*[^*]*\*+(?:[^/*][^*]*\*+)*\//y;

function commentsIn(text: string, from: number, to: number, lines: LineIndex): Comment[] {
  const out: Comment[] = [];
  let at = from;
  while (at < to) {
    GAP_PART.lastIndex = at;
    const m = GAP_PART.exec(text);
    // The parser accepted the text, so this cannot happen; a wrong guess here would drop text.
    if (m === null || at + m[0].length > to) throw new Error(`unexpected text between tokens at offset ${at}`);
    if (m[0].startsWith('/')) {
      out.push({ text: m[0].replace(/\r\n?/g, '\n'), startLine: lines.lineOf(at), endLine: lines.lineOf(at + m[0].length - 1) });
    }
    at += m[0].length;
  }
  return out;
}

const join = (cs: readonly Comment[]): string => cs.map((c) => c.text).join(' ');

/** Gaps 0…n of a token list (sorted by offset) over `text`. */
export function gapsOf(text: string, tokens: readonly IToken[], lines: LineIndex): Gap[] {
  const gaps: Gap[] = [];
  for (let i = 0; i <= tokens.length; i++) {
    const prev = tokens[i - 1];
    const next = tokens[i];
    const from = prev === undefined ? 0 : prev.startOffset + prev.image.length;
    const to = next === undefined ? text.length : next.startOffset;
    const comments = commentsIn(text, from, to, lines);
    // Leading: the comments chained back from the next token on its line.
    let first = comments.length;
    if (next !== undefined) {
      let line = lines.lineOf(next.startOffset);
      while (first > 0 && comments[first - 1]!.endLine === line) line = comments[--first]!.startLine;
    }
    // Trailing: the comments chained on from the previous token's line.
    let end = 0;
    let lastLine = prev === undefined ? undefined : lines.lineOf(prev.startOffset);
    while (end < first && comments[end]!.startLine === lastLine) lastLine = comments[end++]!.endLine;
    const own: OwnLine[] = [];
    for (let k = end; k < first; ) {
      let j = k + 1;
      while (j < first && comments[j]!.startLine === comments[j - 1]!.endLine) j++;
      own.push({ text: join(comments.slice(k, j)), blankBefore: lastLine !== undefined && comments[k]!.startLine > lastLine + 1 });
      lastLine = comments[j - 1]!.endLine;
      k = j;
    }
    const leading = comments.slice(first);
    const startOfNext = leading[0]?.startLine ?? (next === undefined ? undefined : lines.lineOf(next.startOffset));
    gaps.push({
      trailing: join(comments.slice(0, end)),
      own,
      leading: join(leading),
      blankBefore: lastLine !== undefined && startOfNext !== undefined && startOfNext > lastLine + 1,
    });
  }
  return gaps;
}
