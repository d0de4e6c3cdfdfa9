import type { SpecNode } from '../ast/ast.js';
import { phiName } from './scale.js';

// `effnet scale --write`: the spec text with a `variant phiN { phi N }` line for each φ. A
// variant of that name is rewritten in place; a missing one goes after the last variant (or
// before the family's closing brace), indented as the variants are. Everything else, comments
// and layout included, is left as written, so a second run changes nothing.

export function withPhiVariants(source: string, ast: SpecNode, phis: readonly number[]): string {
  const family = ast.family;
  if (!family) return source;
  const variants = family.items.filter((i) => i.kind === 'variant');
  const line = (phi: number) => `variant ${phiName(phi)} { phi ${phi} }`;
  const edits: { start: number; end: number; text: string }[] = [];
  const missing: number[] = [];
  for (const phi of phis) {
    const v = variants.find((x) => x.name?.text === phiName(phi));
    if (v) edits.push({ start: v.range.start.offset, end: v.range.end.offset, text: line(phi) });
    else missing.push(phi);
  }
  if (missing.length > 0) {
    const last = variants.at(-1);
    const eol = source.includes('\r\n') ? '\r\n' : '\n';
    if (last) {
      const indent = indentOf(source, last.range.start.offset);
      // At the end of its line: after an end-of-line comment, not before it.
      const rest = source.slice(last.range.end.offset).search(/\r\n|\n|\r/);
      const at = rest === -1 ? source.length : last.range.end.offset + rest;
      edits.push({ start: at, end: at, text: missing.map((p) => `${eol}${indent}${line(p)}`).join('') });
    } else {
      // Before the closing brace: the family's range ends just after it.
      const brace = family.range.end.offset - 1;
      const indent = `${indentOf(source, family.range.start.offset)}  `;
      const lineStart = source.lastIndexOf('\n', brace - 1) + 1;
      // The brace alone on its line: the new lines go before that line; after code (`… }`): on lines of their own.
      const alone = /^[ \t]*$/.test(source.slice(lineStart, brace));
      const at = alone ? lineStart : brace;
      const prefix = alone ? '' : eol;
      edits.push({ start: at, end: at, text: `${prefix}${missing.map((p) => `${indent}${line(p)}${eol}`).join('')}` });
    }
  }
  let out = source;
  for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/** The spaces and tabs before `offset` on its line. */
function indentOf(source: string, offset: number): string {
  const lineStart = source.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(source.slice(lineStart, offset))![0];
}
