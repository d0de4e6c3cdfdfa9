import { CompletionItemKind, MarkupKind, type CompletionItem, type Position } from 'vscode-languageserver/node.js';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { ATTRIBUTES, type AttributeKey } from '../blocks/attributes.js';
import { BLOCK_TYPES } from '../blocks/registry.js';
import { STATEMENT_KEYWORDS } from '../lexer/tokens.js';
import {
  ATTRIBUTE_VALUES,
  attributeKeyOf,
  attributesOf,
  BLOCK_DOCS,
  kindOf,
  ROUND_WORDS,
  SCALAR_STATEMENTS,
  STATEMENT_DOCS,
  STATEMENT_WORDS,
  statementsFor,
  type StatementKeyword,
} from './vocabulary.js';

// Completion from the text before the cursor: a statement's options stay on
// its keyword's line, so that line (after the last brace) says which
// statement is being written and which word comes next. Brace depth says the
// scope: outside the family, in it, or in a variant.

type Scope = 'top' | 'family' | 'variant';

/** Comments and their contents are not code: they neither open braces nor start statements. */
const COMMENTS = /\/\*[\s\S]*?(?:\*\/|$)|\/\/[^\n\r]*/g;

function scopeAt(textBefore: string): Scope {
  let depth = 0;
  for (const ch of textBefore.replace(COMMENTS, '')) {
    if (ch === '{') depth++;
    else if (ch === '}') depth = Math.max(0, depth - 1);
  }
  return depth === 0 ? 'top' : depth === 1 ? 'family' : 'variant';
}

const keyword = (k: StatementKeyword): CompletionItem => ({
  label: k,
  kind: CompletionItemKind.Keyword,
  documentation: { kind: MarkupKind.Markdown, value: STATEMENT_DOCS[k] },
});

const value = (label: string, detail?: string): CompletionItem => ({ label, kind: CompletionItemKind.EnumMember, ...(detail ? { detail } : {}) });

function attribute(key: AttributeKey): CompletionItem {
  const a = ATTRIBUTES[key];
  return {
    label: key,
    kind: CompletionItemKind.Property,
    detail: a.syntax,
    documentation: { kind: MarkupKind.Markdown, value: a.values === '' ? a.doc : `${a.doc}\n\nValues: ${a.values}` },
  };
}

const blockKinds = (): CompletionItem[] =>
  BLOCK_TYPES.map((b) => ({ label: b, kind: CompletionItemKind.Class, detail: 'block kind', documentation: { kind: MarkupKind.Markdown, value: BLOCK_DOCS.get(b) ?? '' } }));

const isStatement = (w: string): w is StatementKeyword => (STATEMENT_KEYWORDS as readonly string[]).includes(w);

/** Whether `word` at position `i` of the statement `words` is one of its options rather than a new statement. */
function optionOf(words: readonly string[], i: number): boolean {
  const k = words[0]!;
  const w = words[i]!;
  if (k === 'round' && i === 1) return true;
  if ((k === 'stage' || k === 'then') && (ATTRIBUTES as Record<string, unknown>)[w] !== undefined) return true;
  return (STATEMENT_WORDS[k]?.options ?? []).includes(w);
}

/** The words of the statement being written: from the last statement keyword that starts one. */
function currentStatement(words: readonly string[]): string[] {
  let start = 0;
  for (let i = 1; i < words.length; i++) if (isStatement(words[i]!) && !optionOf(words.slice(start, i + 1), i - start)) start = i;
  return words.slice(start);
}

function stageWords(words: readonly string[]): CompletionItem[] {
  if (words.length === 1) return blockKinds();
  const last = words.at(-1)!;
  const values = ATTRIBUTE_VALUES[last as AttributeKey];
  if (values) return values.map((v) => value(v));
  // An attribute waiting for its number (`se`, `mid`, …) gets nothing.
  if (words.length > 2 && (ATTRIBUTES as Record<string, { values: string }>)[last]?.values) return [];
  const written = new Set(words.slice(2).map(attributeKeyOf));
  return attributesOf(kindOf(words[1]!)).filter((k) => !written.has(k)).map(attribute);
}

/** Options that stand alone; every other option is followed by its value. */
const FLAGS: ReadonlySet<string> = new Set(['batch', 'fixed_width', 'grow_only', 'bilinear', 'bicubic']);

function statementWords(words: readonly string[], scope: Scope): CompletionItem[] {
  const k = words[0]!;
  const last = words.at(-1)!;
  if (k === 'stage' || k === 'then') return stageWords(words);
  // `width 1.0 `: complete; another statement may follow on the line.
  if (SCALAR_STATEMENTS.has(k)) return words.length === 1 ? [] : statementsFor(scope).map(keyword);
  if (k === 'round') return words.length === 1 ? STATEMENT_WORDS.round!.first!.map((w) => value(w)) : (ROUND_WORDS[words[1]!] ?? []).filter((w) => !words.includes(w)).map((w) => value(w));
  const table = STATEMENT_WORDS[k];
  if (!table) return [];
  if (table.values?.[last]) return table.values[last]!.map((v) => value(v));
  if (words.length === 1 && table.first) return table.first.map((w) => value(w));
  // Options once each; an option waiting for its number gets nothing.
  if (words.length > 1 && table.options.includes(last) && !FLAGS.has(last)) return [];
  const written = new Set(words.slice(1).map(attributeKeyOf));
  return table.options
    .filter((o) => !written.has(o))
    .map((o) => ((ATTRIBUTES as Record<string, unknown>)[o] !== undefined ? attribute(o as AttributeKey) : value(o)));
}

export function completion(doc: TextDocument, position: Position): CompletionItem[] {
  const offset = doc.offsetAt(position);
  const before = doc.getText().slice(0, offset);
  const line = before.slice(Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r')) + 1);
  // Inside a comment: a `//` on the line, or a `/*` not closed yet (comments do not nest).
  const open = before.lastIndexOf('/*');
  if (line.includes('//') || (open >= 0 && before.indexOf('*/', open + 2) < 0)) return [];
  const scope = scopeAt(before);
  const segment = line.slice(Math.max(line.lastIndexOf('{'), line.lastIndexOf('}')) + 1);
  const words = segment.split(/\s+/).filter((w) => w !== '');
  // The word being typed is the client's to filter by.
  if (!/\s$/.test(segment) && words.length > 0) words.pop();
  if (words.length === 0) return statementsFor(scope).map(keyword);
  if (words[0] === 'family' || words[0] === 'variant') return [];
  return statementWords(currentStatement(words), scope);
}
