import type { CstElement, CstNode, IToken } from 'chevrotain';

// The layout the printer needs from a parsed spec's CST: the family and variant
// blocks, their statements in text order, each as a range of token indexes.
// A statement's tokens are contiguous in the token stream (the parse had no
// errors, so no recovery reordered or invented any).

export interface Statement {
  kind: 'statement';
  /** The grammar rule: `stageStatement`, `stemStatement`, …, `compound`, `unknownStatement`. */
  rule: string;
  /** First and last token index (inclusive). */
  from: number;
  to: number;
  /** Where the block type and each attribute begin (token indexes; stage and then lines only). */
  parts: number[];
}

export interface Block {
  kind: 'block';
  /** The `family` or `variant` keyword. */
  from: number;
  open: number;
  close: number;
  body: Entry[];
}

export type Entry = Statement | Block;

/** The index of an entry's last token. */
export const lastToken = (e: Entry): number => (e.kind === 'block' ? e.close : e.to);

export interface SpecTree {
  /** Every token, in text order. */
  tokens: IToken[];
  family: Block;
}

const isToken = (e: CstElement): e is IToken => 'image' in e;

/** Calls `visit` with every token under `node`, iteratively (a statement may hold very many). */
function eachToken(node: CstNode, visit: (t: IToken) => void): void {
  const stack: CstNode[] = [node];
  for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
    for (const list of Object.values(n.children)) for (const e of list ?? []) isToken(e) ? visit(e) : stack.push(e);
  }
}

const nodes = (node: CstNode, key: string): CstNode[] => (node.children[key] ?? []).filter((e): e is CstNode => !isToken(e));
const tokenOf = (node: CstNode, key: string): IToken => {
  const t = node.children[key]?.find(isToken);
  if (t === undefined) throw new Error(`no ${key} in ${node.name}`);
  return t;
};

/** The layout of a CST parsed without errors. */
export function specTree(cst: CstNode): SpecTree {
  const tokens: IToken[] = [];
  eachToken(cst, (t) => tokens.push(t));
  tokens.sort((a, b) => a.startOffset - b.startOffset);
  const index = new Map(tokens.map((t, i) => [t.startOffset, i]));
  const at = (t: IToken): number => index.get(t.startOffset)!;
  const span = (node: CstNode): [number, number] => {
    let from = Infinity;
    let to = -Infinity;
    eachToken(node, (t) => {
      from = Math.min(from, t.startOffset);
      to = Math.max(to, t.startOffset);
    });
    return [index.get(from)!, index.get(to)!];
  };
  const statement = (node: CstNode): Statement => {
    // A setting wraps one statement rule: its name says which.
    const inner = node.name === 'setting' ? nodes(node, Object.keys(node.children)[0]!)[0]! : node;
    const [from, to] = span(inner);
    const parts =
      inner.name === 'stageStatement'
        ? [...nodes(inner, 'blockType'), ...nodes(inner, 'attribute')].map((n) => span(n)[0]).sort((a, b) => a - b)
        : [];
    return { kind: 'statement', rule: inner.name, from, to, parts };
  };
  const block = (node: CstNode, keyword: string): Block => {
    const body: Entry[] = [
      ...['setting', 'compound', 'unknownStatement'].flatMap((key) => nodes(node, key).map(statement)),
      ...nodes(node, 'variant').map((v) => block(v, 'Kw_variant')),
    ].sort((a, b) => a.from - b.from);
    return { kind: 'block', from: at(tokenOf(node, keyword)), open: at(tokenOf(node, 'LCurly')), close: at(tokenOf(node, 'RCurly')), body };
  };
  return { tokens, family: block(nodes(cst, 'family')[0]!, 'Kw_family') };
}
