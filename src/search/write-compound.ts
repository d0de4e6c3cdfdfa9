import type { SpecNode } from '../ast/ast.js';

// `effnet search --write`: the spec text with the chosen coefficients as its `compound` line: the
// family's own line rewritten in place, or a new one before the first variant. Everything else,
// comments and layout included, is left as written.

export function withCompound(source: string, ast: SpecNode, c: { alpha: number; beta: number; gamma: number }): string {
  const family = ast.family;
  if (!family) return source;
  const line = `compound alpha ${c.alpha} beta ${c.beta} gamma ${c.gamma}`;
  const own = family.items.find((i) => i.kind === 'compound');
  if (own) return source.slice(0, own.range.start.offset) + line + source.slice(own.range.end.offset);
  const eol = source.includes('\r\n') ? '\r\n' : '\n';
  const first = family.items.find((i) => i.kind === 'variant');
  if (first) {
    const lineStart = source.lastIndexOf('\n', first.range.start.offset - 1) + 1;
    const indent = /^[ \t]*/.exec(source.slice(lineStart))![0];
    return `${source.slice(0, lineStart)}${indent}${line}${eol}${eol}${source.slice(lineStart)}`;
  }
  const brace = family.range.end.offset - 1;
  const lineStart = source.lastIndexOf('\n', brace - 1) + 1;
  return `${source.slice(0, lineStart)}  ${line}${eol}${source.slice(lineStart)}`;
}
