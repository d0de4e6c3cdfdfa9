import type { CstElement, CstNode, IToken } from 'chevrotain';
import type { Range } from '../diagnostics/diagnostic.js';
import { tokenRange } from '../parser/parse.js';
import type { FamilyNode, Num, Option, ScalarKey, SpecNode, Statement, Value, VariantNode, Word } from './ast.js';

// CST → AST. The parser recovers from errors, so any child may be missing:
// every accessor here tolerates absence and the lowering reports what is missing.

const isToken = (e: CstElement): e is IToken => 'image' in e;

/**
 * Calls `visit` with every real token under `node` (in no particular order). Iterative: a
 * statement may hold hundreds of thousands of tokens, and neither recursion nor
 * `push(...list)` may grow with the input.
 */
function eachToken(node: CstNode, visit: (t: IToken) => void): void {
  const stack: CstNode[] = [node];
  for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
    // Indexed loops: this walk runs for every statement's range, and each run of `check` meets it cold.
    const children = n.children;
    for (const key in children) {
      const list = children[key];
      if (list === undefined) continue;
      for (let i = 0; i < list.length; i++) {
        const e = list[i]!;
        if (!isToken(e)) stack.push(e);
        else if (!Number.isNaN(e.startOffset)) visit(e);
      }
    }
  }
}

/** Every real token under `node`, in text order. */
function tokens(node: CstNode): IToken[] {
  const out: IToken[] = [];
  eachToken(node, (t) => out.push(t));
  return out.sort((a, b) => a.startOffset - b.startOffset);
}

/** The first and last real tokens under `node`, without collecting them all. */
function ends(node: CstNode): [IToken, IToken] | undefined {
  let first: IToken | undefined;
  let last: IToken | undefined;
  eachToken(node, (t) => {
    if (first === undefined || t.startOffset < first.startOffset) first = t;
    if (last === undefined || t.startOffset > last.startOffset) last = t;
  });
  return first && last ? [first, last] : undefined;
}

function span(node: CstNode, fallback: Range): Range {
  const e = ends(node);
  return e === undefined ? fallback : { start: tokenRange(e[0]).start, end: tokenRange(e[1]).end };
}

const child = (node: CstNode, key: string): CstNode | undefined => {
  const e = node.children[key]?.[0];
  return e !== undefined && !isToken(e) ? e : undefined;
};
const children = (node: CstNode, key: string): CstNode[] =>
  (node.children[key] ?? []).filter((e): e is CstNode => !isToken(e));
const token = (node: CstNode, key: string): IToken | undefined => {
  const e = node.children[key]?.find(isToken);
  return e !== undefined && !Number.isNaN(e.startOffset) && !e.isInsertedInRecovery ? e : undefined;
};

function word(t: IToken | undefined): Word | undefined {
  return t === undefined ? undefined : { kind: 'word', text: t.image, range: tokenRange(t) };
}

function num(t: IToken | undefined): Num | undefined {
  return t === undefined ? undefined : { kind: 'number', value: Number(t.image), text: t.image, range: tokenRange(t) };
}

function value(t: IToken): Value {
  return t.tokenType.name === 'NumberLiteral' ? num(t)! : word(t)!;
}

/** The first token among the given keys, for single-choice alternatives. */
function firstToken(node: CstNode, keys: string[]): IToken | undefined {
  for (const k of keys) {
    const t = token(node, k);
    if (t) return t;
  }
  return undefined;
}

function nodeWord(node: CstNode | undefined): Word | undefined {
  return node === undefined ? undefined : word(ends(node)?.[0]);
}

const keyOf = (t: IToken): string => t.tokenType.name.replace(/^Kw_/, '');

/** `key value` options, built from a subrule node whose first token is the key. */
function keyValueOption(node: CstNode): Option | undefined {
  const ts = tokens(node);
  const first = ts[0];
  if (first === undefined) return undefined;
  const range = { start: tokenRange(first).start, end: tokenRange(ts.at(-1)!).end };
  const rest = ts.slice(1);
  // `squeeze from input`: the value is the last word.
  const last = rest.at(-1);
  const opt: Option = { key: keyOf(first), keyRange: tokenRange(first), range };
  if (last !== undefined) opt.value = value(last);
  return opt;
}

/** `k3` is key `k` with the number 3, located after the key letter. */
function compactOption(t: IToken): Option {
  const r = tokenRange(t);
  const text = t.image.slice(1);
  const numRange: Range = {
    start: { line: r.start.line, column: r.start.column + 1, offset: r.start.offset + 1 },
    end: r.end,
  };
  return {
    key: t.image[0]!,
    keyRange: r,
    value: { kind: 'number', value: Number(text), text, range: numRange },
    range: r,
  };
}

function attributes(node: CstNode): Option[] {
  const out: Option[] = [];
  for (const a of children(node, 'attribute')) {
    const compact = token(a, 'Compact');
    if (compact) {
      out.push(compactOption(compact));
      continue;
    }
    const unknown = child(a, 'unknownAttribute');
    if (unknown) {
      const opt = keyValueOption(unknown);
      if (opt) out.push({ ...opt, key: `?${tokens(unknown)[0]!.image}` });
      continue;
    }
    const opt = keyValueOption(child(a, 'numberAttribute') ?? a);
    if (opt) out.push(opt);
  }
  return out;
}

/** A preprocess option: `key value…`, or a bare name (the interpolation). */
function preprocessOption(node: CstNode): Option | undefined {
  const bare = token(node, 'Identifier');
  if (bare) {
    const w = word(bare)!;
    return { key: 'interpolation', keyRange: w.range, value: w, range: w.range };
  }
  const opt = keyValueOption(node);
  if (opt === undefined) return undefined;
  const values = tokens(node).filter((t) => t.tokenType.name === 'NumberLiteral' && !t.isInsertedInRecovery).map((t) => num(t)!);
  return opt.key === 'mean' || opt.key === 'std' ? { ...opt, values } : opt;
}

function statement(node: CstNode, fallback: Range): Statement | undefined {
  if (node.name === 'setting') {
    const inner = Object.values(node.children)[0]?.[0];
    return inner && !isToken(inner) ? statement(inner, fallback) : undefined;
  }
  // One range object for a one-word statement: a spec may hold hundreds of thousands.
  const e = ends(node);
  const keywordRange = e ? tokenRange(e[0]) : fallback;
  const range = e === undefined ? fallback : e[0] === e[1] ? keywordRange : { start: keywordRange.start, end: tokenRange(e[1]).end };
  const base = { range, keywordRange };
  switch (node.name) {
    case 'inputStatement':
      return { ...base, kind: 'input', channels: num(token(node, 'NumberLiteral')) };
    case 'classesStatement':
      return { ...base, kind: 'classes', value: num(token(node, 'NumberLiteral')) };
    case 'activationStatement':
      return { ...base, kind: 'activation', name: nodeWord(child(node, 'activationName')) };
    case 'normStatement':
      return { ...base, kind: 'norm', options: children(node, 'normOption').flatMap((o) => keyValueOption(o) ?? []) };
    case 'paddingStatement':
      return { ...base, kind: 'padding', mode: word(token(node, 'Identifier')) };
    case 'namingStatement':
      return { ...base, kind: 'naming', scheme: word(token(node, 'Identifier')) };
    case 'roundStatement': {
      const target = token(node, 'Kw_channels')
        ? 'channels'
        : token(node, 'Kw_repeats')
          ? 'repeats'
          : token(node, 'Kw_resolution')
            ? 'resolution'
            : undefined;
      const modeToken = node.children['Kw_round']?.filter(isToken)[1] ?? token(node, 'Identifier');
      return {
        ...base,
        kind: 'round',
        target,
        mode: word(modeToken),
        options: children(node, 'roundOption').flatMap((o) => keyValueOption(o) ?? []),
      };
    }
    case 'seStatement':
      return { ...base, kind: 'se', options: children(node, 'seOption').flatMap((o) => keyValueOption(o) ?? []) };
    case 'stemStatement':
      return { ...base, kind: 'stem', attributes: attributes(node) };
    case 'headStatement':
      return { ...base, kind: 'head', none: token(node, 'Kw_none') !== undefined, attributes: attributes(node) };
    case 'stageStatement':
      return { ...base, kind: 'stage', blockType: nodeWord(child(node, 'blockType')), attributes: attributes(node), continues: token(node, 'Kw_then') !== undefined };
    case 'classifierStatement':
      return {
        ...base,
        kind: 'classifier',
        options: children(node, 'classifierOption').flatMap((o) => keyValueOption(o) ?? []),
      };
    case 'scalarStatement': {
      const key = firstToken(node, ['Kw_drop_path', 'Kw_width', 'Kw_depth', 'Kw_resolution', 'Kw_phi', 'Kw_dropout', 'Kw_output_stride']);
      if (key === undefined) return undefined;
      return { ...base, kind: 'scalar', key: keyOf(key) as ScalarKey, value: num(token(node, 'NumberLiteral')) };
    }
    case 'featuresStatement':
      return { ...base, kind: 'features', stages: tokens(node).filter((t) => t.tokenType.name === 'NumberLiteral' && !t.isInsertedInRecovery).map((t) => num(t)!) };
    case 'preprocessStatement':
      return { ...base, kind: 'preprocess', options: children(node, 'preprocessOption').flatMap((o) => preprocessOption(o) ?? []) };
    case 'compound':
      return { ...base, kind: 'compound', options: children(node, 'coefficient').flatMap((o) => keyValueOption(o) ?? []) };
    case 'unknownStatement':
      return { ...base, kind: 'unknown', words: tokens(node).map(value) };
    default:
      return undefined;
  }
}

function body(node: CstNode, fallback: Range): (Statement | VariantNode)[] {
  const items: (Statement | VariantNode)[] = [];
  for (const key of ['setting', 'compound', 'unknownStatement', 'variant']) {
    for (const c of children(node, key)) {
      const item = key === 'variant' ? variant(c, fallback) : statement(c, fallback);
      if (item) items.push(item);
    }
  }
  return items.sort((a, b) => a.range.start.offset - b.range.start.offset);
}

function variant(node: CstNode, fallback: Range): VariantNode {
  const range = span(node, fallback);
  const kw = token(node, 'Kw_variant');
  const statements = body(node, range).filter((s): s is Statement => s.kind !== 'variant');
  return { kind: 'variant', range, keywordRange: kw ? tokenRange(kw) : range, name: nodeWord(child(node, 'name')), statements };
}

export function buildAst(cst: CstNode | undefined, file: string): SpecNode {
  const familyNode = cst ? child(cst, 'family') : undefined;
  if (familyNode === undefined) return { file };
  const range = span(familyNode, { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } });
  const kw = token(familyNode, 'Kw_family');
  const family: FamilyNode = {
    kind: 'family',
    range,
    keywordRange: kw ? tokenRange(kw) : range,
    name: nodeWord(child(familyNode, 'name')),
    items: body(familyNode, range),
  };
  return { file, family };
}
