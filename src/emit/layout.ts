import { tsString } from './escape.js';
import { Code } from './typescript.js';

// Plain data laid out exactly as prettier lays it out in generated TypeScript
// (printWidth 120, two-space indent, single quotes, trailing commas), without
// running prettier: a value goes on one line when it fits, else one entry per
// line, recursively. Only the shapes whose layout is known are taken; anything
// else throws NotCanonical and the caller formats with prettier instead.

export const PRINT_WIDTH = 120;

/** A value this printer cannot lay out the way prettier would. */
export class NotCanonical extends Error {}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
/** Printable ASCII: prettier measures these one column each. */
const ASCII = /^[\x20-\x7e]*$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Code);
const entries = (v: Record<string, unknown>): [string, unknown][] => Object.entries(v).filter(([, x]) => x !== undefined);

function scalar(v: unknown): string {
  if (v instanceof Code) {
    if (!IDENTIFIER.test(v.text)) throw new NotCanonical(`code ${v.text}`);
    return v.text;
  }
  if (v === null) return 'null';
  switch (typeof v) {
    case 'number':
      if (!Number.isFinite(v)) throw new Error(`cannot emit the number ${v}`);
      // prettier writes 1e21, not 1e+21.
      return Object.is(v, -0) ? '0' : String(v).replace('e+', 'e');
    case 'boolean':
      return String(v);
    case 'string': {
      // A quote makes prettier pick the quote character; other characters may be wider than a column.
      const text = tsString(v);
      if (v.includes("'") || !ASCII.test(text)) throw new NotCanonical(`string ${text}`);
      return text;
    }
    default:
      throw new NotCanonical(`a ${typeof v}`);
  }
}

/** prettier breaks an array of two or more objects (or arrays) of more than one entry each, whatever the width. */
function breaksAlways(v: unknown[]): boolean {
  return (
    v.length > 1 &&
    v.every((x, i) => {
      const next = v[i + 1];
      if (next !== undefined && Array.isArray(next) !== Array.isArray(x)) return false;
      return Array.isArray(x) ? x.length > 1 : isObject(x) && entries(x).length > 1;
    })
  );
}

/** The one-line form of `v`, or undefined when prettier breaks it whatever the width. */
export function flat(v: unknown): string | undefined {
  if (Array.isArray(v)) {
    if (breaksAlways(v)) return undefined;
    const parts = v.map(flat);
    return parts.some((p) => p === undefined) ? undefined : `[${parts.join(', ')}]`;
  }
  if (isObject(v)) {
    const es = entries(v);
    if (es.length === 0) return '{}';
    const parts: string[] = [];
    for (const [k, x] of es) {
      if (!IDENTIFIER.test(k)) throw new NotCanonical(`key ${k}`);
      const p = flat(x);
      if (p === undefined) return undefined;
      parts.push(`${k}: ${p}`);
    }
    return `{ ${parts.join(', ')} }`;
  }
  return scalar(v);
}

/**
 * `v` starting at column `column`, inside a construct indented by `indent` columns, followed on
 * its last line by `rest` more characters (`,`, `);`).
 */
export function layout(v: unknown, column: number, indent: number, rest: number): string {
  const one = flat(v);
  if (one !== undefined && column + one.length + rest <= PRINT_WIDTH) return one;
  return broken(v, indent);
}

/** `v` with one entry per line (each entry laid out in turn), as prettier breaks an object or array. */
export function broken(v: unknown, indent: number): string {
  const inner = ' '.repeat(indent + 2);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    // An array of numbers is filled (several a line): not modelled.
    if (v.every((x) => typeof x === 'number')) throw new NotCanonical('a long array of numbers');
    return `[\n${v.map((x) => `${inner}${layout(x, indent + 2, indent + 2, 1)},\n`).join('')}${' '.repeat(indent)}]`;
  }
  if (isObject(v)) {
    const es = entries(v);
    if (es.length === 0) return '{}';
    const lines = es.map(([k, x]) => {
      if (!IDENTIFIER.test(k)) throw new NotCanonical(`key ${k}`);
      const lead = `${inner}${k}: `;
      const value = layout(x, lead.length, indent + 2, 1);
      // A scalar too long for its line: prettier moves it after the colon (not modelled).
      if (!value.includes('\n') && lead.length + value.length + 1 > PRINT_WIDTH) throw new NotCanonical(`a long value of ${k}`);
      return `${lead}${value},\n`;
    });
    return `{\n${lines.join('')}${' '.repeat(indent)}}`;
  }
  throw new NotCanonical('a long scalar');
}

/**
 * `lead callee(args…)rest` as a statement at `indent`: on one line when it fits, else with the
 * last argument, an object, broken across lines (prettier's "hugged" last argument).
 */
export function callStatement(indent: number, lead: string, callee: string, args: readonly unknown[], rest: string): string {
  const pad = ' '.repeat(indent);
  const flatArgs = args.map(flat);
  const start = `${pad}${lead}${callee}(`;
  if (flatArgs.every((a) => a !== undefined)) {
    const line = `${start}${flatArgs.join(', ')})${rest}`;
    if (line.length <= PRINT_WIDTH) return line;
  }
  const last = args[args.length - 1];
  const firsts = flatArgs.slice(0, -1);
  if (!isObject(last) || entries(last).length === 0 || firsts.some((a) => a === undefined)) throw new NotCanonical(`a long call of ${callee}`);
  const opening = `${start}${[...firsts, ''].join(', ')}`;
  if (opening.length + 1 > PRINT_WIDTH) throw new NotCanonical(`a long call of ${callee}`);
  return `${opening}${broken(last, indent)})${rest}`;
}
